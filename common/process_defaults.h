// File: common/process_defaults.h
//
// ApplyProcessDefaults sets what every production binary of the suite (servers, CLIs, load
// generators) wants before its first thread starts:
//   - Abseil's mutex deadlock detection off. Debian's Abseil is built with it on: every contended
//     absl::Mutex then updates a process-wide lock graph (GraphCycles), which measured 2-5% of the
//     CPU of the credential-fetch and handshake paths. Unit tests keep it on, where it catches
//     lock-order bugs.
//
//   int main(int argc, char** argv) {
//     onem2m::ApplyProcessDefaults();
//     ...
//   }
#ifndef ONEM2M_COMMON_PROCESS_DEFAULTS_H_
#define ONEM2M_COMMON_PROCESS_DEFAULTS_H_

namespace onem2m {

void ApplyProcessDefaults();

}  // namespace onem2m

#endif  // ONEM2M_COMMON_PROCESS_DEFAULTS_H_

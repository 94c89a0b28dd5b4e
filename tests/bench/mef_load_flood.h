// File: tests/bench/mef_load_flood.h
//
// mef_load's memory phases: a flood of idle TLS sessions (--idle_conns) or of connections that
// never finish a handshake (--half_open_conns, --half_open_mode), each reading the MEF's resident
// size before, at peak and --settle seconds after closing them (mef_load_report.h prints it).
#ifndef ONEM2M_TESTS_BENCH_MEF_LOAD_FLOOD_H_
#define ONEM2M_TESTS_BENCH_MEF_LOAD_FLOOD_H_

#include <sys/types.h>

#include <string>
#include <vector>

#include "tests/bench/mef_load_flags.h"

namespace onem2m {
namespace mef_load {

// IdlePhase opens `k` TLS sessions that finish the handshake and stay idle.
void IdlePhase(pid_t mef_pid, int tls_port, const std::vector<Device>& devices, int k);

// HalfOpenPhase opens `k` connections that never finish a handshake: TCP only, or a TLS
// handshake record header announcing a 512-byte ClientHello followed by its first 64 bytes, or
// (tls) a whole ClientHello of a provisioned device, after which the client never answers the
// MEF's flight: the MEF then holds OpenSSL's handshake state, not just a socket.
void HalfOpenPhase(pid_t mef_pid, int tls_port, int k, const std::string& mode,
                   const std::vector<Device>& devices);

}  // namespace mef_load
}  // namespace onem2m

#endif  // ONEM2M_TESTS_BENCH_MEF_LOAD_FLOOD_H_

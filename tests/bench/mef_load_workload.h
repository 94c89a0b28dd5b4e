// File: tests/bench/mef_load_workload.h
//
// mef_load's workload: the MEF and bare-OpenSSL child processes, the raw TLS and DTLS enrolment
// clients, the timed load over the devices, and the KEK backend comparison (--kek_compare).
#ifndef ONEM2M_TESTS_BENCH_MEF_LOAD_WORKLOAD_H_
#define ONEM2M_TESTS_BENCH_MEF_LOAD_WORKLOAD_H_

#include <sys/types.h>

#include <functional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "common/crypto/envelope.h"
#include "common/pg/pool.h"
#include "common/secret_bytes.h"
#include "mef/store/enrolee_store.h"
#include "tests/bench/load_kit.h"
#include "tests/bench/mef_load_flags.h"

namespace onem2m {
namespace mef_load {

// HeapKb asks the in-process MEF child for its heap in use (KiB); -1 if it does not answer within
// 2 s (or with --mef_server, whose binary does not answer SIGUSR1).
long HeapKb(pid_t pid);

// RunMefChild serves until killed; writes "tls_port dtls_port\n" to `out_fd` once listening.
// With `memory_rows` it serves over a MemoryEnroleeStore holding those enrolees instead of the
// PostgreSQL store of `pool` (--mef_store=memory: the MEF's ceiling with no database).
[[noreturn]] void RunMefChild(const pg::PoolOptions& pool, const crypto::Envelope* envelope,
                              int out_fd, const std::vector<mef::Enrolee>* memory_rows = nullptr);
// The bare OpenSSL TLS and DTLS servers answering the same POST /enrolment (the baselines).
[[noreturn]] void RunBaselineChild(const SecretBytes* key, int out_fd);
[[noreturn]] void RunDtlsBaselineChild(const SecretBytes* key, int out_fd);

// One enrolment by the raw client over TLS (HTTP) or DTLS (CoAP), checking the answer's keId.
absl::Status RawEnrol(int port, const Device& d);
absl::Status RawEnrolDtls(int port, const Device& d);

// Load runs `enrol` over the devices round robin with the run's concurrency and duration.
bench::LoadResult Load(const std::string& name, pid_t server_pid,
                       const std::vector<Device>& devices,
                       const std::function<absl::Status(const Device&)>& enrol);

// RunKekComparison is the whole of --kek_compare; returns the process exit code.
int RunKekComparison(const std::string& conninfo);

}  // namespace mef_load
}  // namespace onem2m

#endif  // ONEM2M_TESTS_BENCH_MEF_LOAD_WORKLOAD_H_

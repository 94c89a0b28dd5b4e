// File: tests/bench/mef_load_flags.h
//
// mef_load's flags (defined in mef_load_flags.cc, read by every part of the tool) and the few
// types its parts share. mef_load.cc has the tool's description and commands.
#ifndef ONEM2M_TESTS_BENCH_MEF_LOAD_FLAGS_H_
#define ONEM2M_TESTS_BENCH_MEF_LOAD_FLAGS_H_

#include <string>
#include <vector>

#include "absl/flags/declare.h"
#include "absl/time/time.h"

ABSL_DECLARE_FLAG(std::string, pg);
ABSL_DECLARE_FLAG(int, enrolees);
ABSL_DECLARE_FLAG(int, concurrency);
ABSL_DECLARE_FLAG(absl::Duration, duration);
ABSL_DECLARE_FLAG(std::string, transport);
ABSL_DECLARE_FLAG(bool, baseline);
ABSL_DECLARE_FLAG(int, rounds);
ABSL_DECLARE_FLAG(int, idle_conns);
ABSL_DECLARE_FLAG(int, half_open_conns);
ABSL_DECLARE_FLAG(std::string, half_open_mode);
ABSL_DECLARE_FLAG(int, settle);
ABSL_DECLARE_FLAG(int, mef_max_sessions);
ABSL_DECLARE_FLAG(absl::Duration, mef_handshake_timeout);
ABSL_DECLARE_FLAG(int, io_threads);
ABSL_DECLARE_FLAG(std::string, mef_preload);
ABSL_DECLARE_FLAG(std::string, mef_server);
ABSL_DECLARE_FLAG(int, pg_pool_size);
ABSL_DECLARE_FLAG(std::string, mef_store);
ABSL_DECLARE_FLAG(std::vector<std::string>, mef_server_flags);
ABSL_DECLARE_FLAG(bool, kek_compare);

namespace onem2m {
namespace mef_load {

constexpr char kCipher[] = "PSK-AES128-CBC-SHA256";  // 0x00AE, the mandatory suite
// Over DTLS CBC is not permitted (docs/protocol.md 2): the raw DTLS client and the bare DTLS server
// use the other mandatory suite, TLS_PSK_WITH_AES_128_CCM_8.
constexpr char kDtlsCipher[] = "PSK-AES128-CCM8";

// Device is one provisioned enrolee as the clients see it.
struct Device {
  std::string kpm_id;
  std::string kpm;  // raw bytes (bench only)
};

}  // namespace mef_load
}  // namespace onem2m

#endif  // ONEM2M_TESTS_BENCH_MEF_LOAD_FLAGS_H_

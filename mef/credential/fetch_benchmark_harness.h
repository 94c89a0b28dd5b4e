// File: mef/credential/fetch_benchmark_harness.h
//
// fetch_benchmark's measuring harness: one case is a server on loopback mutual TLS driven by
// --callers blocking callers over --channels channels for --seconds after a warm-up, with the
// latencies, rate and CPU per call it yields. The cases themselves are fetch_benchmark_cases.h.
#ifndef ONEM2M_MEF_CREDENTIAL_FETCH_BENCHMARK_HARNESS_H_
#define ONEM2M_MEF_CREDENTIAL_FETCH_BENCHMARK_HARNESS_H_

#include <grpcpp/grpcpp.h>

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "common/testing/mtls_env.h"
#include "proto/onem2m/rsp/v1/mef_credential.grpc.pb.h"

namespace onem2m {
namespace mef {
namespace fetch_bench {

namespace v1 = ::onem2m::rsp::v1;
constexpr char kMaf[] = "maf.example.com";

struct Result {
  double rate = 0;
  double p50_ms = 0;
  double p99_ms = 0;
  int64_t errors = 0;
  double process_cpu_us = 0;  // this process's CPU per call (client and server)
  double machine_cpu_us = 0;  // every process's CPU per call, PostgreSQL included (noisy)
  double switches = 0;        // this process's context switches per call
  double steal_share = 0;     // the hypervisor's share of the machine's CPU time (other guests)
};

// ServerHooks lets a case drive its own completion queues (the async API).
struct ServerHooks {
  std::function<void(grpc::ServerBuilder&)> configure;  // before BuildAndStart
  std::function<void()> started;                        // after BuildAndStart
  std::function<void()> stopped;                        // after Server::Shutdown
};

// Run serves `service` (or what `hooks` register) and measures FetchCredential calls on it, the
// callers cycling through `ids`.
Result Run(grpc::Service* service, const ::onem2m::testing::MtlsEnv& env,
           const std::vector<std::string>& ids, const ServerHooks& hooks = {});

}  // namespace fetch_bench
}  // namespace mef
}  // namespace onem2m

#endif  // ONEM2M_MEF_CREDENTIAL_FETCH_BENCHMARK_HARNESS_H_

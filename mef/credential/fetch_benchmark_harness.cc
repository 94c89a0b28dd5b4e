#include "mef/credential/fetch_benchmark_harness.h"

#include <pthread.h>
#include <sys/resource.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "common/grpc/server_threads.h"
#include "common/secret_bytes.h"
#include "common/testing/machine_cpu.h"
#include "mef/credential/fetch_benchmark_flags.h"

namespace onem2m {
namespace mef {
namespace fetch_bench {
namespace {

// CpuSample is a point reading of this process's and the machine's CPU time.
struct CpuSample {
  double process_us = 0;
  double switches = 0;
  ::onem2m::testing::MachineCpu machine;

  static CpuSample Now() {
    CpuSample s;
    struct rusage ru {};
    getrusage(RUSAGE_SELF, &ru);
    s.process_us = ru.ru_utime.tv_sec * 1e6 + ru.ru_utime.tv_usec + ru.ru_stime.tv_sec * 1e6 +
                   ru.ru_stime.tv_usec;
    s.switches = static_cast<double>(ru.ru_nvcsw + ru.ru_nivcsw);
    s.machine = ::onem2m::testing::ReadMachineCpu();
    return s;
  }
};
}  // namespace

Result Run(grpc::Service* service, const ::onem2m::testing::MtlsEnv& env,
           const std::vector<std::string>& ids, const ServerHooks& hooks) {
  int port = 0;
  grpc::ServerBuilder b;
  if (absl::GetFlag(FLAGS_keep_threads)) grpcutil::KeepServerThreads(&b);  // as the services do
  b.AddListeningPort("127.0.0.1:0", env.ServerCredentials(), &port);
  if (service != nullptr) b.RegisterService(service);
  if (hooks.configure) hooks.configure(b);
  std::unique_ptr<grpc::Server> server = b.BuildAndStart();
  if (hooks.started) hooks.started();
  std::vector<std::unique_ptr<v1::MefCredentialService::Stub>> stubs;
  for (int i = 0; i < absl::GetFlag(FLAGS_channels); ++i) {
    stubs.push_back(v1::MefCredentialService::NewStub(env.Channel(port, kMaf)));
  }
  const int n = absl::GetFlag(FLAGS_callers);
  std::atomic<bool> measuring{false}, stop{false};
  std::atomic<int64_t> errors{0};
  std::vector<std::vector<double>> lat(n);
  std::vector<std::thread> threads;
  for (int t = 0; t < n; ++t) {
    threads.emplace_back([&, t] {
      pthread_setname_np(pthread_self(), "bench-caller");
      auto& stub = *stubs[t % stubs.size()];
      v1::FetchCredentialRequest req;
      req.set_suid(21);
      for (size_t i = t; !stop; i += n) {
        req.set_ke_id(ids[i % ids.size()]);
        grpc::ClientContext ctx;
        ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(5));
        v1::FetchCredentialResponse resp;
        const absl::Time s = absl::Now();
        grpc::Status st = stub.FetchCredential(&ctx, req, &resp);
        const double ms = absl::ToDoubleMilliseconds(absl::Now() - s);
        WipeString(resp.mutable_km());
        if (!measuring) continue;
        // A failed call is no call served: counting it would let a case that fails fast (say, a
        // TLS handshake refused) look faster than one that works.
        if (!st.ok()) {
          ++errors;
          continue;
        }
        lat[t].push_back(ms);
      }
    });
  }
  absl::SleepFor(absl::Milliseconds(500));
  measuring = true;
  const absl::Time t0 = absl::Now();
  const CpuSample cpu0 = CpuSample::Now();
  absl::SleepFor(absl::Seconds(absl::GetFlag(FLAGS_seconds)));
  measuring = false;
  const CpuSample cpu1 = CpuSample::Now();
  const double elapsed = absl::ToDoubleSeconds(absl::Now() - t0);
  stop = true;
  for (auto& th : threads) th.join();
  server->Shutdown();
  if (hooks.stopped) hooks.stopped();
  std::vector<double> all;
  for (auto& v : lat) all.insert(all.end(), v.begin(), v.end());
  std::sort(all.begin(), all.end());
  Result r;
  r.errors = errors;
  if (all.empty()) return r;
  r.rate = all.size() / elapsed;
  r.process_cpu_us = (cpu1.process_us - cpu0.process_us) / all.size();
  r.machine_cpu_us = 1e6 * (cpu1.machine.busy - cpu0.machine.busy) / all.size();
  r.switches = (cpu1.switches - cpu0.switches) / all.size();
  r.steal_share = ::onem2m::testing::StealShare(cpu0.machine, cpu1.machine);
  r.p50_ms = all[all.size() / 2];
  r.p99_ms = all[std::min(all.size() - 1, all.size() * 99 / 100)];
  return r;
}

}  // namespace fetch_bench
}  // namespace mef
}  // namespace onem2m

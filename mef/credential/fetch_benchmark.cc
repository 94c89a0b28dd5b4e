// fetch_benchmark: FetchCredential throughput and latency over loopback mutual TLS with N
// concurrent callers, next to an empty unary call on the same kind of server and channel, measured
// in the same run. Memory store always; PgEnroleeStore too when ONEM2M_TEST_PG is set (own schema).
//
//   bazel run -c opt //mef/credential:fetch_benchmark -- --callers=32 --seconds=5
//
// Targets (issue): >= 10,000 calls/s, p99 <= 5 ms, >= 0.5 of the empty call's rate.
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <fstream>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/strings/str_cat.h"
#include "common/crypto/envelope.h"
#include "common/crypto/key_id.h"
#include "common/grpc/server_threads.h"
#include "common/log/logger.h"
#include "common/pg/test_schema.h"
#include "common/process_defaults.h"
#include "mef/credential/credential_service.h"
#include "mef/credential/envelope_ke_opener.h"
#include "mef/credential/testing/mtls_env.h"
#include "mef/store/memory_enrolee_store.h"
#include "mef/store/pg_enrolee_store.h"

ABSL_FLAG(int, callers, 32, "concurrent callers (threads, each a blocking unary call loop)");
ABSL_FLAG(int, channels, 4, "gRPC channels (TLS connections) the callers share round-robin");
ABSL_FLAG(double, seconds, 5, "measured seconds per case (after 0.5 s warm-up)");
ABSL_FLAG(int, enrolments, 100000, "enrolments in the store (fetched round-robin)");
ABSL_FLAG(bool, keep_threads, true,
          "grpcutil::KeepServerThreads on both servers, as in the services");
ABSL_FLAG(int, read_batch_size, 128, "PostgreSQL store: keys per batched read");
ABSL_FLAG(std::vector<std::string>, cases,
          std::vector<std::string>({"sync", "callback", "memory", "pg"}),
          "cases to run: the empty call on the sync and callback APIs, the fetch on the memory and "
          "PostgreSQL stores (fewer, to profile one alone)");

namespace onem2m {
namespace mef {
namespace {

namespace v1 = ::onem2m::rsp::v1;
constexpr char kMaf[] = "maf.example.com";

// EmptyService answers FetchCredential at once with an empty message: the cost of gRPC + mTLS,
// through the synchronous API.
class EmptyService final : public v1::MefCredentialService::Service {
  grpc::Status FetchCredential(grpc::ServerContext*, const v1::FetchCredentialRequest*,
                               v1::FetchCredentialResponse*) override {
    return grpc::Status::OK;
  }
};

// EmptyCallbackService is the same through the callback API, which the real service uses. The
// ratio is taken against the faster of the two.
class EmptyCallbackService final
    : public v1::MefCredentialService::WithCallbackMethod_FetchCredential<
          v1::MefCredentialService::Service> {
  grpc::ServerUnaryReactor* FetchCredential(grpc::CallbackServerContext* context,
                                            const v1::FetchCredentialRequest*,
                                            v1::FetchCredentialResponse*) override {
    grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
    reactor->Finish(grpc::Status::OK);
    return reactor;
  }
};

struct Result {
  double rate = 0;
  double p50_ms = 0;
  double p99_ms = 0;
  int64_t errors = 0;
  double process_cpu_us = 0;  // this process's CPU per call (client and server)
  double machine_cpu_us = 0;  // every process's CPU per call, PostgreSQL included (noisy)
  double switches = 0;        // this process's context switches per call
};

// CpuSample is a point reading of this process's and the machine's CPU time.
struct CpuSample {
  double process_us = 0;
  double machine_us = 0;
  double switches = 0;

  static CpuSample Now() {
    CpuSample s;
    struct rusage ru {};
    getrusage(RUSAGE_SELF, &ru);
    s.process_us = ru.ru_utime.tv_sec * 1e6 + ru.ru_utime.tv_usec + ru.ru_stime.tv_sec * 1e6 +
                   ru.ru_stime.tv_usec;
    s.switches = static_cast<double>(ru.ru_nvcsw + ru.ru_nivcsw);
    // /proc/stat "cpu" line: user nice system idle iowait irq softirq steal ... in clock ticks.
    std::ifstream stat("/proc/stat");
    std::string cpu;
    double user = 0, nice = 0, system = 0, idle = 0, iowait = 0, irq = 0, softirq = 0;
    stat >> cpu >> user >> nice >> system >> idle >> iowait >> irq >> softirq;
    s.machine_us = (user + nice + system + irq + softirq) * 1e6 / sysconf(_SC_CLK_TCK);
    return s;
  }
};

Result Run(grpc::Service* service, const testing::MtlsEnv& env,
           const std::vector<std::string>& ids) {
  int port = 0;
  grpc::ServerBuilder b;
  if (absl::GetFlag(FLAGS_keep_threads)) grpcutil::KeepServerThreads(&b);  // as the services do
  b.AddListeningPort("127.0.0.1:0", env.ServerCredentials(), &port);
  b.RegisterService(service);
  std::unique_ptr<grpc::Server> server = b.BuildAndStart();
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
        if (!st.ok()) ++errors;
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
  std::vector<double> all;
  for (auto& v : lat) all.insert(all.end(), v.begin(), v.end());
  std::sort(all.begin(), all.end());
  Result r;
  r.errors = errors;
  if (all.empty()) return r;
  r.rate = all.size() / elapsed;
  r.process_cpu_us = (cpu1.process_us - cpu0.process_us) / all.size();
  r.machine_cpu_us = (cpu1.machine_us - cpu0.machine_us) / all.size();
  r.switches = (cpu1.switches - cpu0.switches) / all.size();
  r.p50_ms = all[all.size() / 2];
  r.p99_ms = all[std::min(all.size() - 1, all.size() * 99 / 100)];
  return r;
}

// Populate stores --enrolments enrolees and one enrolment each (bulk insert and group commit, so a
// production-sized table takes seconds) and returns the KeIDs.
std::vector<std::string> Populate(EnroleeStore* store, const crypto::Envelope& envelope) {
  const int n = absl::GetFlag(FLAGS_enrolments);
  std::vector<Enrolee> enrolees;
  for (int i = 0; i < n; ++i) {
    Enrolee e;
    e.kpm_id = absl::StrCat("bench-", i);
    e.kpm = SealedKey{"unused", 1};
    e.enrolee_id = "C" + e.kpm_id;
    e.maf_id = kMaf;
    enrolees.push_back(std::move(e));
  }
  absl::StatusOr<std::vector<absl::Status>> created = store->BulkCreate(enrolees);
  if (!created.ok()) {
    std::fprintf(stderr, "populate: %s\n", created.status().ToString().c_str());
    std::exit(1);
  }
  std::vector<std::string> ids;
  absl::Mutex mu;
  int pending_in_chunk = 0;
  bool failed = false;
  auto all_done = +[](int* p) { return *p == 0; };
  for (const Enrolee& e : enrolees) {
    if (ids.size() % 10000 == 0) {  // stay under the store's queue bound (max_pending)
      absl::MutexLock l(&mu);
      mu.Await(absl::Condition(all_done, &pending_in_chunk));
    }
    Enrolment m;
    m.ke_id = *crypto::FormatKeyId(SecretBytes::Random(16).Reveal(), "mef.example.com");
    m.kpm_id = e.kpm_id;
    m.ke = SealedKey{*envelope.Seal(SecretBytes::Random(32), m.ke_id), 1};
    m.enrolee_id = e.enrolee_id;
    m.maf_id = kMaf;
    m.expires_at = absl::Now() + absl::Hours(24);
    ids.push_back(m.ke_id);
    {
      absl::MutexLock l(&mu);
      ++pending_in_chunk;
    }
    store->RecordEnrolmentAsync(std::move(m), [&](absl::Status s) {
      absl::MutexLock l(&mu);
      if (!s.ok() && !failed) std::fprintf(stderr, "populate: %s\n", s.ToString().c_str());
      failed |= !s.ok();
      --pending_in_chunk;
    });
  }
  absl::MutexLock l(&mu);
  mu.Await(absl::Condition(all_done, &pending_in_chunk));
  if (failed) std::exit(1);
  return ids;
}

void Report(const char* name, const Result& r, const Result& empty) {
  std::printf(
      "%-22s %10.0f calls/s  p50 %6.3f ms  p99 %6.3f ms  errors %lld  ratio-to-empty %.2f"
      "  | CPU/call: process %.1f us, machine %.1f us; switches/call %.2f\n",
      name, r.rate, r.p50_ms, r.p99_ms, static_cast<long long>(r.errors),
      empty.rate > 0 ? r.rate / empty.rate : 0.0, r.process_cpu_us, r.machine_cpu_us, r.switches);
}

int Main() {
  SetAuditPath(testing::TempDir() + "/fetch_benchmark_audit.log");  // audited as in production
  testing::MtlsEnv env(testing::TempDir());
  crypto::Envelope envelope(crypto::Keyring::Generate(1));
  EnvelopeKeOpener opener(&envelope);
  std::printf("callers=%d channels=%d seconds=%.1f enrolments=%d\n", absl::GetFlag(FLAGS_callers),
              absl::GetFlag(FLAGS_channels), absl::GetFlag(FLAGS_seconds),
              absl::GetFlag(FLAGS_enrolments));

  const std::vector<std::string> cases = absl::GetFlag(FLAGS_cases);
  auto wanted = [&](absl::string_view c) {
    return std::find(cases.begin(), cases.end(), c) != cases.end();
  };
  EmptyService empty_service;
  EmptyCallbackService empty_callback_service;
  const std::vector<std::string> dummy = {"00000000000000000000000000000000@mef.example.com"};
  std::optional<Result> empty_sync, empty_callback;
  if (wanted("sync")) empty_sync = Run(&empty_service, env, dummy);
  if (wanted("callback")) empty_callback = Run(&empty_callback_service, env, dummy);
  // The ratio is taken against the faster empty call.
  Result empty;
  for (const std::optional<Result>& r : {empty_sync, empty_callback}) {
    if (r.has_value() && r->rate > empty.rate) empty = *r;
  }
  if (empty_sync.has_value()) Report("empty call (sync API)", *empty_sync, empty);
  if (empty_callback.has_value()) Report("empty call (callback)", *empty_callback, empty);

  std::optional<Result> mem;
  if (wanted("memory")) {
    MemoryEnroleeStore memory;
    std::vector<std::string> ids = Populate(&memory, envelope);
    auto mem_service = MefCredentialServiceImpl::Create(&memory, &opener, {});
    mem = Run(mem_service->get(), env, ids);
    Report("fetch (memory store)", *mem, empty);
    (*mem_service)->Shutdown();
  }

  std::optional<Result> pg_result;
  if (wanted("pg") && pg::TestSchema::Available()) {
    auto schema = pg::TestSchema::Create();
    if (!schema.ok()) {
      std::printf("pg: %s\n", schema.status().ToString().c_str());
      return 1;
    }
    PgEnroleeStoreOptions o;
    o.pool = (*schema)->PoolOptionsFor();
    o.pool.max_size = 16;
    o.enrolment_reads.max_batch = absl::GetFlag(FLAGS_read_batch_size);
    auto pg_store = PgEnroleeStore::Create(o);
    if (!pg_store.ok()) {
      std::printf("pg: %s\n", pg_store.status().ToString().c_str());
      return 1;
    }
    const std::vector<std::string> ids = Populate(pg_store->get(), envelope);
    auto pg_service = MefCredentialServiceImpl::Create(pg_store->get(), &opener, {});
    Result pg = Run(pg_service->get(), env, ids);
    Report("fetch (pg store)", pg, empty);
    pg_result = pg;
    const pg::CombiningReaderStats rs = (*pg_store)->async_enrolment_read_stats();
    if (rs.batches > 0) {
      std::printf("  batched reads: %lld reads in %lld batches (%.1f keys/batch)\n",
                  static_cast<long long>(rs.reads), static_cast<long long>(rs.batches),
                  static_cast<double>(rs.keys) / rs.batches);
    }
    (*pg_service)->Shutdown();
  } else if (wanted("pg")) {
    std::printf("fetch (pg store)       skipped: set ONEM2M_TEST_PG\n");
  }
  auto verdict = [&](const Result& r) {
    if (empty.rate == 0) return "not judged (no empty call run)";
    return r.rate >= 10000 && r.p99_ms <= 5.0 && r.rate >= 0.5 * empty.rate && r.errors == 0
               ? "MET"
               : "NOT MET";
  };
  std::printf("targets (>=10000/s, p99<=5ms, >=0.5x empty):");
  if (mem.has_value()) std::printf(" memory store %s", verdict(*mem));
  if (pg_result.has_value()) std::printf(" pg store %s", verdict(*pg_result));
  std::printf("\n");
  return 0;
}

}  // namespace
}  // namespace mef
}  // namespace onem2m

int main(int argc, char** argv) {
  onem2m::ApplyProcessDefaults();
  absl::ParseCommandLine(argc, argv);
  return onem2m::mef::Main();
}

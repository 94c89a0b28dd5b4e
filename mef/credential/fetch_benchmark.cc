// fetch_benchmark: FetchCredential throughput and latency over loopback mutual TLS with N
// concurrent callers, next to an empty unary call on the same kind of server and channel (on
// gRPC's sync, callback and completion-queue APIs), measured in the same run. The cases are
// interleaved over --rounds and each reports its median round. Memory store; PgEnroleeStore too
// when ONEM2M_TEST_PG is set (own schema).
//
//   bazel run -c opt //mef/credential:fetch_benchmark -- --callers=32 --seconds=4 --rounds=5
//
// Targets (issue 4): >= 10,000 calls/s, p99 <= 5 ms, >= 0.5 of the fastest empty call's rate.
#include <pthread.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <fstream>
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
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
#include "common/ops/grpc_server_metrics.h"
#include "common/pg/test_schema.h"
#include "common/process_defaults.h"
#include "common/testing/mtls_env.h"
#include "mef/credential/credential_service.h"
#include "mef/credential/envelope_ke_opener.h"
#include "mef/store/forwarding_enrolee_store.h"
#include "mef/store/memory_enrolee_store.h"
#include "mef/store/pg_enrolee_store.h"

ABSL_FLAG(std::string, json_out, "",
          "Also write each case's median as JSON to this file (read by tests/bench/report.py).");
ABSL_FLAG(int, callers, 32, "concurrent callers (threads, each a blocking unary call loop)");
ABSL_FLAG(int, channels, 4, "gRPC channels (TLS connections) the callers share round-robin");
ABSL_FLAG(double, seconds, 5, "measured seconds per case and round (after 0.5 s warm-up)");
ABSL_FLAG(int, rounds, 1, "rounds of every case, interleaved; each case reports its median");
ABSL_FLAG(int, enrolments, 100000, "enrolments in the store (fetched round-robin)");
ABSL_FLAG(bool, keep_threads, true,
          "grpcutil::KeepServerThreads on both servers, as in the services");
ABSL_FLAG(int, fetch_batch, 128, "most calls the service answers with one store read");
ABSL_FLAG(int, async_threads, 2,
          "threads (each with its own completion queue) of the async-API cases: the empty call and "
          "the credential service's fetch threads");
ABSL_FLAG(std::vector<std::string>, cases,
          std::vector<std::string>({"sync", "callback", "async", "memory", "memory_metrics", "pg"}),
          "cases to run: the empty call on the sync, callback and async APIs, the fetch on the "
          "memory store without and with the services' gRPC metrics interceptor, and on the "
          "PostgreSQL store (fewer, to profile one alone)");

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

// EmptyCallbackService is the same through the callback API. RunAsyncEmpty (below) measures the
// completion-queue API, which the real service uses. The ratio is taken against the fastest.
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

// RunAsyncEmpty measures the empty call on the completion-queue (async) API: --async_threads
// threads, each polling its own queue with 64 calls requested ahead.
struct Result;
Result RunAsyncEmpty(const ::onem2m::testing::MtlsEnv& env, const std::vector<std::string>& ids);

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

// ServerHooks lets a case drive its own completion queues (the async API).
struct ServerHooks {
  std::function<void(grpc::ServerBuilder&)> configure;  // before BuildAndStart
  std::function<void()> started;                        // after BuildAndStart
  std::function<void()> stopped;                        // after Server::Shutdown
};

Result Run(grpc::Service* service, const ::onem2m::testing::MtlsEnv& env,
           const std::vector<std::string>& ids, const ServerHooks& hooks = {}) {
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
  if (hooks.stopped) hooks.stopped();
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

Result RunAsyncEmpty(const ::onem2m::testing::MtlsEnv& env, const std::vector<std::string>& ids) {
  struct Call {
    grpc::ServerContext ctx;
    v1::FetchCredentialRequest req;
    grpc::ServerAsyncResponseWriter<v1::FetchCredentialResponse> responder{&ctx};
    bool finishing = false;
  };
  v1::MefCredentialService::AsyncService service;
  std::vector<std::unique_ptr<grpc::ServerCompletionQueue>> cqs;
  std::vector<std::thread> pollers;
  const int n = std::max(1, absl::GetFlag(FLAGS_async_threads));
  auto request = [&service](grpc::ServerCompletionQueue* cq) {
    Call* c = new Call;
    service.RequestFetchCredential(&c->ctx, &c->req, &c->responder, cq, cq, c);
  };
  ServerHooks hooks;
  hooks.configure = [&](grpc::ServerBuilder& b) {
    b.RegisterService(&service);
    for (int i = 0; i < n; ++i) cqs.push_back(b.AddCompletionQueue());
  };
  hooks.started = [&] {
    for (auto& cq : cqs) {
      for (int i = 0; i < 64; ++i) request(cq.get());
      pollers.emplace_back([&request, cq = cq.get()] {
        pthread_setname_np(pthread_self(), "empty-async");
        void* tag = nullptr;
        bool ok = false;
        while (cq->Next(&tag, &ok)) {
          Call* c = static_cast<Call*>(tag);
          if (c->finishing || !ok) {
            delete c;
            continue;
          }
          request(cq);
          c->finishing = true;
          c->responder.Finish(v1::FetchCredentialResponse(), grpc::Status::OK, c);
        }
      });
    }
  };
  hooks.stopped = [&] {
    for (auto& cq : cqs) cq->Shutdown();
    for (auto& t : pollers) t.join();
  };
  return Run(nullptr, env, ids, hooks);
}

// CountingStore counts the batched reads the service makes (the keys per read show the batching).
class CountingStore final : public ForwardingEnroleeStore {
 public:
  explicit CountingStore(EnroleeStore* inner) : ForwardingEnroleeStore(inner), inner_(inner) {}
  std::vector<absl::StatusOr<EnrolmentView>> GetEnrolmentsByKeIds(
      absl::Span<const crypto::KeyId> ke_ids) override {
    ++reads;
    keys += static_cast<int64_t>(ke_ids.size());
    return inner_->GetEnrolmentsByKeIds(ke_ids);
  }
  std::atomic<int64_t> reads{0}, keys{0};

 private:
  EnroleeStore* const inner_;
};

// RunFetch measures the credential service on `store`, served as the MEF serves it; with
// `metrics`, also through the per-call metrics interceptor the services install on every port
// (ops::GrpcServerMetrics), to price it against the same fetch without it.
Result RunFetch(EnroleeStore* store, const KeOpener* opener, const ::onem2m::testing::MtlsEnv& env,
                const std::vector<std::string>& ids, ops::GrpcServerMetrics* metrics = nullptr) {
  MefCredentialServiceImpl::Options o;
  o.fetch_threads = absl::GetFlag(FLAGS_async_threads);
  o.fetch_batch = absl::GetFlag(FLAGS_fetch_batch);
  auto service = MefCredentialServiceImpl::Create(store, opener, o);
  ServerHooks hooks;
  hooks.configure = [&](grpc::ServerBuilder& b) {
    (*service)->Register(&b);
    if (metrics != nullptr) {
      std::vector<std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>> f;
      f.push_back(metrics->NewInterceptorFactory("credential"));
      b.experimental().SetInterceptorCreators(std::move(f));
    }
  };
  hooks.started = [&] { (*service)->Start(); };
  hooks.stopped = [&] { (*service)->Stop(); };
  return Run(nullptr, env, ids, hooks);
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
    m.ke_id = *crypto::KeyId::FromParts(SecretBytes::Random(16).Reveal(), "mef.example.com");
    m.kpm_id = e.kpm_id;
    m.ke = SealedKey{*envelope.Seal(SecretBytes::Random(32), m.ke_id.ToString()), 1};
    m.enrolee_id = e.enrolee_id;
    m.maf_id = kMaf;
    m.expires_at = absl::Now() + absl::Hours(24);
    ids.push_back(m.ke_id.ToString());
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

// Median returns the run with the median rate.
Result Median(std::vector<Result> runs) {
  std::sort(runs.begin(), runs.end(),
            [](const Result& x, const Result& y) { return x.rate < y.rate; });
  return runs[runs.size() / 2];
}

// WriteJson writes every case's median round to --json_out, in the shape of
// tests/bench/load_kit.h's WriteJsonReport, with the ratio to the fastest empty call.
void WriteJson(const std::vector<std::pair<std::string, std::vector<Result>>>& runs,
               const Result& empty) {
  const std::string path = absl::GetFlag(FLAGS_json_out);
  if (path.empty()) return;
  nlohmann::json cases = nlohmann::json::array();
  nlohmann::json ratios = nlohmann::json::object();
  for (const auto& [name, v] : runs) {
    const Result m = Median(v);
    cases.push_back({{"name", name},
                     {"unit", "calls"},
                     {"concurrency", absl::GetFlag(FLAGS_callers)},
                     {"rate", m.rate},
                     {"p50_ms", m.p50_ms},
                     {"p99_ms", m.p99_ms},
                     {"failures", m.errors},
                     {"server_cpu_us_per_op", m.process_cpu_us}});
    if (empty.rate > 0) ratios[name + " / fastest empty call"] = m.rate / empty.rate;
  }
  nlohmann::json out = {{"tool", "fetch_benchmark"},
                        {"meta",
                         {{"callers", absl::StrCat(absl::GetFlag(FLAGS_callers))},
                          {"rounds", absl::StrCat(absl::GetFlag(FLAGS_rounds))},
                          {"seconds", absl::StrCat(absl::GetFlag(FLAGS_seconds))}}},
                        {"cases", cases},
                        {"ratios", ratios}};
  std::ofstream f(path);
  f << out.dump(2) << "\n";
}

int Main() {
  SetAuditPath(::onem2m::testing::TempDir() +
               "/fetch_benchmark_audit.log");  // audited as in production
  ::onem2m::testing::MtlsEnv env(::onem2m::testing::TempDir());
  crypto::Envelope envelope(crypto::Keyring::Generate(1));
  EnvelopeKeOpener opener(&envelope);
  const int rounds = std::max(1, absl::GetFlag(FLAGS_rounds));
  std::printf("callers=%d channels=%d seconds=%.1f rounds=%d enrolments=%d fetch_threads=%d\n",
              absl::GetFlag(FLAGS_callers), absl::GetFlag(FLAGS_channels),
              absl::GetFlag(FLAGS_seconds), rounds, absl::GetFlag(FLAGS_enrolments),
              absl::GetFlag(FLAGS_async_threads));

  const std::vector<std::string> cases = absl::GetFlag(FLAGS_cases);
  auto wanted = [&](absl::string_view c) {
    return std::find(cases.begin(), cases.end(), c) != cases.end();
  };
  const std::vector<std::string> dummy = {"00000000000000000000000000000000@mef.example.com"};
  EmptyService empty_service;
  EmptyCallbackService empty_callback_service;

  MemoryEnroleeStore memory;
  std::vector<std::string> memory_ids;
  if (wanted("memory") || wanted("memory_metrics")) memory_ids = Populate(&memory, envelope);
  prometheus::Registry metrics_registry;
  ops::GrpcServerMetrics grpc_metrics(metrics_registry);

  std::unique_ptr<pg::TestSchema> schema;
  std::unique_ptr<PgEnroleeStore> pg_store;
  std::unique_ptr<CountingStore> counting;
  std::vector<std::string> pg_ids;
  if (wanted("pg") && pg::TestSchema::Available()) {
    auto created = pg::TestSchema::Create();
    if (!created.ok()) {
      std::printf("pg: %s\n", created.status().ToString().c_str());
      return 1;
    }
    schema = *std::move(created);
    PgEnroleeStoreOptions o;
    o.pool = schema->PoolOptionsFor();
    o.pool.max_size = 16;
    auto store = PgEnroleeStore::Create(o);
    if (!store.ok()) {
      std::printf("pg: %s\n", store.status().ToString().c_str());
      return 1;
    }
    pg_store = *std::move(store);
    pg_ids = Populate(pg_store.get(), envelope);
    counting = std::make_unique<CountingStore>(pg_store.get());
  } else if (wanted("pg")) {
    std::printf("fetch (pg store)       skipped: set ONEM2M_TEST_PG\n");
  }

  // Rounds interleave the cases, so a slow spell of this shared machine hits every case alike;
  // each case reports its median round.
  std::vector<std::pair<std::string, std::vector<Result>>> runs;
  auto record = [&](const std::string& name, Result r) {
    for (auto& [n, v] : runs) {
      if (n == name) {
        v.push_back(r);
        return;
      }
    }
    runs.push_back({name, {r}});
  };
  for (int round = 0; round < rounds; ++round) {
    if (wanted("sync")) record("empty call (sync API)", Run(&empty_service, env, dummy));
    if (wanted("callback"))
      record("empty call (callback)", Run(&empty_callback_service, env, dummy));
    if (wanted("async")) record("empty call (async API)", RunAsyncEmpty(env, dummy));
    if (wanted("memory"))
      record("fetch (memory store)", RunFetch(&memory, &opener, env, memory_ids));
    if (wanted("memory_metrics")) {
      record("fetch + metrics interceptor (memory store)",
             RunFetch(&memory, &opener, env, memory_ids, &grpc_metrics));
    }
    if (counting != nullptr)
      record("fetch (pg store)", RunFetch(counting.get(), &opener, env, pg_ids));
  }
  // The ratio is taken against the fastest empty call.
  Result empty;
  for (const auto& [name, v] : runs) {
    if (name.rfind("empty", 0) == 0 && Median(v).rate > empty.rate) empty = Median(v);
  }
  auto verdict = [&](const Result& r) {
    if (empty.rate == 0) return "not judged (no empty call run)";
    return r.rate >= 10000 && r.p99_ms <= 5.0 && r.rate >= 0.5 * empty.rate && r.errors == 0
               ? "MET"
               : "NOT MET";
  };
  std::string verdicts;
  for (const auto& [name, v] : runs) {
    const Result m = Median(v);
    Report(name.c_str(), m, empty);
    if (rounds > 1) {
      std::string all;
      for (const Result& r : v)
        absl::StrAppend(&all, all.empty() ? "" : ", ", static_cast<int>(r.rate));
      std::printf("  rounds: %s calls/s\n", all.c_str());
    }
    if (name.rfind("fetch", 0) == 0) absl::StrAppend(&verdicts, " ", name, " ", verdict(m), ";");
  }
  if (counting != nullptr && counting->reads > 0) {
    std::printf("pg store reads: %lld keys in %lld reads (%.1f keys/read)\n",
                static_cast<long long>(counting->keys.load()),
                static_cast<long long>(counting->reads.load()),
                static_cast<double>(counting->keys) / counting->reads);
  }
  // The interceptor's price: the same fetch with and without it, medians of the same rounds.
  const Result* plain = nullptr;
  const Result* metered = nullptr;
  std::vector<Result> medians;
  medians.reserve(runs.size());
  for (const auto& [name, v] : runs) {
    medians.push_back(Median(v));
    if (name == "fetch (memory store)") plain = &medians.back();
    if (name == "fetch + metrics interceptor (memory store)") metered = &medians.back();
  }
  if (plain != nullptr && metered != nullptr && plain->rate > 0) {
    double handled = 0;
    for (const auto& family : metrics_registry.Collect()) {
      if (family.name != "onem2m_grpc_server_handled_total") continue;
      for (const auto& m : family.metric) handled += m.counter.value;
    }
    std::printf(
        "metrics interceptor: %.0f / %.0f calls/s = %.3f of the plain fetch's rate; p99 "
        "%.2f vs %.2f ms; %.0f calls counted\n",
        metered->rate, plain->rate, metered->rate / plain->rate, metered->p99_ms, plain->p99_ms,
        handled);
  }
  std::printf("targets (>=10000/s, p99<=5ms, >=0.5x fastest empty call):%s\n", verdicts.c_str());
  WriteJson(runs, empty);
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

#include "mef/credential/fetch_benchmark_cases.h"

#include <pthread.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "common/secret_bytes.h"
#include "mef/credential/credential_service.h"
#include "mef/credential/fetch_benchmark_flags.h"

namespace onem2m {
namespace mef {
namespace fetch_bench {

absl::Time CountingStore::Begin() {
  const absl::Time now = absl::Now();
  absl::MutexLock l(&mu_);
  if (out_++ == 0) busy_since_ = now;
  max_out_ = std::max(max_out_, out_);
  return now;
}

void CountingStore::End(absl::Time start) {
  const absl::Time now = absl::Now();
  absl::MutexLock l(&mu_);
  read_time_ += now - start;
  if (--out_ == 0) busy_ += now - busy_since_;
}

void CountingStore::Resume() {
  const double cpu = server_cpu_us_ ? server_cpu_us_() : 0;
  absl::MutexLock l(&mu_);
  resumed_ = absl::Now();
  server_cpu_at_resume_ = cpu;
  keys_at_resume_ = keys;
}

void CountingStore::Pause() {
  const double cpu = server_cpu_us_ ? server_cpu_us_() : 0;
  absl::MutexLock l(&mu_);
  span_ += absl::Now() - resumed_;
  server_cpu_ += cpu - server_cpu_at_resume_;
  span_keys_ += keys - keys_at_resume_;
}

void CountingStore::Summary() const {
  if (reads == 0) return;
  absl::MutexLock l(&mu_);
  std::printf(
      "pg store reads: %lld keys in %lld reads (%.1f keys/read); a read is out %.2f ms on "
      "average, at most %d at once, some read out %.0f%% of the time\n",
      static_cast<long long>(keys.load()), static_cast<long long>(reads.load()),
      static_cast<double>(keys) / reads, absl::ToDoubleMilliseconds(read_time_) / reads,
      max_out_, 100.0 * absl::FDivDuration(busy_, span_));
  if (server_cpu_us_ && span_keys_ > 0) {
    std::printf("pg server processes' CPU: %.1f us per key read\n", server_cpu_ / span_keys_);
  }
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

Result RunFetch(EnroleeStore* store, const KeOpener* opener, const ::onem2m::testing::MtlsEnv& env,
                const std::vector<std::string>& ids, ops::GrpcServerMetrics* metrics,
                CountingStore* counting) {
  MefCredentialServiceImpl::Options o;
  o.fetch_threads = absl::GetFlag(FLAGS_async_threads);
  o.fetch_batch = absl::GetFlag(FLAGS_fetch_batch);
  if (absl::GetFlag(FLAGS_fetch_reads) > 0) o.fetch_reads = absl::GetFlag(FLAGS_fetch_reads);
  if (absl::GetFlag(FLAGS_fetch_overlap_min) > 0) {
    o.fetch_overlap_min = absl::GetFlag(FLAGS_fetch_overlap_min);
  }
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
  hooks.started = [&] {
    (*service)->Start();
    if (counting != nullptr) counting->Resume();
  };
  hooks.stopped = [&] {
    (*service)->Stop();
    if (counting != nullptr) counting->Pause();
  };
  return Run(nullptr, env, ids, hooks);
}

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

}  // namespace fetch_bench
}  // namespace mef
}  // namespace onem2m

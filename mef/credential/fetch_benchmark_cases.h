// File: mef/credential/fetch_benchmark_cases.h
//
// fetch_benchmark's cases, each measured by the harness (fetch_benchmark_harness.h): the empty call
// on gRPC's sync, callback and completion-queue APIs, and the credential fetch as the MEF serves
// it, on a store Populate fills with --enrolments enrolments.
#ifndef ONEM2M_MEF_CREDENTIAL_FETCH_BENCHMARK_CASES_H_
#define ONEM2M_MEF_CREDENTIAL_FETCH_BENCHMARK_CASES_H_

#include <grpcpp/grpcpp.h>

#include <atomic>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "absl/types/span.h"
#include "common/crypto/envelope.h"
#include "common/crypto/key_id.h"
#include "common/ops/grpc_server_metrics.h"
#include "common/testing/mtls_env.h"
#include "mef/credential/fetch_benchmark_harness.h"
#include "mef/credential/ke_opener.h"
#include "mef/store/forwarding_enrolee_store.h"

namespace onem2m {
namespace mef {
namespace fetch_bench {

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
Result RunAsyncEmpty(const ::onem2m::testing::MtlsEnv& env, const std::vector<std::string>& ids);

// CountingStore counts the batched reads the service makes (the keys per read show the batching)
// and times them: how long one read is out, and how much of the time at least one is out (the
// rest is the service between reads: hand-offs, answering).
class CountingStore final : public ForwardingEnroleeStore {
 public:
  // `server_cpu_us`, when set, reads the CPU time (µs) the database's server processes have used
  // so far, so the summary can give the database's own CPU per key read.
  explicit CountingStore(EnroleeStore* inner, std::function<double()> server_cpu_us = nullptr)
      : ForwardingEnroleeStore(inner), inner_(inner), server_cpu_us_(std::move(server_cpu_us)) {}
  std::vector<absl::StatusOr<EnrolmentView>> GetEnrolmentsByKeIds(
      absl::Span<const crypto::KeyId> ke_ids) override {
    ++reads;
    keys += static_cast<int64_t>(ke_ids.size());
    const absl::Time start = Begin();
    std::vector<absl::StatusOr<EnrolmentView>> out = inner_->GetEnrolmentsByKeIds(ke_ids);
    End(start);
    return out;
  }
  // Resume and Pause bound the spans the timing covers (a case's runs); Summary prints the figures.
  void Resume();
  void Pause();
  void Summary() const;
  std::atomic<int64_t> reads{0}, keys{0};

 private:
  absl::Time Begin();
  void End(absl::Time start);

  EnroleeStore* const inner_;
  const std::function<double()> server_cpu_us_;
  mutable absl::Mutex mu_;
  int out_ ABSL_GUARDED_BY(mu_) = 0;                        // reads out now
  int max_out_ ABSL_GUARDED_BY(mu_) = 0;                    // most reads out at once
  absl::Time busy_since_ ABSL_GUARDED_BY(mu_);              // when out_ last became 1
  absl::Duration busy_ ABSL_GUARDED_BY(mu_);                // time with out_ >= 1
  absl::Duration read_time_ ABSL_GUARDED_BY(mu_);           // sum of every read's time
  absl::Time resumed_ ABSL_GUARDED_BY(mu_);
  absl::Duration span_ ABSL_GUARDED_BY(mu_);                // the spans covered
  double server_cpu_at_resume_ ABSL_GUARDED_BY(mu_) = 0;
  double server_cpu_ ABSL_GUARDED_BY(mu_) = 0;              // the database's, in the spans
  int64_t keys_at_resume_ ABSL_GUARDED_BY(mu_) = 0;
  int64_t span_keys_ ABSL_GUARDED_BY(mu_) = 0;              // keys read in the spans
};

// RunFetch measures the credential service on `store`, served as the MEF serves it; with
// `metrics`, also through the per-call metrics interceptor the services install on every port
// (ops::GrpcServerMetrics), to price it against the same fetch without it.
// `counting`, when set, is the CountingStore `store` is (or wraps): its timing covers the run.
Result RunFetch(EnroleeStore* store, const KeOpener* opener, const ::onem2m::testing::MtlsEnv& env,
                const std::vector<std::string>& ids, ops::GrpcServerMetrics* metrics = nullptr,
                CountingStore* counting = nullptr);

// Populate stores --enrolments enrolees and one enrolment each (bulk insert and group commit, so a
// production-sized table takes seconds) and returns the KeIDs.
std::vector<std::string> Populate(EnroleeStore* store, const crypto::Envelope& envelope);

}  // namespace fetch_bench
}  // namespace mef
}  // namespace onem2m

#endif  // ONEM2M_MEF_CREDENTIAL_FETCH_BENCHMARK_CASES_H_

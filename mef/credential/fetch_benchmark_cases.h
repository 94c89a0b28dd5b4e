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
#include <string>
#include <vector>

#include "absl/status/statusor.h"
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
                const std::vector<std::string>& ids, ops::GrpcServerMetrics* metrics = nullptr);

// Populate stores --enrolments enrolees and one enrolment each (bulk insert and group commit, so a
// production-sized table takes seconds) and returns the KeIDs.
std::vector<std::string> Populate(EnroleeStore* store, const crypto::Envelope& envelope);

}  // namespace fetch_bench
}  // namespace mef
}  // namespace onem2m

#endif  // ONEM2M_MEF_CREDENTIAL_FETCH_BENCHMARK_CASES_H_

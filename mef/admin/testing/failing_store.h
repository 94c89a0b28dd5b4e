// File: mef/admin/testing/failing_store.h
//
// FailingStore forwards every call to a real EnroleeStore but fails BulkCreate with UNAVAILABLE
// from its `fail_from`-th call on, as a database outage in the middle of a bulk import would.
//
//   AdminTestServer::Start("memory", options, [](EnroleeStore* real) {
//     return std::make_unique<FailingStore>(real, /*fail_from=*/3);
//   });
#ifndef ONEM2M_MEF_ADMIN_TESTING_FAILING_STORE_H_
#define ONEM2M_MEF_ADMIN_TESTING_FAILING_STORE_H_

#include <atomic>
#include <functional>
#include <utility>
#include <vector>

#include "mef/store/enrolee_store.h"

namespace onem2m {
namespace mef {
namespace testing {

class FailingStore final : public EnroleeStore {
 public:
  FailingStore(EnroleeStore* real, int fail_from) : real_(real), fail_from_(fail_from) {}
  absl::StatusOr<Enrolee> CreateEnrolee(const Enrolee& e) override {
    return real_->CreateEnrolee(e);
  }
  absl::StatusOr<std::vector<absl::Status>> BulkCreate(const std::vector<Enrolee>& e) override {
    if (++calls_ >= fail_from_) return absl::UnavailableError("database connection lost");
    return real_->BulkCreate(e);
  }
  absl::StatusOr<Enrolee> GetEnrolee(absl::string_view k) override { return real_->GetEnrolee(k); }
  absl::StatusOr<ListEnroleesResponse> ListEnrolees(const ListEnroleesRequest& r) override {
    return real_->ListEnrolees(r);
  }
  absl::StatusOr<Enrolee> SetState(absl::string_view k, EnroleeState s) override {
    return real_->SetState(k, s);
  }
  absl::Status DeleteEnrolee(absl::string_view k) override { return real_->DeleteEnrolee(k); }
  absl::StatusOr<Enrolee> RotateKpm(absl::string_view k, const SealedKey& s) override {
    return real_->RotateKpm(k, s);
  }
  absl::Status RecordEnrolment(const Enrolment& e) override { return real_->RecordEnrolment(e); }
  void RecordEnrolmentAsync(Enrolment e, std::function<void(absl::Status)> done) override {
    real_->RecordEnrolmentAsync(std::move(e), std::move(done));
  }
  absl::StatusOr<EnrolmentView> GetEnrolmentByKeId(absl::string_view k) override {
    return real_->GetEnrolmentByKeId(k);
  }
  absl::StatusOr<ListEnrolmentsResponse> ListEnrolments(const ListEnrolmentsRequest& r) override {
    return real_->ListEnrolments(r);
  }
  absl::Status RevokeEnrolment(absl::string_view k) override { return real_->RevokeEnrolment(k); }
  absl::StatusOr<std::vector<StateChange>> ListStateChangesSince(int64_t a, int l) override {
    return real_->ListStateChangesSince(a, l);
  }
  absl::StatusOr<int64_t> LatestChangeSeq() override { return real_->LatestChangeSeq(); }
  absl::Status CheckHealth() override { return real_->CheckHealth(); }

 private:
  EnroleeStore* const real_;
  const int fail_from_;
  std::atomic<int> calls_{0};
};

}  // namespace testing
}  // namespace mef
}  // namespace onem2m

#endif  // ONEM2M_MEF_ADMIN_TESTING_FAILING_STORE_H_

// File: mef/credential/testing/fake_enrolee_store.h
//
// FakeEnroleeStore: a small in-memory EnroleeStore for the credential service's tests, written
// while MemoryEnroleeStore (mef/store) was not yet available. It implements what the fetch and
// the watch use (enrolees, enrolments, state changes with a change feed) and a switch that makes
// every call kUnavailable, to test "store down". Other methods return kUnimplemented.
//
//   FakeEnroleeStore store;
//   store.CreateEnrolee(enrolee);
//   store.RecordEnrolment(enrolment);
//   store.set_down(true);   // every call now fails with kUnavailable
#ifndef ONEM2M_MEF_CREDENTIAL_TESTING_FAKE_ENROLEE_STORE_H_
#define ONEM2M_MEF_CREDENTIAL_TESTING_FAKE_ENROLEE_STORE_H_

#include <atomic>
#include <map>
#include <string>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "mef/store/enrolee_store.h"

namespace onem2m {
namespace mef {
namespace testing {

class FakeEnroleeStore final : public EnroleeStore {
 public:
  void set_down(bool down) { down_ = down; }

  absl::StatusOr<Enrolee> CreateEnrolee(const Enrolee& enrolee) override;
  absl::StatusOr<std::vector<absl::Status>> BulkCreate(const std::vector<Enrolee>&) override {
    return absl::UnimplementedError("fake");
  }
  absl::StatusOr<Enrolee> GetEnrolee(absl::string_view kpm_id) override;
  absl::StatusOr<ListEnroleesResponse> ListEnrolees(const ListEnroleesRequest&) override {
    return absl::UnimplementedError("fake");
  }
  absl::StatusOr<Enrolee> SetState(absl::string_view kpm_id, EnroleeState state) override;
  absl::Status DeleteEnrolee(absl::string_view kpm_id) override;
  absl::StatusOr<Enrolee> RotateKpm(absl::string_view, const SealedKey&) override {
    return absl::UnimplementedError("fake");
  }
  absl::Status RecordEnrolment(const Enrolment& enrolment) override;
  void RecordEnrolmentAsync(Enrolment enrolment, std::function<void(absl::Status)> done) override {
    done(RecordEnrolment(enrolment));
  }
  absl::StatusOr<EnrolmentView> GetEnrolmentByKeId(absl::string_view ke_id) override;
  absl::StatusOr<ListEnrolmentsResponse> ListEnrolments(const ListEnrolmentsRequest&) override {
    return absl::UnimplementedError("fake");
  }
  absl::Status RevokeEnrolment(absl::string_view ke_id) override;
  absl::StatusOr<std::vector<StateChange>> ListStateChangesSince(int64_t after_seq,
                                                                 int limit) override;
  absl::StatusOr<int64_t> LatestChangeSeq() override;
  absl::Status CheckHealth() override;

 private:
  void AppendLocked(StateChange change) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  std::atomic<bool> down_{false};
  absl::Mutex mu_;
  std::map<std::string, Enrolee> enrolees_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, Enrolment> enrolments_ ABSL_GUARDED_BY(mu_);
  std::vector<StateChange> feed_ ABSL_GUARDED_BY(mu_);
};

}  // namespace testing
}  // namespace mef
}  // namespace onem2m

#endif  // ONEM2M_MEF_CREDENTIAL_TESTING_FAKE_ENROLEE_STORE_H_

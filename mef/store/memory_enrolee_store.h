// File: mef/store/memory_enrolee_store.h
//
// MemoryEnroleeStore is the explicit in-memory EnroleeStore for quick local runs and tests. Same
// semantics and error codes as PgEnroleeStore (the shared test suite in enrolee_store_test.cc runs
// against both), but nothing survives the process: never use it where an Enrolee relies on its
// enrolment being durable.
//
//   auto store = std::make_unique<MemoryEnroleeStore>();
//   store->CreateEnrolee(enrolee);
//
// Thread safety: all methods are thread-safe (one absl::Mutex). RecordEnrolmentAsync calls `done`
// on the caller's thread before returning.
#ifndef ONEM2M_MEF_STORE_MEMORY_ENROLEE_STORE_H_
#define ONEM2M_MEF_STORE_MEMORY_ENROLEE_STORE_H_

#include <map>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "mef/store/enrolee_store.h"

namespace onem2m {
namespace mef {

class MemoryEnroleeStore final : public EnroleeStore {
 public:
  MemoryEnroleeStore() = default;

  // EnroleeStore
  absl::StatusOr<Enrolee> CreateEnrolee(const Enrolee& enrolee) override;
  absl::StatusOr<std::vector<absl::Status>> BulkCreate(
      const std::vector<Enrolee>& enrolees) override;
  absl::StatusOr<Enrolee> GetEnrolee(absl::string_view kpm_id) override;
  absl::StatusOr<ListEnroleesResponse> ListEnrolees(const ListEnroleesRequest& request) override;
  absl::StatusOr<Enrolee> SetState(absl::string_view kpm_id, EnroleeState state) override;
  absl::Status DeleteEnrolee(absl::string_view kpm_id) override;
  absl::StatusOr<Enrolee> RotateKpm(absl::string_view kpm_id, const SealedKey& kpm) override;
  absl::Status RecordEnrolment(const Enrolment& enrolment) override;
  void RecordEnrolmentAsync(Enrolment enrolment, std::function<void(absl::Status)> done) override;
  absl::StatusOr<EnrolmentView> GetEnrolmentByKeId(const crypto::KeyId& ke_id) override;
  absl::StatusOr<ListEnrolmentsResponse> ListEnrolments(
      const ListEnrolmentsRequest& request) override;
  absl::Status RevokeEnrolment(const crypto::KeyId& ke_id) override;
  absl::StatusOr<std::vector<StateChange>> ListStateChangesSince(int64_t after_seq,
                                                                 int limit) override;
  absl::StatusOr<int64_t> LatestChangeSeq() override;
  absl::Status CheckHealth() override;
  absl::Status SetFetchGrants(absl::string_view kpm_id,
                              const std::vector<FetchGrant>& grants) override;
  absl::StatusOr<std::vector<FetchGrant>> GetFetchGrants(absl::string_view kpm_id) override;
  absl::StatusOr<std::vector<KekVersionCount>> CountKekVersions() override;
  absl::StatusOr<RewrapResult> RewrapBatch(int32_t target_version, int limit,
                                           const Resealer& reseal) override;

 private:
  absl::Status InsertLocked(const Enrolee& enrolee, absl::Time now)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void AddChangeLocked(StateChange change, absl::Time now) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  absl::Mutex mu_;
  std::map<std::string, Enrolee> enrolees_ ABSL_GUARDED_BY(mu_);  // ordered for pagination
  // by the ke_id's canonical text (the order the PostgreSQL store lists them in)
  std::map<std::string, Enrolment> enrolments_ ABSL_GUARDED_BY(mu_);
  std::vector<StateChange> changes_ ABSL_GUARDED_BY(mu_);  // seq order
  // Each enrolee's allow-list, sorted and without duplicates; Enrolee copies keep none (as the
  // PostgreSQL store's reads).
  std::map<std::string, std::vector<FetchGrant>> grants_ ABSL_GUARDED_BY(mu_);
  int64_t seq_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace mef
}  // namespace onem2m

#endif  // ONEM2M_MEF_STORE_MEMORY_ENROLEE_STORE_H_

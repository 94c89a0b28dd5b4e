// File: mef/store/forwarding_enrolee_store.h
//
// ForwardingEnroleeStore passes every call to another EnroleeStore (not owned). Tests derive from
// it to change one behaviour (an injected failure, a call count) and leave the rest to a real
// store, or override BeforeCall to fail every call (a store that is down). The *Async and batch
// reads are not forwarded but keep EnroleeStore's defaults, which call this object's single reads,
// so an override of GetEnrolee also governs GetEnroleeAsync, and one of GetEnrolmentByKeId governs
// GetEnrolmentsByKeIds.
//
//   class FailingGets : public ForwardingEnroleeStore {
//    public:
//     FailingGets() : ForwardingEnroleeStore(&memory_) {}
//     absl::StatusOr<Enrolee> GetEnrolee(absl::string_view id) override {
//       return absl::UnavailableError("down");
//     }
//    private:
//     MemoryEnroleeStore memory_;
//   };
#ifndef ONEM2M_MEF_STORE_FORWARDING_ENROLEE_STORE_H_
#define ONEM2M_MEF_STORE_FORWARDING_ENROLEE_STORE_H_

#include <functional>
#include <utility>
#include <vector>

#include "mef/store/enrolee_store.h"

namespace onem2m {
namespace mef {

class ForwardingEnroleeStore : public EnroleeStore {
 public:
  // `inner` must outlive this store; it is not used during construction.
  explicit ForwardingEnroleeStore(EnroleeStore* inner) : inner_(inner) {}

  absl::StatusOr<Enrolee> CreateEnrolee(const Enrolee& e) override {
    if (absl::Status s = BeforeCall(); !s.ok()) return s;
    return inner_->CreateEnrolee(e);
  }
  absl::StatusOr<std::vector<absl::Status>> BulkCreate(const std::vector<Enrolee>& e) override {
    if (absl::Status s = BeforeCall(); !s.ok()) return s;
    return inner_->BulkCreate(e);
  }
  absl::StatusOr<Enrolee> GetEnrolee(absl::string_view id) override {
    if (absl::Status s = BeforeCall(); !s.ok()) return s;
    return inner_->GetEnrolee(id);
  }
  absl::StatusOr<ListEnroleesResponse> ListEnrolees(const ListEnroleesRequest& r) override {
    if (absl::Status s = BeforeCall(); !s.ok()) return s;
    return inner_->ListEnrolees(r);
  }
  absl::StatusOr<Enrolee> SetState(absl::string_view id, EnroleeState state) override {
    if (absl::Status s = BeforeCall(); !s.ok()) return s;
    return inner_->SetState(id, state);
  }
  absl::Status DeleteEnrolee(absl::string_view id) override {
    if (absl::Status s = BeforeCall(); !s.ok()) return s;
    return inner_->DeleteEnrolee(id);
  }
  absl::StatusOr<Enrolee> RotateKpm(absl::string_view id, const SealedKey& k) override {
    if (absl::Status s = BeforeCall(); !s.ok()) return s;
    return inner_->RotateKpm(id, k);
  }
  absl::Status RecordEnrolment(const Enrolment& e) override {
    if (absl::Status s = BeforeCall(); !s.ok()) return s;
    return inner_->RecordEnrolment(e);
  }
  void RecordEnrolmentAsync(Enrolment e, std::function<void(absl::Status)> done) override {
    if (absl::Status s = BeforeCall(); !s.ok()) return done(s);
    inner_->RecordEnrolmentAsync(std::move(e), std::move(done));
  }
  absl::StatusOr<EnrolmentView> GetEnrolmentByKeId(const crypto::KeyId& id) override {
    if (absl::Status s = BeforeCall(); !s.ok()) return s;
    return inner_->GetEnrolmentByKeId(id);
  }
  absl::StatusOr<ListEnrolmentsResponse> ListEnrolments(const ListEnrolmentsRequest& r) override {
    if (absl::Status s = BeforeCall(); !s.ok()) return s;
    return inner_->ListEnrolments(r);
  }
  absl::Status RevokeEnrolment(const crypto::KeyId& id) override {
    if (absl::Status s = BeforeCall(); !s.ok()) return s;
    return inner_->RevokeEnrolment(id);
  }
  absl::StatusOr<std::vector<StateChange>> ListStateChangesSince(int64_t after,
                                                                 int limit) override {
    if (absl::Status s = BeforeCall(); !s.ok()) return s;
    return inner_->ListStateChangesSince(after, limit);
  }
  absl::StatusOr<int64_t> LatestChangeSeq() override {
    if (absl::Status s = BeforeCall(); !s.ok()) return s;
    return inner_->LatestChangeSeq();
  }
  absl::Status CheckHealth() override {
    if (absl::Status s = BeforeCall(); !s.ok()) return s;
    return inner_->CheckHealth();
  }
  absl::Status SetFetchGrants(absl::string_view id, const std::vector<FetchGrant>& g) override {
    if (absl::Status s = BeforeCall(); !s.ok()) return s;
    return inner_->SetFetchGrants(id, g);
  }
  absl::StatusOr<std::vector<FetchGrant>> GetFetchGrants(absl::string_view id) override {
    if (absl::Status s = BeforeCall(); !s.ok()) return s;
    return inner_->GetFetchGrants(id);
  }
  absl::StatusOr<std::vector<KekVersionCount>> CountKekVersions() override {
    if (absl::Status s = BeforeCall(); !s.ok()) return s;
    return inner_->CountKekVersions();
  }
  absl::StatusOr<RewrapResult> RewrapBatch(int32_t target_version, int limit,
                                           const Resealer& reseal) override {
    if (absl::Status s = BeforeCall(); !s.ok()) return s;
    return inner_->RewrapBatch(target_version, limit, reseal);
  }

 protected:
  // BeforeCall runs before every forwarded call; a non-OK status is returned (or handed to
  // `done`) instead of forwarding. Tests override it to take the store down.
  virtual absl::Status BeforeCall() { return absl::OkStatus(); }

 private:
  EnroleeStore* const inner_;
};

}  // namespace mef
}  // namespace onem2m

#endif  // ONEM2M_MEF_STORE_FORWARDING_ENROLEE_STORE_H_

#include "mef/credential/testing/fake_enrolee_store.h"

#include <utility>

namespace onem2m {
namespace mef {
namespace testing {
namespace {
absl::Status Down() { return absl::UnavailableError("fake store is down"); }
}  // namespace

#define FAKE_RETURN_IF_DOWN() \
  if (down_) return Down()

void FakeEnroleeStore::AppendLocked(StateChange change) {
  change.seq = static_cast<int64_t>(feed_.size()) + 1;
  change.changed_at = absl::Now();
  feed_.push_back(std::move(change));
}

absl::StatusOr<Enrolee> FakeEnroleeStore::CreateEnrolee(const Enrolee& enrolee) {
  FAKE_RETURN_IF_DOWN();
  absl::Status v = ValidateEnrolee(enrolee);
  if (!v.ok()) return v;
  absl::MutexLock lock(&mu_);
  if (enrolees_.count(enrolee.kpm_id)) return absl::AlreadyExistsError("kpm_id taken");
  Enrolee e = enrolee;
  e.created_at = e.updated_at = absl::Now();
  e.revision = static_cast<int64_t>(feed_.size());
  return enrolees_[e.kpm_id] = e;
}

absl::StatusOr<Enrolee> FakeEnroleeStore::GetEnrolee(absl::string_view kpm_id) {
  FAKE_RETURN_IF_DOWN();
  absl::MutexLock lock(&mu_);
  auto it = enrolees_.find(std::string(kpm_id));
  if (it == enrolees_.end()) return absl::NotFoundError("no such enrolee");
  return it->second;
}

absl::StatusOr<Enrolee> FakeEnroleeStore::SetState(absl::string_view kpm_id,
                                                   EnroleeState state) {
  FAKE_RETURN_IF_DOWN();
  absl::MutexLock lock(&mu_);
  auto it = enrolees_.find(std::string(kpm_id));
  if (it == enrolees_.end()) return absl::NotFoundError("no such enrolee");
  Enrolee& e = it->second;
  if (e.state == state) return e;
  if (e.state == EnroleeState::kRevoked) return absl::FailedPreconditionError("revoked");
  e.state = state;
  if (state == EnroleeState::kRevoked) {
    for (auto& [id, m] : enrolments_) {
      if (m.kpm_id != e.kpm_id || m.revoked) continue;
      m.revoked = true;
      AppendLocked({0, StateChange::Kind::kEnrolmentRevoked, e.kpm_id, id});
    }
  }
  AppendLocked({0, StateChange::Kind::kEnroleeState, e.kpm_id, "", state});
  e.revision = static_cast<int64_t>(feed_.size());
  return e;
}

absl::Status FakeEnroleeStore::DeleteEnrolee(absl::string_view kpm_id) {
  FAKE_RETURN_IF_DOWN();
  absl::MutexLock lock(&mu_);
  if (enrolees_.erase(std::string(kpm_id)) == 0) return absl::NotFoundError("no such enrolee");
  for (auto it = enrolments_.begin(); it != enrolments_.end();) {
    if (it->second.kpm_id != kpm_id) {
      ++it;
      continue;
    }
    AppendLocked({0, StateChange::Kind::kEnrolmentRevoked, std::string(kpm_id), it->first});
    it = enrolments_.erase(it);
  }
  AppendLocked({0, StateChange::Kind::kEnroleeDeleted, std::string(kpm_id)});
  return absl::OkStatus();
}

absl::Status FakeEnroleeStore::RecordEnrolment(const Enrolment& enrolment) {
  FAKE_RETURN_IF_DOWN();
  absl::Status v = ValidateEnrolment(enrolment);
  if (!v.ok()) return v;
  absl::MutexLock lock(&mu_);
  if (!enrolees_.count(enrolment.kpm_id)) return absl::NotFoundError("no such enrolee");
  if (enrolments_.count(enrolment.ke_id)) return absl::AlreadyExistsError("ke_id taken");
  enrolments_[enrolment.ke_id] = enrolment;
  return absl::OkStatus();
}

absl::StatusOr<EnrolmentView> FakeEnroleeStore::GetEnrolmentByKeId(absl::string_view ke_id) {
  FAKE_RETURN_IF_DOWN();
  absl::MutexLock lock(&mu_);
  auto it = enrolments_.find(std::string(ke_id));
  if (it == enrolments_.end()) return absl::NotFoundError("no such enrolment");
  const Enrolee& e = enrolees_.at(it->second.kpm_id);
  return EnrolmentView{it->second, e.state, e.not_after};
}

absl::Status FakeEnroleeStore::RevokeEnrolment(absl::string_view ke_id) {
  FAKE_RETURN_IF_DOWN();
  absl::MutexLock lock(&mu_);
  auto it = enrolments_.find(std::string(ke_id));
  if (it == enrolments_.end()) return absl::NotFoundError("no such enrolment");
  if (it->second.revoked) return absl::OkStatus();
  it->second.revoked = true;
  AppendLocked({0, StateChange::Kind::kEnrolmentRevoked, it->second.kpm_id, it->first});
  return absl::OkStatus();
}

absl::StatusOr<std::vector<StateChange>> FakeEnroleeStore::ListStateChangesSince(int64_t after_seq,
                                                                                 int limit) {
  FAKE_RETURN_IF_DOWN();
  absl::MutexLock lock(&mu_);
  std::vector<StateChange> out;
  for (size_t i = static_cast<size_t>(std::max<int64_t>(after_seq, 0));
       i < feed_.size() && static_cast<int>(out.size()) < limit; ++i) {
    out.push_back(feed_[i]);
  }
  return out;
}

absl::StatusOr<int64_t> FakeEnroleeStore::LatestChangeSeq() {
  FAKE_RETURN_IF_DOWN();
  absl::MutexLock lock(&mu_);
  return static_cast<int64_t>(feed_.size());
}

absl::Status FakeEnroleeStore::CheckHealth() {
  FAKE_RETURN_IF_DOWN();
  return absl::OkStatus();
}

}  // namespace testing
}  // namespace mef
}  // namespace onem2m

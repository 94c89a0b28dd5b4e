#include "mef/store/memory_enrolee_store.h"

#include <algorithm>
#include <utility>

#include "absl/container/flat_hash_set.h"
#include "absl/time/clock.h"
#include "common/kek/reseal_rows.h"
#include "common/paging/page_token.h"

namespace onem2m {
namespace mef {
namespace {

// Truncate to microseconds so both stores return the same timestamps (PostgreSQL's resolution).
absl::Time NowUs() { return absl::FromUnixMicros(absl::ToUnixMicros(absl::Now())); }

}  // namespace

absl::Status MemoryEnroleeStore::InsertLocked(const Enrolee& enrolee, absl::Time now) {
  if (enrolees_.count(enrolee.kpm_id) > 0) {
    return absl::AlreadyExistsError("an enrolee with this kpm_id exists");
  }
  Enrolee e = enrolee;
  e.created_at = now;
  e.updated_at = now;
  e.revision = ++seq_;
  if (e.not_after) *e.not_after = absl::FromUnixMicros(absl::ToUnixMicros(*e.not_after));
  if (e.enrolment_lifetime) {
    e.enrolment_lifetime = absl::Microseconds(absl::ToInt64Microseconds(*e.enrolment_lifetime));
  }
  if (!e.fetch_grants.empty()) grants_[e.kpm_id] = SortedUnique(std::move(e.fetch_grants));
  e.fetch_grants.clear();
  enrolees_.emplace(e.kpm_id, std::move(e));
  return absl::OkStatus();
}

void MemoryEnroleeStore::AddChangeLocked(StateChange change, absl::Time now) {
  change.seq = ++seq_;
  change.changed_at = now;
  changes_.push_back(std::move(change));
}

absl::StatusOr<Enrolee> MemoryEnroleeStore::CreateEnrolee(const Enrolee& enrolee) {
  absl::Status v = ValidateEnrolee(enrolee);
  if (!v.ok()) return v;
  absl::MutexLock lock(&mu_);
  absl::Status s = InsertLocked(enrolee, NowUs());
  if (!s.ok()) return s;
  return enrolees_.at(enrolee.kpm_id);
}

absl::StatusOr<std::vector<absl::Status>> MemoryEnroleeStore::BulkCreate(
    const std::vector<Enrolee>& enrolees) {
  std::vector<absl::Status> results(enrolees.size());
  absl::flat_hash_set<absl::string_view> seen;
  absl::MutexLock lock(&mu_);
  const absl::Time now = NowUs();
  for (size_t i = 0; i < enrolees.size(); ++i) {
    results[i] = ValidateEnrolee(enrolees[i]);
    if (!results[i].ok()) continue;
    if (!seen.insert(enrolees[i].kpm_id).second) {
      results[i] = absl::AlreadyExistsError("kpm_id repeated in this import");
      continue;
    }
    results[i] = InsertLocked(enrolees[i], now);
  }
  return results;
}

absl::StatusOr<Enrolee> MemoryEnroleeStore::GetEnrolee(absl::string_view kpm_id) {
  absl::MutexLock lock(&mu_);
  auto it = enrolees_.find(std::string(kpm_id));
  if (it == enrolees_.end()) return absl::NotFoundError("enrolee not found");
  return it->second;
}

absl::StatusOr<ListEnroleesResponse> MemoryEnroleeStore::ListEnrolees(
    const ListEnroleesRequest& request) {
  absl::StatusOr<std::string> after = paging::DecodePageToken(request.page_token, kEnroleePages);
  if (!after.ok()) return after.status();
  const size_t page = paging::ClampPageSize(request.page_size);
  ListEnroleesResponse out;
  absl::MutexLock lock(&mu_);
  for (auto it = enrolees_.upper_bound(*after); it != enrolees_.end(); ++it) {
    if (request.state && it->second.state != *request.state) continue;
    if (out.enrolees.size() == page) {
      out.next_page_token = paging::EncodePageToken(kEnroleePages, out.enrolees.back().kpm_id);
      break;
    }
    out.enrolees.push_back(it->second);
  }
  return out;
}

absl::StatusOr<Enrolee> MemoryEnroleeStore::SetState(absl::string_view kpm_id, EnroleeState state) {
  absl::MutexLock lock(&mu_);
  auto it = enrolees_.find(std::string(kpm_id));
  if (it == enrolees_.end()) return absl::NotFoundError("enrolee not found");
  Enrolee& e = it->second;
  if (e.state == EnroleeState::kRevoked && state != EnroleeState::kRevoked) {
    return absl::FailedPreconditionError("enrolee is revoked; revocation is terminal");
  }
  if (e.state == state) return e;
  const absl::Time now = NowUs();
  StateChange ch;
  ch.kind = StateChange::Kind::kEnroleeState;
  ch.kpm_id = e.kpm_id;
  ch.state = state;
  AddChangeLocked(ch, now);
  e.state = state;
  e.revision = seq_;
  e.updated_at = now;
  if (state == EnroleeState::kRevoked) {
    for (auto& [text, en] : enrolments_) {  // ke_id text order, like the PostgreSQL store
      if (en.kpm_id != e.kpm_id || en.revoked) continue;
      en.revoked = true;
      StateChange rc;
      rc.kind = StateChange::Kind::kEnrolmentRevoked;
      rc.kpm_id = e.kpm_id;
      rc.ke_id = en.ke_id;
      AddChangeLocked(rc, now);
    }
  }
  return e;
}

absl::Status MemoryEnroleeStore::DeleteEnrolee(absl::string_view kpm_id) {
  absl::MutexLock lock(&mu_);
  auto it = enrolees_.find(std::string(kpm_id));
  if (it == enrolees_.end()) return absl::NotFoundError("enrolee not found");
  grants_.erase(it->first);
  const absl::Time now = NowUs();
  for (auto en = enrolments_.begin(); en != enrolments_.end();) {
    if (en->second.kpm_id != it->first) {
      ++en;
      continue;
    }
    StateChange rc;
    rc.kind = StateChange::Kind::kEnrolmentRevoked;
    rc.kpm_id = it->first;
    rc.ke_id = en->second.ke_id;
    AddChangeLocked(rc, now);
    en = enrolments_.erase(en);
  }
  StateChange ch;
  ch.kind = StateChange::Kind::kEnroleeDeleted;
  ch.kpm_id = it->first;
  AddChangeLocked(ch, now);
  enrolees_.erase(it);
  return absl::OkStatus();
}

absl::StatusOr<Enrolee> MemoryEnroleeStore::RotateKpm(absl::string_view kpm_id,
                                                      const SealedKey& kpm) {
  if (kpm.ciphertext.empty()) return absl::InvalidArgumentError("sealed kpm must not be empty");
  absl::MutexLock lock(&mu_);
  auto it = enrolees_.find(std::string(kpm_id));
  if (it == enrolees_.end()) return absl::NotFoundError("enrolee not found");
  if (it->second.state == EnroleeState::kRevoked) {
    return absl::FailedPreconditionError("enrolee is revoked");
  }
  it->second.kpm = kpm;
  it->second.revision = ++seq_;
  it->second.updated_at = NowUs();
  return it->second;
}

absl::Status MemoryEnroleeStore::RecordEnrolment(const Enrolment& enrolment) {
  absl::Status v = ValidateEnrolment(enrolment);
  if (!v.ok()) return v;
  absl::MutexLock lock(&mu_);
  if (enrolees_.count(enrolment.kpm_id) == 0) {
    return absl::NotFoundError("record enrolment: enrolee not found");
  }
  std::string text = enrolment.ke_id.ToString();
  if (enrolments_.count(text) > 0) {
    return absl::AlreadyExistsError("record enrolment: ke_id already recorded");
  }
  Enrolment e = enrolment;
  e.expires_at = absl::FromUnixMicros(absl::ToUnixMicros(e.expires_at));
  e.created_at = e.created_at == absl::InfinitePast()
                     ? NowUs()
                     : absl::FromUnixMicros(absl::ToUnixMicros(e.created_at));
  e.revoked = false;
  enrolments_.emplace(std::move(text), std::move(e));
  return absl::OkStatus();
}

void MemoryEnroleeStore::RecordEnrolmentAsync(Enrolment enrolment,
                                              std::function<void(absl::Status)> done) {
  done(RecordEnrolment(enrolment));
}

absl::StatusOr<EnrolmentView> MemoryEnroleeStore::GetEnrolmentByKeId(const crypto::KeyId& ke_id) {
  absl::MutexLock lock(&mu_);
  auto it = enrolments_.find(ke_id.ToString());
  if (it == enrolments_.end()) return absl::NotFoundError("enrolment not found");
  const Enrolee& e = enrolees_.at(it->second.kpm_id);
  EnrolmentView view;
  view.enrolment = it->second;
  view.enrolee_state = e.state;
  view.enrolee_not_after = e.not_after;
  auto g = grants_.find(it->second.kpm_id);
  if (g != grants_.end()) view.fetch_grants = g->second;
  return view;
}

absl::Status MemoryEnroleeStore::SetFetchGrants(absl::string_view kpm_id,
                                                const std::vector<FetchGrant>& grants) {
  if (grants.size() > kMaxFetchGrants) return absl::InvalidArgumentError("too many fetch grants");
  for (const FetchGrant& g : grants) {
    absl::Status s = ValidateFetchGrant(g);
    if (!s.ok()) return s;
  }
  absl::MutexLock lock(&mu_);
  if (enrolees_.count(std::string(kpm_id)) == 0) return absl::NotFoundError("enrolee not found");
  if (grants.empty()) {
    grants_.erase(std::string(kpm_id));
  } else {
    grants_[std::string(kpm_id)] = SortedUnique(grants);
  }
  return absl::OkStatus();
}

absl::StatusOr<std::vector<FetchGrant>> MemoryEnroleeStore::GetFetchGrants(
    absl::string_view kpm_id) {
  absl::MutexLock lock(&mu_);
  if (enrolees_.count(std::string(kpm_id)) == 0) return absl::NotFoundError("enrolee not found");
  auto g = grants_.find(std::string(kpm_id));
  if (g == grants_.end()) return std::vector<FetchGrant>();
  return g->second;
}

absl::StatusOr<ListEnrolmentsResponse> MemoryEnroleeStore::ListEnrolments(
    const ListEnrolmentsRequest& request) {
  absl::StatusOr<std::string> after = paging::DecodePageToken(request.page_token, kEnrolmentPages);
  if (!after.ok()) return after.status();
  const size_t page = paging::ClampPageSize(request.page_size);
  ListEnrolmentsResponse out;
  absl::MutexLock lock(&mu_);
  for (auto it = enrolments_.upper_bound(*after); it != enrolments_.end(); ++it) {
    if (request.kpm_id && it->second.kpm_id != *request.kpm_id) continue;
    if (out.enrolments.size() == page) {
      out.next_page_token =
          paging::EncodePageToken(kEnrolmentPages, out.enrolments.back().ke_id.ToString());
      break;
    }
    out.enrolments.push_back(it->second);
  }
  return out;
}

absl::Status MemoryEnroleeStore::RevokeEnrolment(const crypto::KeyId& ke_id) {
  absl::MutexLock lock(&mu_);
  auto it = enrolments_.find(ke_id.ToString());
  if (it == enrolments_.end()) return absl::NotFoundError("enrolment not found");
  if (it->second.revoked) return absl::OkStatus();
  it->second.revoked = true;
  StateChange rc;
  rc.kind = StateChange::Kind::kEnrolmentRevoked;
  rc.kpm_id = it->second.kpm_id;
  rc.ke_id = it->second.ke_id;
  AddChangeLocked(rc, NowUs());
  return absl::OkStatus();
}

absl::StatusOr<std::vector<StateChange>> MemoryEnroleeStore::ListStateChangesSince(
    int64_t after_seq, int limit) {
  limit = std::clamp(limit, 1, 10000);
  absl::MutexLock lock(&mu_);
  auto it = std::upper_bound(changes_.begin(), changes_.end(), after_seq,
                             [](int64_t seq, const StateChange& c) { return seq < c.seq; });
  std::vector<StateChange> out;
  for (; it != changes_.end() && static_cast<int>(out.size()) < limit; ++it) out.push_back(*it);
  return out;
}

absl::StatusOr<int64_t> MemoryEnroleeStore::LatestChangeSeq() {
  absl::MutexLock lock(&mu_);
  return seq_;
}

absl::Status MemoryEnroleeStore::CheckHealth() { return absl::OkStatus(); }

absl::StatusOr<std::vector<KekVersionCount>> MemoryEnroleeStore::CountKekVersions() {
  absl::MutexLock lock(&mu_);
  std::map<std::pair<int, int32_t>, int64_t> counts;
  for (const auto& [id, e] : enrolees_) ++counts[{0, e.kpm.kek_version}];
  for (const auto& [id, e] : enrolments_) ++counts[{1, e.ke.kek_version}];
  std::vector<KekVersionCount> out;
  for (const auto& [key, rows] : counts) {
    out.push_back(KekVersionCount{
        key.first == 0 ? SealedColumn::kEnroleeKpm : SealedColumn::kEnrolmentKe, key.second, rows});
  }
  return out;
}

absl::StatusOr<RewrapResult> MemoryEnroleeStore::RewrapBatch(int32_t target_version, int limit,
                                                             const Resealer& reseal) {
  limit = std::clamp(limit, 1, 10000);
  // Same shape as the PostgreSQL store: read a batch, re-seal without the lock, then update each
  // row only if its blob is unchanged.
  std::vector<kek::PendingRow<SealedColumn, SealedKey>> batch;
  {
    absl::MutexLock lock(&mu_);
    for (const auto& [id, e] : enrolees_) {
      if (static_cast<int>(batch.size()) >= limit) break;
      if (e.kpm.kek_version != target_version)
        batch.push_back({SealedColumn::kEnroleeKpm, id, e.kpm});
    }
    for (const auto& [id, e] : enrolments_) {
      if (static_cast<int>(batch.size()) >= limit) break;
      if (e.ke.kek_version != target_version)
        batch.push_back({SealedColumn::kEnrolmentKe, id, e.ke});
    }
  }
  absl::StatusOr<kek::RewrapCounts> n =
      kek::ResealRows(batch, reseal,
                      [this](const kek::PendingRow<SealedColumn, SealedKey>& p,
                             SealedKey fresh) -> absl::StatusOr<bool> {
                        absl::MutexLock lock(&mu_);
                        SealedKey* cur = nullptr;
                        if (p.column == SealedColumn::kEnroleeKpm) {
                          auto it = enrolees_.find(p.id);
                          if (it != enrolees_.end()) cur = &it->second.kpm;
                        } else {
                          auto it = enrolments_.find(p.id);
                          if (it != enrolments_.end()) cur = &it->second.ke;
                        }
                        if (cur == nullptr || cur->ciphertext != p.old.ciphertext) return false;
                        *cur = std::move(fresh);
                        return true;
                      });
  if (!n.ok()) return n.status();
  RewrapResult result;
  result.rewrapped = n->rewrapped;
  result.raced = n->raced;
  absl::MutexLock lock(&mu_);
  for (const auto& [id, e] : enrolees_) result.left += e.kpm.kek_version != target_version;
  for (const auto& [id, e] : enrolments_) result.left += e.ke.kek_version != target_version;
  return result;
}

}  // namespace mef
}  // namespace onem2m

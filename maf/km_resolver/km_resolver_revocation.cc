// KmResolver's revocation side: tombstones, store writes that raced a fetch (retried, counted),
// cache drops. See km_resolver.h.
#include <memory>
#include <optional>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/crypto/key_derivation.h"
#include "common/crypto/key_id.h"
#include "maf/km_resolver/km_resolver.h"

namespace onem2m {
namespace maf {

void KmResolver::RevokeInStore(const crypto::KeyId& ke_id, const Revocation& why) {
  absl::Status s = o_.store->RevokeByKeId(ke_id, why).status();
  if (s.ok()) return;
  {
    absl::MutexLock l(&mu_);
    ++stats_.revocation_write_failures;
    pending_revocations_.emplace(ke_id, why);
  }
  if (o_.on_revocation_write_failed) o_.on_revocation_write_failed(s);
}

void KmResolver::RetryPendingRevocations() {
  std::map<crypto::KeyId, Revocation> pending;
  {
    absl::MutexLock l(&mu_);
    if (pending_revocations_.empty()) return;
    pending.swap(pending_revocations_);
  }
  // RevokeInStore puts back (and counts) each one that fails again.
  for (const auto& [ke_id, why] : pending) RevokeInStore(ke_id, why);
}

bool KmResolver::TombstonedLocked(const crypto::KeyId& ke_id, const std::string& enrolee_id) {
  const absl::Time now = Now();
  auto k = revoked_ke_ids_.find(ke_id);
  if (k != revoked_ke_ids_.end() && now < k->second) return true;
  auto e = revoked_enrolees_.find(enrolee_id);
  return e != revoked_enrolees_.end() && now < e->second;
}

void KmResolver::PruneTombstonesLocked() {
  // Pruned on the (rare) revocation path, so the maps hold only the last tombstone_ttl's worth.
  const absl::Time now = Now();
  for (auto it = revoked_ke_ids_.begin(); it != revoked_ke_ids_.end();) {
    it = now >= it->second ? revoked_ke_ids_.erase(it) : std::next(it);
  }
  for (auto it = revoked_enrolees_.begin(); it != revoked_enrolees_.end();) {
    it = now >= it->second ? revoked_enrolees_.erase(it) : std::next(it);
  }
}

// EraseKmIds drops the cached Km of every KmID the store revoked.
void KmResolver::EraseKmIdsLocked(const std::vector<crypto::KeyId>& km_ids) {
  for (const crypto::KeyId& km_id : km_ids) cache_.EraseKmId(km_id);
}

absl::Status KmResolver::OnRevokedKeId(const crypto::KeyId& ke_id, const Revocation& why) {
  {
    absl::MutexLock l(&mu_);
    cache_.EraseKeId(ke_id);  // known or unknown
    TombstoneKeIdLocked(ke_id);
  }
  absl::StatusOr<std::vector<crypto::KeyId>> km_ids = o_.store->RevokeByKeId(ke_id, why);
  if (!km_ids.ok()) return km_ids.status();
  absl::MutexLock l(&mu_);
  EraseKmIdsLocked(*km_ids);
  return absl::OkStatus();
}

absl::Status KmResolver::OnRevokedEnrolee(absl::string_view enrolee_id, const Revocation& why) {
  {
    absl::MutexLock l(&mu_);
    cache_.EraseEnrolee(enrolee_id);
    PruneTombstonesLocked();
    revoked_enrolees_[std::string(enrolee_id)] = Now() + o_.tombstone_ttl;
  }
  absl::StatusOr<std::vector<crypto::KeyId>> km_ids = o_.store->RevokeByEnroleeId(enrolee_id, why);
  if (!km_ids.ok()) return km_ids.status();
  absl::MutexLock l(&mu_);
  EraseKmIdsLocked(*km_ids);
  return absl::OkStatus();
}

void KmResolver::ForgetKmId(const crypto::KeyId& km_id) {
  absl::MutexLock l(&mu_);
  // Its KeID, if cached, is tombstoned too: a first contact with it is refused without asking the
  // MEF (BeforeFetch), as the store read before the fetch used to refuse it.
  std::optional<crypto::KeyId> ke_id;
  cache_.EraseKmId(km_id, &ke_id);
  if (ke_id.has_value()) TombstoneKeIdLocked(*ke_id);
}

void KmResolver::TombstoneKeIdLocked(const crypto::KeyId& ke_id) {
  PruneTombstonesLocked();
  revoked_ke_ids_[ke_id] = Now() + o_.tombstone_ttl;
}

void KmResolver::OnMefResync(absl::string_view mef_fqdn) {
  absl::MutexLock l(&mu_);
  cache_.EraseMef(mef_fqdn);
}

}  // namespace maf
}  // namespace onem2m

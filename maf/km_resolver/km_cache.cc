#include "maf/km_resolver/km_cache.h"

namespace onem2m {
namespace maf {

void KmCache::EraseIter(Iter it) {
  km_id_by_ke_id_.erase(it->km.ke_id);
  by_km_id_.erase(it->km.km_id);
  lru_.erase(it);  // ~SecretBytes wipes the Km
}

void KmCache::Put(const ResolvedKm& entry, absl::Time valid_until) {
  EraseKmId(entry.km_id);
  EraseKeId(entry.ke_id);
  while (lru_.size() >= capacity_) EraseIter(std::prev(lru_.end()));
  lru_.push_front(Entry{entry, valid_until});
  by_km_id_[entry.km_id] = lru_.begin();
  km_id_by_ke_id_[entry.ke_id] = entry.km_id;
}

std::optional<ResolvedKm> KmCache::GetByKmId(const crypto::KeyId& km_id, absl::Time now) {
  auto it = by_km_id_.find(km_id);
  if (it == by_km_id_.end()) return std::nullopt;
  Iter e = it->second;
  if (now >= e->valid_until || now >= e->km.expires_at) {
    EraseIter(e);
    return std::nullopt;
  }
  lru_.splice(lru_.begin(), lru_, e);
  return e->km;
}

std::optional<ResolvedKm> KmCache::GetByKeId(const crypto::KeyId& ke_id, absl::Time now) {
  auto it = km_id_by_ke_id_.find(ke_id);
  if (it == km_id_by_ke_id_.end()) return std::nullopt;
  const crypto::KeyId km_id = it->second;  // a copy: GetByKmId may erase the entry
  return GetByKmId(km_id, now);
}

int KmCache::EraseKmId(const crypto::KeyId& km_id) {
  auto it = by_km_id_.find(km_id);
  if (it == by_km_id_.end()) return 0;
  EraseIter(it->second);
  return 1;
}

int KmCache::EraseKeId(const crypto::KeyId& ke_id) {
  auto it = km_id_by_ke_id_.find(ke_id);
  if (it == km_id_by_ke_id_.end()) return 0;
  const crypto::KeyId km_id = it->second;  // a copy: erasing drops the map entry it lives in
  return EraseKmId(km_id);
}

int KmCache::EraseEnrolee(absl::string_view enrolee_id) {
  int n = 0;
  for (auto it = lru_.begin(); it != lru_.end();) {
    auto next = std::next(it);
    if (it->km.enrolee_id == enrolee_id) {
      EraseIter(it);
      ++n;
    }
    it = next;
  }
  return n;
}

int KmCache::EraseMef(absl::string_view mef_fqdn) {
  int n = 0;
  for (auto it = lru_.begin(); it != lru_.end();) {
    auto next = std::next(it);
    if (it->km.mef_fqdn == mef_fqdn) {
      EraseIter(it);
      ++n;
    }
    it = next;
  }
  return n;
}

void KmCache::Clear() {
  by_km_id_.clear();
  km_id_by_ke_id_.clear();
  lru_.clear();
}

}  // namespace maf
}  // namespace onem2m

#include "maf/km_resolver/km_cache.h"

namespace onem2m {
namespace maf {

void KmCache::EraseIter(Iter it) {
  km_id_by_ke_id_.erase(it->km.ke_id);
  by_km_id_.erase(it->km.km_id);
  lru_[Index(it->kind)].erase(it);  // ~SecretBytes wipes the Km
}

void KmCache::Put(const ResolvedKm& entry, absl::Time valid_until, Kind kind) {
  EraseKmId(entry.km_id);
  EraseKeId(entry.ke_id);
  std::list<Entry>& lru = lru_[Index(kind)];
  while (lru.size() >= capacity_[Index(kind)]) EraseIter(std::prev(lru.end()));
  lru.push_front(Entry{entry, valid_until, kind});
  by_km_id_[entry.km_id] = lru.begin();
  km_id_by_ke_id_[entry.ke_id] = entry.km_id;
}

std::optional<ResolvedKm> KmCache::GetByKmId(const crypto::KeyId& km_id, absl::Time now,
                                             Kind* kind) {
  auto it = by_km_id_.find(km_id);
  if (it == by_km_id_.end()) return std::nullopt;
  Iter e = it->second;
  if (now >= e->valid_until || now >= e->km.expires_at) {
    EraseIter(e);
    return std::nullopt;
  }
  std::list<Entry>& lru = lru_[Index(e->kind)];
  lru.splice(lru.begin(), lru, e);
  if (kind != nullptr) *kind = e->kind;
  return e->km;
}

std::optional<ResolvedKm> KmCache::GetByKeId(const crypto::KeyId& ke_id, absl::Time now,
                                             Kind* kind) {
  auto it = km_id_by_ke_id_.find(ke_id);
  if (it == km_id_by_ke_id_.end()) return std::nullopt;
  const crypto::KeyId km_id = it->second;  // a copy: GetByKmId may erase the entry
  return GetByKmId(km_id, now, kind);
}

int KmCache::EraseKmId(const crypto::KeyId& km_id, std::optional<crypto::KeyId>* known_ke_id) {
  auto it = by_km_id_.find(km_id);
  if (it == by_km_id_.end()) return 0;
  if (known_ke_id != nullptr && it->second->kind == Kind::kKnown) {
    *known_ke_id = it->second->km.ke_id;
  }
  EraseIter(it->second);
  return 1;
}

int KmCache::EraseKeId(const crypto::KeyId& ke_id) {
  auto it = km_id_by_ke_id_.find(ke_id);
  if (it == km_id_by_ke_id_.end()) return 0;
  const crypto::KeyId km_id = it->second;  // a copy: erasing drops the map entry it lives in
  return EraseKmId(km_id);
}

template <typename Pred>
int KmCache::EraseIf(Pred pred) {
  int n = 0;
  for (std::list<Entry>& lru : lru_) {
    for (auto it = lru.begin(); it != lru.end();) {
      auto next = std::next(it);
      if (pred(it->km)) {
        EraseIter(it);
        ++n;
      }
      it = next;
    }
  }
  return n;
}

int KmCache::EraseEnrolee(absl::string_view enrolee_id) {
  return EraseIf([&](const ResolvedKm& km) { return km.enrolee_id == enrolee_id; });
}

int KmCache::EraseMef(absl::string_view mef_fqdn) {
  return EraseIf([&](const ResolvedKm& km) { return km.mef_fqdn == mef_fqdn; });
}

void KmCache::Clear() {
  by_km_id_.clear();
  km_id_by_ke_id_.clear();
  for (std::list<Entry>& lru : lru_) lru.clear();
}

}  // namespace maf
}  // namespace onem2m

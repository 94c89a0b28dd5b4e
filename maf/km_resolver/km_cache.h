// File: maf/km_resolver/km_cache.h
//
// KmCache is the KmResolver's bounded in-memory cache of resolved Km, looked up by KmID or by KeID,
// least-recently-used eviction. Km lives in SecretBytes, so every copy (the cached one on eviction
// or invalidation, the caller's when it is done) is wiped when destroyed.
//
//   KmCache cache(/*capacity=*/10000);
//   cache.Put(resolved, /*valid_until=*/std::min(resolved.expires_at, now + ttl));
//   std::optional<ResolvedKm> hit = cache.GetByKeId(ke_id, now);   // ke_id: a crypto::KeyId
//
// Entries are keyed by crypto::KeyId (common/crypto/key_id.h), so a KeID or KmID matches whatever
// hex case it was presented in: there is no string form of a key here to get wrong.
//
// Not thread-safe: the resolver guards it with its mutex.
#ifndef ONEM2M_MAF_KM_RESOLVER_KM_CACHE_H_
#define ONEM2M_MAF_KM_RESOLVER_KM_CACHE_H_

#include <list>
#include <map>
#include <optional>
#include <string>

#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "common/crypto/key_id.h"
#include "common/secret_bytes.h"

namespace onem2m {
namespace maf {

// ResolvedKm is what the handshake needs: psk = km, and who the peer is.
struct ResolvedKm {
  SecretBytes km;
  crypto::KeyId km_id;
  crypto::KeyId ke_id;
  std::string enrolee_id;
  std::string mef_fqdn;
  absl::Time expires_at = absl::InfinitePast();  // the Ke's expiry: Km is refused at or after it
};

class KmCache {
 public:
  explicit KmCache(size_t capacity) : capacity_(capacity == 0 ? 1 : capacity) {}

  // Put inserts or replaces the entry for entry.km_id, usable until `valid_until`.
  void Put(const ResolvedKm& entry, absl::Time valid_until);

  // GetByKmId / GetByKeId return a copy of a live entry (refreshing its LRU position), dropping it
  // if it is past valid_until at `now`.
  std::optional<ResolvedKm> GetByKmId(const crypto::KeyId& km_id, absl::Time now);
  std::optional<ResolvedKm> GetByKeId(const crypto::KeyId& ke_id, absl::Time now);

  // Erase* drop matching entries (revocation, MEF resync). They return how many were dropped.
  int EraseKmId(const crypto::KeyId& km_id);
  int EraseKeId(const crypto::KeyId& ke_id);
  int EraseEnrolee(absl::string_view enrolee_id);
  int EraseMef(absl::string_view mef_fqdn);
  void Clear();

  size_t size() const { return lru_.size(); }

 private:
  struct Entry {
    ResolvedKm km;
    absl::Time valid_until;
  };
  using Iter = std::list<Entry>::iterator;

  void EraseIter(Iter it);

  const size_t capacity_;
  std::list<Entry> lru_;  // front = most recently used
  std::map<crypto::KeyId, Iter> by_km_id_;
  std::map<crypto::KeyId, crypto::KeyId> km_id_by_ke_id_;
};

}  // namespace maf
}  // namespace onem2m

#endif  // ONEM2M_MAF_KM_RESOLVER_KM_CACHE_H_

// File: maf/km_resolver/km_cache.h
//
// KmCache is the KmResolver's bounded in-memory cache of resolved Km, looked up by KmID or by KeID,
// least-recently-used eviction. Km lives in SecretBytes, so every copy (the cached one on eviction
// or invalidation, the caller's when it is done) is wiped when destroyed.
//
//   KmCache cache(/*known_capacity=*/10000, /*unknown_capacity=*/10000);
//   cache.Put(resolved, /*valid_until=*/std::min(resolved.expires_at, now + ttl));
//   cache.Put(decoy_entry, now + negative_ttl, KmCache::Kind::kUnknown);
//   KmCache::Kind kind;
//   std::optional<ResolvedKm> hit = cache.GetByKeId(ke_id, now, &kind);   // ke_id: a crypto::KeyId
//
// It holds two kinds of entry: known (a resolved Km) and unknown (an identity that resolves to
// nothing, remembered with the decoy Km so that answering it copies what a known entry copies).
// Both kinds live in one index, so a lookup does the same search whichever kind it finds
// (docs/protocol.md 7, "Identity privacy": two separate maps of different sizes made a cached known
// KmID measurably slower to answer than a cached unknown one). Each kind has its own capacity and
// LRU order, so a flood of made-up identities evicts only other made-up identities.
//
// Entries are keyed by crypto::KeyId (common/crypto/key_id.h), so a KeID or KmID matches whatever
// hex case it was presented in: there is no string form of a key here to get wrong.
//
// Not thread-safe: the resolver guards it with its mutex.
#ifndef ONEM2M_MAF_KM_RESOLVER_KM_CACHE_H_
#define ONEM2M_MAF_KM_RESOLVER_KM_CACHE_H_

#include <algorithm>
#include <list>
#include <optional>
#include <string>

#include "absl/container/flat_hash_map.h"
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
  enum class Kind { kKnown = 0, kUnknown = 1 };

  // A capacity of 0 is taken as 1.
  explicit KmCache(size_t capacity) : KmCache(capacity, capacity) {}
  KmCache(size_t known_capacity, size_t unknown_capacity)
      : capacity_{std::max<size_t>(known_capacity, 1), std::max<size_t>(unknown_capacity, 1)} {}

  // Put inserts or replaces (whatever its kind) the entry for entry.km_id and for entry.ke_id,
  // usable until `valid_until`. The resolver stores an unknown KeID with a random KmID (and an
  // unknown KmID with a random KeID), so its entry has the shape of a known one.
  void Put(const ResolvedKm& entry, absl::Time valid_until, Kind kind = Kind::kKnown);

  // GetByKmId / GetByKeId return a copy of a live entry (refreshing its LRU position) and set
  // *kind (when not null) to its kind, dropping it if it is past valid_until at `now`.
  std::optional<ResolvedKm> GetByKmId(const crypto::KeyId& km_id, absl::Time now,
                                      Kind* kind = nullptr);
  std::optional<ResolvedKm> GetByKeId(const crypto::KeyId& ke_id, absl::Time now,
                                      Kind* kind = nullptr);

  // Erase* drop matching entries (revocation, MEF resync). They return how many were dropped.
  // EraseKmId sets *known_ke_id (when not null) to the KeID of the entry it dropped if that entry
  // was a known one, and leaves it empty otherwise; the Km is not copied.
  int EraseKmId(const crypto::KeyId& km_id,
                std::optional<crypto::KeyId>* known_ke_id = nullptr);
  int EraseKeId(const crypto::KeyId& ke_id);
  int EraseEnrolee(absl::string_view enrolee_id);
  int EraseMef(absl::string_view mef_fqdn);
  void Clear();

  size_t size() const { return lru_[0].size() + lru_[1].size(); }
  size_t size(Kind kind) const { return lru_[Index(kind)].size(); }

 private:
  struct Entry {
    ResolvedKm km;
    absl::Time valid_until;
    Kind kind;
  };
  using Iter = std::list<Entry>::iterator;

  static size_t Index(Kind kind) { return static_cast<size_t>(kind); }
  void EraseIter(Iter it);
  // EraseIf drops the entries (of both kinds) `pred` matches and returns how many.
  template <typename Pred>
  int EraseIf(Pred pred);

  const size_t capacity_[2];
  std::list<Entry> lru_[2];  // one per Kind; front = most recently used
  // Hash maps, not ordered ones: an ordered map compares FQDN first, so its search cost depended on
  // how many cached identities share the looked-up one's FQDN, which differs between a KmID
  // (this MAF's FQDN) a known KeID maps to and an unknown KeID (its MEF's FQDN).
  absl::flat_hash_map<crypto::KeyId, Iter> by_km_id_;
  absl::flat_hash_map<crypto::KeyId, crypto::KeyId> km_id_by_ke_id_;
};

}  // namespace maf
}  // namespace onem2m

#endif  // ONEM2M_MAF_KM_RESOLVER_KM_CACHE_H_

// File: maf/km_resolver/cache_ttls.h
//
// ResolveCacheTtls checks the MAF's --cache_ttl and --negative_ttl (KmResolverOptions::cache_ttl
// and negative_ttl) and returns the pair to use. Known identities (cached Km) and unknown ones
// (the negative cache) must leave memory at the same pace: with different lifetimes a prober could
// tell a known KeID or KmID from an unknown one by when its answer stops coming from memory
// (docs/protocol.md 7, "Identity privacy"). So a negative_ttl of zero means "the same as
// cache_ttl", and any other value must equal it.
//
//   absl::StatusOr<CacheTtls> ttls = ResolveCacheTtls(absl::Seconds(60), absl::ZeroDuration());
//   ko.cache_ttl = ttls->cache_ttl;  ko.negative_ttl = ttls->negative_ttl;  // both 60 s
#ifndef ONEM2M_MAF_KM_RESOLVER_CACHE_TTLS_H_
#define ONEM2M_MAF_KM_RESOLVER_CACHE_TTLS_H_

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace onem2m::maf {

struct CacheTtls {
  absl::Duration cache_ttl;
  absl::Duration negative_ttl;
};

// Bounds of cache_ttl: at least a second (below that every handshake asks the MEF or the store
// again), at most an hour (it bounds how long a revocation made elsewhere may go unseen while the
// revocation watch is down).
inline constexpr absl::Duration kMinCacheTtl = absl::Seconds(1);
inline constexpr absl::Duration kMaxCacheTtl = absl::Hours(1);

// ResolveCacheTtls: InvalidArgument (naming the flag) for a cache_ttl outside
// kMinCacheTtl..kMaxCacheTtl, a negative negative_ttl, or one that is neither zero nor cache_ttl.
absl::StatusOr<CacheTtls> ResolveCacheTtls(absl::Duration cache_ttl, absl::Duration negative_ttl);

}  // namespace onem2m::maf

#endif  // ONEM2M_MAF_KM_RESOLVER_CACHE_TTLS_H_

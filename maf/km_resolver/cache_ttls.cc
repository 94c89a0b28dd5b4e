#include "maf/km_resolver/cache_ttls.h"

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace onem2m::maf {

absl::StatusOr<CacheTtls> ResolveCacheTtls(absl::Duration cache_ttl, absl::Duration negative_ttl) {
  if (cache_ttl < kMinCacheTtl || cache_ttl > kMaxCacheTtl) {
    return absl::InvalidArgumentError(absl::StrCat("--cache_ttl must be between ",
                                                   absl::FormatDuration(kMinCacheTtl), " and ",
                                                   absl::FormatDuration(kMaxCacheTtl)));
  }
  if (negative_ttl < absl::ZeroDuration()) {
    return absl::InvalidArgumentError("--negative_ttl must not be negative");
  }
  if (negative_ttl == absl::ZeroDuration()) return CacheTtls{cache_ttl, cache_ttl};
  if (negative_ttl != cache_ttl) {
    // docs/protocol.md 7: unknown and known identities must leave their caches at the same pace.
    return absl::InvalidArgumentError(
        "--negative_ttl must be 0 (same as --cache_ttl) or equal to --cache_ttl: a different "
        "lifetime would let a prober tell known identities from unknown ones");
  }
  return CacheTtls{cache_ttl, negative_ttl};
}

}  // namespace onem2m::maf

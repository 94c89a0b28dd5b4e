#include "maf/km_resolver/cache_ttls.h"

#include "common/testing/status_matchers.h"
#include "gtest/gtest.h"

namespace onem2m::maf {
namespace {

using ::onem2m::testing::IsOk;
using ::onem2m::testing::StatusIs;

TEST(ResolveCacheTtls, ZeroNegativeTtlFollowsCacheTtl) {
  absl::StatusOr<CacheTtls> t = ResolveCacheTtls(absl::Seconds(90), absl::ZeroDuration());
  ASSERT_THAT(t, IsOk());
  EXPECT_EQ(t->cache_ttl, absl::Seconds(90));
  EXPECT_EQ(t->negative_ttl, absl::Seconds(90));
}

TEST(ResolveCacheTtls, EqualValuesAreKept) {
  absl::StatusOr<CacheTtls> t = ResolveCacheTtls(absl::Minutes(2), absl::Minutes(2));
  ASSERT_THAT(t, IsOk());
  EXPECT_EQ(t->negative_ttl, absl::Minutes(2));
}

TEST(ResolveCacheTtls, DifferentNegativeTtlIsRefused) {
  // Shorter or longer: either would tell known identities from unknown ones.
  for (absl::Duration n : {absl::Seconds(5), absl::Seconds(300)}) {
    absl::StatusOr<CacheTtls> t = ResolveCacheTtls(absl::Seconds(30), n);
    EXPECT_THAT(t, StatusIs(absl::StatusCode::kInvalidArgument)) << n;
    EXPECT_NE(t.status().message().find("--negative_ttl"), absl::string_view::npos);
  }
  EXPECT_THAT(ResolveCacheTtls(absl::Seconds(30), -absl::Seconds(1)),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(ResolveCacheTtls, CacheTtlOutsideBoundsIsRefused) {
  for (absl::Duration c :
       {absl::ZeroDuration(), absl::Milliseconds(999), absl::Hours(1) + absl::Seconds(1)}) {
    absl::StatusOr<CacheTtls> t = ResolveCacheTtls(c, absl::ZeroDuration());
    EXPECT_THAT(t, StatusIs(absl::StatusCode::kInvalidArgument)) << c;
    EXPECT_NE(t.status().message().find("--cache_ttl"), absl::string_view::npos);
  }
  EXPECT_THAT(ResolveCacheTtls(kMinCacheTtl, absl::ZeroDuration()), IsOk());
  EXPECT_THAT(ResolveCacheTtls(kMaxCacheTtl, absl::ZeroDuration()), IsOk());
}

}  // namespace
}  // namespace onem2m::maf

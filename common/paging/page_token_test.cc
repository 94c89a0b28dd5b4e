#include "common/paging/page_token.h"

#include "common/testing/status_matchers.h"
#include "gtest/gtest.h"

namespace onem2m::paging {
namespace {

using ::onem2m::testing::StatusIs;

TEST(PageTokenTest, RoundTripsAndBindsTheFilter) {
  const std::string t = EncodePageToken("s=1;m=", "store-token\x01");
  ASSERT_FALSE(t.empty());
  absl::StatusOr<std::string> back = DecodePageToken(t, "s=1;m=");
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(*back, "store-token\x01");
  EXPECT_THAT(DecodePageToken(t, "s=2;m="), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(DecodePageToken("!!", "s=1;m="), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_EQ(EncodePageToken("s=1;m=", ""), "");     // last page
  EXPECT_EQ(*DecodePageToken("", "anything"), "");  // first page
}

TEST(PageTokenTest, TokenForAnotherFilterIsRejected) {
  std::string t = EncodePageToken("clients|active|", "MC01");
  EXPECT_EQ(*DecodePageToken(t, "clients|active|"), "MC01");
  EXPECT_THAT(DecodePageToken(t, "clients|revoked|"), StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(PageTokenTest, GarbageIsRejected) {
  EXPECT_THAT(DecodePageToken("!!", "x"), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(DecodePageToken("aGVsbG8", "x"), StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(PageTokenTest, FilterBoundaryIsUnambiguous) {
  // Filter "ab" with key "c" must not decode under filter "a" as key "bc".
  const std::string t = EncodePageToken("ab", "c");
  EXPECT_FALSE(DecodePageToken(t, "a").ok());
}

TEST(ClampPageSizeTest, DefaultsAndBounds) {
  EXPECT_EQ(ClampPageSize(0), 100);
  EXPECT_EQ(ClampPageSize(-5), 100);
  EXPECT_EQ(ClampPageSize(7), 7);
  EXPECT_EQ(ClampPageSize(5000), 1000);
}

}  // namespace
}  // namespace onem2m::paging

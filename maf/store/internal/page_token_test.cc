#include "maf/store/internal/page_token.h"

#include "gtest/gtest.h"

namespace onem2m {
namespace maf {
namespace internal {
namespace {

TEST(PageTokenTest, RoundTripsTheLastKey) {
  std::string t = EncodePageToken("clients|active|", "MC01");
  absl::StatusOr<std::string> k = DecodePageToken(t, "clients|active|");
  ASSERT_TRUE(k.ok());
  EXPECT_EQ(*k, "MC01");
}

TEST(PageTokenTest, EmptyTokenIsTheFirstPage) {
  EXPECT_EQ(*DecodePageToken("", "x"), "");
}

TEST(PageTokenTest, TokenForAnotherFilterIsRejected) {
  std::string t = EncodePageToken("clients|active|", "MC01");
  EXPECT_EQ(DecodePageToken(t, "clients|revoked|").status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(PageTokenTest, GarbageIsRejected) {
  EXPECT_EQ(DecodePageToken("!!", "x").status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(DecodePageToken("aGVsbG8", "x").status().code(), absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace internal
}  // namespace maf
}  // namespace onem2m

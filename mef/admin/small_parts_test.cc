// Tests of the admin service's small parts: page tokens and the admin allow-list.
#include "gtest/gtest.h"
#include "mef/admin/admin_authorizer.h"
#include "mef/admin/page_token.h"

namespace onem2m {
namespace mef {
namespace {

TEST(PageTokenTest, RoundTripsAndBindsTheFilter) {
  const std::string t = EncodePageToken("s=1;m=", "store-token\x01");
  ASSERT_FALSE(t.empty());
  absl::StatusOr<std::string> back = DecodePageToken(t, "s=1;m=");
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(*back, "store-token\x01");
  EXPECT_EQ(DecodePageToken(t, "s=2;m=").status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(DecodePageToken("!!", "s=1;m=").status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(EncodePageToken("s=1;m=", ""), "");          // last page
  EXPECT_EQ(*DecodePageToken("", "anything"), "");       // first page
}

TEST(AdminAuthorizerTest, AllowListDecides) {
  AdminAuthorizer auth({"ops.example.com"});
  EXPECT_EQ(auth.Authorize({}).status().code(), absl::StatusCode::kUnauthenticated);
  EXPECT_EQ(auth.Authorize({"maf.example.com"}).status().code(),
            absl::StatusCode::kPermissionDenied);
  absl::StatusOr<std::string> who = auth.Authorize({"x.example.com", "ops.example.com"});
  ASSERT_TRUE(who.ok());
  EXPECT_EQ(*who, "ops.example.com");
  EXPECT_FALSE(auth.Authorize({"OPS.example.com"}).ok());  // exact match only
}

}  // namespace
}  // namespace mef
}  // namespace onem2m

// Tests of the admin service's allow-list (page tokens: common/paging/page_token_test.cc).
#include "common/testing/status_matchers.h"
#include "gtest/gtest.h"
#include "mef/admin/admin_authorizer.h"

namespace onem2m {
namespace mef {
namespace {

using ::onem2m::testing::StatusIs;

TEST(AdminAuthorizerTest, AllowListDecides) {
  AdminAuthorizer auth({"ops.example.com"});
  EXPECT_THAT(auth.Authorize({}), StatusIs(absl::StatusCode::kUnauthenticated));
  EXPECT_THAT(auth.Authorize({"maf.example.com"}), StatusIs(absl::StatusCode::kPermissionDenied));
  absl::StatusOr<std::string> who = auth.Authorize({"x.example.com", "ops.example.com"});
  ASSERT_TRUE(who.ok());
  EXPECT_EQ(*who, "ops.example.com");
  EXPECT_FALSE(auth.Authorize({"OPS.example.com"}).ok());  // exact match only
}

}  // namespace
}  // namespace mef
}  // namespace onem2m

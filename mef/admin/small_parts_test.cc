// Tests of the admin service's allow-list (page tokens: common/paging/page_token_test.cc).
#include "gtest/gtest.h"
#include "mef/admin/admin_authorizer.h"

namespace onem2m {
namespace mef {
namespace {

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

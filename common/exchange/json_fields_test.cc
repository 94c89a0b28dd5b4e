#include "common/exchange/internal/json_fields.h"

#include "gtest/gtest.h"

namespace onem2m {
namespace exchange {
namespace internal {
namespace {

TEST(JsonFieldsTest, DeepNestingIsRefused) {
  std::string deep = "{\"a\":" + std::string(100, '[') + std::string(100, ']') + "}";
  absl::StatusOr<nlohmann::json> j = ParseStrictJson(deep);
  ASSERT_FALSE(j.ok());
  EXPECT_NE(j.status().message().find("nesting"), std::string::npos);
}

TEST(JsonFieldsTest, DuplicateKeysInNestedObjectsAreRefused) {
  EXPECT_FALSE(ParseStrictJson(R"({"a":{"b":1,"b":2}})").ok());
  EXPECT_TRUE(ParseStrictJson(R"({"a":{"b":1},"c":{"b":2}})").ok());
}

TEST(JsonFieldsTest, InvalidUtf8IsRefused) {
  EXPECT_FALSE(ParseStrictJson("{\"a\":\"\xff\"}").ok());
}

TEST(JsonFieldsTest, TimeRoundTrips) {
  absl::StatusOr<absl::Time> t = ParseM2mTime("20261129T081500Z");
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(FormatM2mTime(*t), "20261129T081500Z");
  EXPECT_EQ(absl::ToUnixSeconds(*t), 1795940100);
}

}  // namespace
}  // namespace internal
}  // namespace exchange
}  // namespace onem2m

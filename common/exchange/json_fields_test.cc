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
  absl::StatusOr<absl::Time> t = ParseM2mTime("20261129T081500");
  ASSERT_TRUE(t.ok()) << t.status();
  EXPECT_EQ(FormatM2mTime(*t), "20261129T081500");
  EXPECT_EQ(absl::ToUnixSeconds(*t), 1795940100);
}

// TS-0004 V3.32 clause 6.3.3, table 6.3.3-1 (m2m:timestamp): the example "20141003T112032".
TEST(JsonFieldsTest, TimeGoldenFromTs0004Table633) {
  absl::StatusOr<absl::Time> t = ParseM2mTime("20141003T112032");
  ASSERT_TRUE(t.ok()) << t.status();
  EXPECT_EQ(*t, absl::FromCivil(absl::CivilSecond(2014, 10, 3, 11, 20, 32), absl::UTCTimeZone()));
  EXPECT_EQ(FormatM2mTime(*t), "20141003T112032");
}

// TS-0004 6.3.3: no time zone is written; sub-second parts never make a time later than it is.
TEST(JsonFieldsTest, FormatWritesNoZoneAndDropsFractions) {
  const absl::Time t = absl::FromUnixSeconds(1795940100) + absl::Milliseconds(999);
  EXPECT_EQ(FormatM2mTime(t), "20261129T081500");
}

// TS-0004 6.3.3: "A receiving or Hosting CSE shall accept a timestamp that contains fractional
// seconds" (comma, one to six digits), and may round an expiration time up.
TEST(JsonFieldsTest, FractionalSecondsAreAcceptedAndRoundedUp) {
  const absl::Time base = absl::FromUnixSeconds(1795940100);
  for (const char* text : {"20261129T081459,1", "20261129T081459,000001", "20261129T081459,999999",
                           "20261129T081459.5", "20261129T081459,5Z"}) {
    SCOPED_TRACE(text);
    absl::StatusOr<absl::Time> t = ParseM2mTime(text);
    ASSERT_TRUE(t.ok()) << t.status();
    EXPECT_EQ(*t, base);
  }
  // A zero fraction is already a whole second.
  absl::StatusOr<absl::Time> t = ParseM2mTime("20261129T081500,000000");
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(*t, base);
}

TEST(JsonFieldsTest, TrailingZIsToleratedOnInputOnly) {
  absl::StatusOr<absl::Time> t = ParseM2mTime("20261129T081500Z");
  ASSERT_TRUE(t.ok()) << t.status();
  EXPECT_EQ(absl::ToUnixSeconds(*t), 1795940100);
  EXPECT_EQ(FormatM2mTime(*t), "20261129T081500");
}

TEST(JsonFieldsTest, MalformedTimesAreRefused) {
  for (const char* bad :
       {"", "2026-11-29T08:15:00Z", "20261129", "20261129T0815", "20261129T081500+0100",
        "20261129T081500z", "20261129t081500", "20261329T081500", "20260230T081500",
        "20261129T246000", "20261129T081560", "20261129T081500,", "20261129T081500,1234567",
        "20261129T081500,12a", "20261129T081500ZZ", "20261129T081500 ", " 20261129T081500",
        "2026112XT081500", "20261129T081500,5+01"}) {
    SCOPED_TRACE(bad);
    absl::StatusOr<absl::Time> t = ParseM2mTime(bad);
    ASSERT_FALSE(t.ok());
    EXPECT_EQ(t.status().code(), absl::StatusCode::kInvalidArgument);
  }
}

}  // namespace
}  // namespace internal
}  // namespace exchange
}  // namespace onem2m

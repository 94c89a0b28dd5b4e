#include "common/testing/status_matchers.h"

#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace onem2m::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

TEST(StatusIsTest, MatchesCodeOfStatus) {
  EXPECT_THAT(absl::NotFoundError("no row"), StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(absl::NotFoundError("no row"), Not(StatusIs(absl::StatusCode::kInternal)));
  EXPECT_THAT(absl::OkStatus(), Not(StatusIs(absl::StatusCode::kNotFound)));
}

TEST(StatusIsTest, MatchesCodeAndMessage) {
  EXPECT_THAT(absl::InvalidArgumentError("bad KeID"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("KeID")));
  EXPECT_THAT(absl::InvalidArgumentError("bad KeID"),
              Not(StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("KmID"))));
}

TEST(StatusIsTest, MatchesStatusOr) {
  absl::StatusOr<int> failed = absl::UnavailableError("store down");
  absl::StatusOr<int> value = 7;
  EXPECT_THAT(failed, StatusIs(absl::StatusCode::kUnavailable));
  EXPECT_THAT(value, Not(StatusIs(absl::StatusCode::kUnavailable)));
  EXPECT_THAT(value, IsOk());
  EXPECT_THAT(failed, Not(IsOk()));
}

TEST(StatusIsTest, ExplainsWhatItGot) {
  ::testing::StringMatchResultListener listener;
  EXPECT_FALSE(::testing::ExplainMatchResult(StatusIs(absl::StatusCode::kOk),
                                             absl::InternalError("boom"), &listener));
  EXPECT_THAT(listener.str(), HasSubstr("boom"));
}

TEST(IsOkAndHoldsTest, MatchesValue) {
  absl::StatusOr<std::string> value = std::string("abc");
  absl::StatusOr<std::string> failed = absl::NotFoundError("x");
  EXPECT_THAT(value, IsOkAndHolds("abc"));
  EXPECT_THAT(value, Not(IsOkAndHolds("abd")));
  EXPECT_THAT(failed, Not(IsOkAndHolds("abc")));
  EXPECT_THAT(value, IsOkAndHolds(HasSubstr("b")));
}

}  // namespace
}  // namespace onem2m::testing

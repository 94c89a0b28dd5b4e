#include "tests/bench/machine_bounds.h"

#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace onem2m::bench {
namespace {

using ::testing::HasSubstr;

// Figures of a real run on the project's 2-core VM (mef_load --transport=tls --concurrency=64):
// generator 578 us and the bare server 401 us per enrolment; the bare server did 2015/s.
TEST(MetTest, NamesTheVerdict) {
  EXPECT_STREQ(Met(true), "MET");
  EXPECT_STREQ(Met(false), "NOT MET");
}

TEST(RateAllowedTest, IsCoresOverCpuPerOperation) {
  EXPECT_NEAR(RateAllowed(2, 578 + 401), 2043, 1);
  EXPECT_NEAR(RateAllowed(4, 500), 8000, 1e-9);
}

TEST(RateAllowedTest, NothingMeasuredGivesZero) {
  EXPECT_EQ(RateAllowed(2, 0), 0);
  EXPECT_EQ(RateAllowed(0, 500), 0);
  EXPECT_EQ(RateAllowed(2, -1), 0);
}

TEST(RateForP99Test, IsClientsOverLatency) {
  EXPECT_NEAR(RateForP99(64, 25), 2560, 1e-9);
  EXPECT_NEAR(RateForP99(16, 25), 640, 1e-9);
  EXPECT_EQ(RateForP99(0, 25), 0);
  EXPECT_EQ(RateForP99(64, 0), 0);
}

TEST(RateReachTest, TargetAboveTheBoundIsBeyondTheMachine) {
  // maf_load's first contact: generator 697 us + bare handshake 341 us.
  const std::string line = RateReach(2500, RateAllowed(2, 697 + 341));
  EXPECT_THAT(line, HasSubstr("at most 1927/s"));
  EXPECT_THAT(line, HasSubstr("2500/s is beyond this machine"));
}

TEST(RateReachTest, TargetUnderTheBoundIsNotRuledOut) {
  EXPECT_THAT(RateReach(2500, 7000), HasSubstr("2500/s is not ruled out by this bound"));
  EXPECT_THAT(RateReach(2500, 2500), HasSubstr("not ruled out"));
}

TEST(RateReachTest, NoFiguresIsNotJudged) {
  EXPECT_THAT(RateReach(2500, 0), HasSubstr("not judged"));
}

TEST(P99ReachTest, NeededRateAboveWhatTheMachineAllowsIsBeyondIt) {
  const std::string line = P99Reach(25, 64, 2015, RateAllowed(2, 578 + 401));
  EXPECT_THAT(line, HasSubstr("needs at least 2560/s"));
  EXPECT_THAT(line, HasSubstr("bare server reached 2015/s"));
  EXPECT_THAT(line, HasSubstr("at most 2043/s"));
  EXPECT_THAT(line, HasSubstr("beyond this machine for any server"));
}

TEST(P99ReachTest, WithinTheMachineButAboveTheBareServerSaysSo) {
  EXPECT_THAT(P99Reach(25, 64, 2400, 3000), HasSubstr("not reached even by the bare server"));
}

TEST(P99ReachTest, ReachableWhenTheBareServerIsFastEnough) {
  // The faster machine: the bare server did 7,450/s.
  EXPECT_THAT(P99Reach(25, 64, 7450, 9000), HasSubstr(": within reach"));
}

TEST(P99ReachTest, NoCpuFiguresGiveNoBound) {
  const std::string line = P99Reach(25, 64, 2015, 0);
  EXPECT_THAT(line, HasSubstr("needs at least 2560/s"));
  EXPECT_THAT(line, HasSubstr("no CPU figures"));
  EXPECT_THAT(line, ::testing::Not(HasSubstr("at most 0/s")));
}

}  // namespace
}  // namespace onem2m::bench

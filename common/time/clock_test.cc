// Clock::Real follows absl::Now; FakeClock moves only when told.
#include "common/time/clock.h"

#include "absl/time/clock.h"
#include "common/time/testing/fake_clock.h"
#include "gtest/gtest.h"

namespace onem2m {
namespace {

TEST(ClockTest, RealClockIsTheWallClock) {
  const absl::Time before = absl::Now();
  const absl::Time now = Clock::Real()->Now();
  EXPECT_GE(now, before);
  EXPECT_LE(now, absl::Now());
  EXPECT_EQ(Clock::Real(), Clock::Real());
}

TEST(ClockTest, FakeClockMovesOnlyWhenTold) {
  const absl::Time start = absl::FromUnixSeconds(1700000000);
  FakeClock clock(start);
  const Clock& as_clock = clock;
  EXPECT_EQ(as_clock.Now(), start);
  EXPECT_EQ(as_clock.Now(), start);
  clock.Advance(absl::Seconds(90));
  EXPECT_EQ(as_clock.Now(), start + absl::Seconds(90));
  clock.Set(start);
  EXPECT_EQ(as_clock.Now(), start);
}

}  // namespace
}  // namespace onem2m

#include "common/psk_server/capacity_guard.h"

#include <malloc.h>

#include <memory>
#include <utility>
#include <vector>

#include "common/psk_server/heap_trimmer.h"
#include "gtest/gtest.h"

namespace onem2m::server {
namespace {

TEST(CapacityGuardTest, RefusesAtTheSessionCapAndCountsRefusals) {
  CapacityGuard guard(3, 0);
  EXPECT_EQ(guard.Admit(0), CapacityGuard::Verdict::kAdmit);
  EXPECT_EQ(guard.Admit(2), CapacityGuard::Verdict::kAdmit);
  EXPECT_EQ(guard.Admit(3), CapacityGuard::Verdict::kTooManySessions);
  EXPECT_EQ(guard.Admit(4), CapacityGuard::Verdict::kTooManySessions);
  EXPECT_EQ(guard.refused(), 2);
}

TEST(CapacityGuardTest, ZeroDisablesBothChecks) {
  CapacityGuard guard(0, 0);
  EXPECT_EQ(guard.Admit(1'000'000), CapacityGuard::Verdict::kAdmit);
  EXPECT_EQ(guard.refused(), 0);
}

TEST(CapacityGuardTest, RefusesPastTheMemoryBudget) {
  const int64_t in_use = CapacityGuard::HeapBytesInUse();
  ASSERT_GT(in_use, 0);
  CapacityGuard tight(0, in_use / 2, absl::ZeroDuration());
  EXPECT_EQ(tight.Admit(0), CapacityGuard::Verdict::kOverMemoryBudget);
  CapacityGuard roomy(0, in_use + (int64_t{1} << 30), absl::ZeroDuration());
  EXPECT_EQ(roomy.Admit(0), CapacityGuard::Verdict::kAdmit);
}

TEST(CapacityGuardTest, HeapBytesInUseSeesAllocations) {
  const int64_t before = CapacityGuard::HeapBytesInUse();
  std::vector<std::unique_ptr<char[]>> blocks;
  for (int i = 0; i < 256; ++i) {
    blocks.emplace_back(new char[16 * 1024]);
    blocks.back()[0] = 1;
  }
  EXPECT_GE(CapacityGuard::HeapBytesInUse() - before, 256 * 16 * 1024);
}

TEST(HeapTrimmerTest, TrimsOnlyAfterALargeEnoughDrop) {
  int open = 0;
  HeapTrimmer trimmer([&open] { return open; });
  open = 1000;
  EXPECT_FALSE(trimmer.Tick());  // growing
  open = 950;
  EXPECT_FALSE(trimmer.Tick());  // 50 below the peak: less than kMinDrop
  open = 800;
  EXPECT_TRUE(trimmer.Tick());  // 200 below: a tenth of the peak and more than kMinDrop
  open = 780;
  EXPECT_TRUE(trimmer.Tick());   // the follow-up trim, sessions did not come back
  EXPECT_FALSE(trimmer.Tick());  // the peak is now 800: 20 below is not enough
  open = 0;
  EXPECT_TRUE(trimmer.Tick());
  EXPECT_TRUE(trimmer.Tick());  // its follow-up
  EXPECT_FALSE(trimmer.Tick());
  EXPECT_EQ(trimmer.trims(), 4);
}

TEST(HeapTrimmerTest, FloodBetweenTwoTicksIsTrimmed) {
  int open = 0;
  int peak = 0;
  HeapTrimmer trimmer([&open] { return open; }, [&peak] { return std::exchange(peak, 0); });
  EXPECT_FALSE(trimmer.Tick());
  peak = 10000;  // opened and closed again before the next tick
  EXPECT_TRUE(trimmer.Tick());
  EXPECT_EQ(trimmer.trims(), 1);
}

TEST(HeapTrimmerTest, NoFollowUpWhenSessionsCameBack) {
  int open = 1000;
  HeapTrimmer trimmer([&open] { return open; });
  EXPECT_FALSE(trimmer.Tick());
  open = 500;
  EXPECT_TRUE(trimmer.Tick());
  open = 900;  // a new wave before the next tick: nothing to give back
  EXPECT_FALSE(trimmer.Tick());
  EXPECT_EQ(trimmer.trims(), 1);
}

TEST(HeapTrimmerTest, SmallServerNeverTrims) {
  int open = 50;
  HeapTrimmer trimmer([&open] { return open; });
  EXPECT_FALSE(trimmer.Tick());
  open = 0;
  EXPECT_FALSE(trimmer.Tick());  // a drop of 50 is below kMinDrop
}

TEST(HeapTrimmerTest, StartAndStopRunTheThread) {
  HeapTrimmer trimmer([] { return 0; });
  trimmer.Start(absl::Milliseconds(1));
  trimmer.Stop();
  trimmer.Stop();  // idempotent
  EXPECT_EQ(trimmer.trims(), 0);
}

}  // namespace
}  // namespace onem2m::server

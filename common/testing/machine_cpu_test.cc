#include "common/testing/machine_cpu.h"

#include "gtest/gtest.h"

namespace onem2m::testing {
namespace {

TEST(MachineCpuTest, ReadsThisMachinesCounters) {
  const MachineCpu m = ReadMachineCpu();
  EXPECT_GT(m.all, 0);
  EXPECT_GT(m.busy, 0);
  EXPECT_GE(m.steal, 0);
  EXPECT_LE(m.busy + m.steal, m.all);
}

TEST(MachineCpuTest, StealShareOfTheTimeBetweenTwoReadings) {
  const MachineCpu before{/*busy=*/10, /*steal=*/1, /*all=*/100};
  const MachineCpu after{/*busy=*/16, /*steal=*/3, /*all=*/110};
  EXPECT_DOUBLE_EQ(StealShare(before, after), 0.2);
  EXPECT_EQ(StealShare(after, after), 0);  // no time passed: no share, not a division by zero
}

}  // namespace
}  // namespace onem2m::testing

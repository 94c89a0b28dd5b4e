#include "maf/mef_client/backoff.h"

#include "gtest/gtest.h"

namespace onem2m::maf {
namespace {

TEST(BackoffTest, GrowsJittersAndCaps) {
  Backoff b{absl::Milliseconds(100), absl::Seconds(1), 2.0, 0.5};
  for (int i = 0; i < 100; ++i) {
    absl::Duration d0 = b.Delay(0);
    EXPECT_GE(d0, absl::Milliseconds(50));
    EXPECT_LE(d0, absl::Milliseconds(100));
    absl::Duration d10 = b.Delay(10);
    EXPECT_GE(d10, absl::Milliseconds(500));
    EXPECT_LE(d10, absl::Seconds(1));
  }
}

}  // namespace
}  // namespace onem2m::maf

#include "common/psk_server/source_limiter.h"

#include "gtest/gtest.h"

namespace onem2m::server {
namespace {

TEST(SourceLimiterTest, CapsEachSourceSeparately) {
  SourceLimiter l(2);
  EXPECT_TRUE(l.TryAcquire("10.0.0.1"));
  EXPECT_TRUE(l.TryAcquire("10.0.0.1"));
  EXPECT_FALSE(l.TryAcquire("10.0.0.1"));
  EXPECT_TRUE(l.TryAcquire("10.0.0.2"));
  l.Release("10.0.0.1");
  EXPECT_TRUE(l.TryAcquire("10.0.0.1"));
  EXPECT_EQ(l.Held("10.0.0.1"), 2);
}

TEST(SourceLimiterTest, ReleaseOfUnknownSourceIsHarmless) {
  SourceLimiter l(1);
  l.Release("nobody");
  EXPECT_EQ(l.Held("nobody"), 0);
}

TEST(SourceLimiterTest, ZeroMeansUnlimited) {
  SourceLimiter l(0);
  for (int i = 0; i < 1000; ++i) EXPECT_TRUE(l.TryAcquire("a"));
}

}  // namespace
}  // namespace onem2m::server

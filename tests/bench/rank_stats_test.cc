#include "tests/bench/rank_stats.h"

#include <vector>

#include "gtest/gtest.h"

namespace onem2m::bench {
namespace {

// U counted by hand: pairs (a_i, b_j) with a_i > b_j. The p-values are the normal approximation
// with continuity correction (as R's wilcox.test(exact = FALSE, correct = TRUE)).
TEST(RankStatsTest, MannWhitneyWithoutTies) {
  const std::vector<double> a = {1.1, 2.2, 3.3, 4.4, 5.5, 6.6, 7.7, 8.8};
  const std::vector<double> b = {3, 5, 9, 10, 11, 12, 13};
  RankTest t = MannWhitney(a, b);
  EXPECT_DOUBLE_EQ(t.u, 10);
  EXPECT_NEAR(t.z, 2.025231, 1e-6);
  EXPECT_NEAR(t.p, 0.0428436, 1e-6);
  // The test is symmetric: swapping the samples gives U' = n1 n2 - U and the same p.
  RankTest swapped = MannWhitney(b, a);
  EXPECT_DOUBLE_EQ(swapped.u, 46);
  EXPECT_NEAR(swapped.p, t.p, 1e-12);
}

TEST(RankStatsTest, MannWhitneyTiesUseMidRanksAndCorrectedVariance) {
  const std::vector<double> a = {1, 2, 2, 3, 3, 3, 4, 5};
  const std::vector<double> b = {2, 3, 4, 4, 5, 5, 6};
  RankTest t = MannWhitney(a, b);
  EXPECT_DOUBLE_EQ(t.u, 13.5);  // ties count one half
  EXPECT_NEAR(t.z, 1.652980, 1e-6);
  EXPECT_NEAR(t.p, 0.0983350, 1e-6);
}

TEST(RankStatsTest, IdenticalOrEmptySamplesGiveNoEvidence) {
  EXPECT_DOUBLE_EQ(MannWhitney({4, 4, 4}, {4, 4}).p, 1.0);
  EXPECT_DOUBLE_EQ(MannWhitney({}, {1, 2}).p, 1.0);
  EXPECT_DOUBLE_EQ(MannWhitney({1, 2, 3, 4}, {1, 2, 3, 4}).p, 1.0);
}

TEST(RankStatsTest, ClearShiftIsSignificant) {
  std::vector<double> a, b;
  for (int i = 0; i < 200; ++i) {
    a.push_back(100 + i % 17);
    b.push_back(110 + i % 17);
  }
  RankTest t = MannWhitney(a, b);
  EXPECT_LT(t.p, 1e-20);
  EXPECT_DOUBLE_EQ(HodgesLehmann(a, b), -10);
  EXPECT_DOUBLE_EQ(HodgesLehmann(b, a), 10);
}

TEST(RankStatsTest, MedianOfOddAndEvenSizes) {
  EXPECT_DOUBLE_EQ(Median({5, 1, 3}), 3);
  EXPECT_DOUBLE_EQ(Median({4, 1, 3, 2}), 2.5);
  EXPECT_DOUBLE_EQ(Median({}), 0);
}

}  // namespace
}  // namespace onem2m::bench

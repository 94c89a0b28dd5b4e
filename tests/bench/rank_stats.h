// File: tests/bench/rank_stats.h
//
// Rank statistics for the timing-oracle checks (tests/bench/oracle_check.cc, maf_oracle_check.cc;
// docs/protocol.md 2 and 7: an unknown identity is refused in the same time as a known one with a
// wrong key). Distribution-free, so skewed latency samples with long tails are fine.
//
//   std::vector<double> known = ..., unknown = ...;   // microseconds, measured interleaved
//   bench::RankTest t = bench::MannWhitney(known, unknown);
//   if (t.p < 1e-3) { /* the two paths are told apart */ }
//   double shift = bench::HodgesLehmann(known, unknown);
#ifndef ONEM2M_TESTS_BENCH_RANK_STATS_H_
#define ONEM2M_TESTS_BENCH_RANK_STATS_H_

#include <vector>

namespace onem2m::bench {

// Median returns the median of `v` (the mean of the middle two for an even size); 0 when empty.
double Median(std::vector<double> v);

// RankTest is the result of a two-sample Mann-Whitney U test of `a` against `b`.
struct RankTest {
  double u = 0;  // U of `a`: the number of pairs (a_i, b_j) with a_i > b_j, ties counting 1/2
  double z = 0;  // standardised |U - n1 n2 / 2| with continuity correction (0 when no spread)
  double p = 1;  // two-sided p-value from the normal approximation
};

// MannWhitney runs the test with mid-ranks for ties, the tie-corrected variance and a continuity
// correction; the normal approximation is good for samples of a few dozen and more. Either sample
// empty, or all values equal: u = n1 n2 / 2 (or 0), p = 1.
RankTest MannWhitney(const std::vector<double>& a, const std::vector<double>& b);

// HodgesLehmann returns the median of all pairwise differences a_i - b_j: the shift estimate that
// goes with the rank test; 0 when either sample is empty.
double HodgesLehmann(const std::vector<double>& a, const std::vector<double>& b);

}  // namespace onem2m::bench

#endif  // ONEM2M_TESTS_BENCH_RANK_STATS_H_

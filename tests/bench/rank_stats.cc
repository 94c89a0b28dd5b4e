#include "tests/bench/rank_stats.h"

#include <algorithm>
#include <cmath>

namespace onem2m::bench {

double Median(std::vector<double> v) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  const size_t n = v.size();
  return n % 2 == 1 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

RankTest MannWhitney(const std::vector<double>& a, const std::vector<double>& b) {
  RankTest t;
  if (a.empty() || b.empty()) return t;
  struct Item {
    double x;
    bool in_a;
  };
  std::vector<Item> all;
  all.reserve(a.size() + b.size());
  for (double x : a) all.push_back({x, true});
  for (double x : b) all.push_back({x, false});
  std::sort(all.begin(), all.end(), [](const Item& l, const Item& r) { return l.x < r.x; });
  const double n1 = static_cast<double>(a.size()), n2 = static_cast<double>(b.size());
  const double n = n1 + n2;
  double rank_sum_a = 0, tie_term = 0;
  for (size_t i = 0; i < all.size();) {
    size_t j = i;
    while (j < all.size() && all[j].x == all[i].x) ++j;
    const double mid_rank = (static_cast<double>(i + 1) + static_cast<double>(j)) / 2;
    const double ties = static_cast<double>(j - i);
    tie_term += ties * ties * ties - ties;
    for (size_t k = i; k < j; ++k) {
      if (all[k].in_a) rank_sum_a += mid_rank;
    }
    i = j;
  }
  t.u = rank_sum_a - n1 * (n1 + 1) / 2;
  const double mean = n1 * n2 / 2;
  const double var = n1 * n2 / 12 * ((n + 1) - tie_term / (n * (n - 1)));
  if (var <= 0) return t;
  t.z = std::max(0.0, (std::fabs(t.u - mean) - 0.5) / std::sqrt(var));
  t.p = std::erfc(t.z / std::sqrt(2.0));
  return t;
}

double HodgesLehmann(const std::vector<double>& a, const std::vector<double>& b) {
  if (a.empty() || b.empty()) return 0;
  std::vector<double> d;
  d.reserve(a.size() * b.size());
  for (double x : a) {
    for (double y : b) d.push_back(x - y);
  }
  std::nth_element(d.begin(), d.begin() + d.size() / 2, d.end());
  return d[d.size() / 2];
}

}  // namespace onem2m::bench

#include "mef/credential/fetch_benchmark_report.h"

#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <utility>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/strings/str_cat.h"
#include "mef/credential/fetch_benchmark_flags.h"

namespace onem2m {
namespace mef {
namespace fetch_bench {

void Report(const char* name, const Result& r, const Result& empty) {
  std::printf(
      "%-22s %10.0f calls/s  p50 %6.3f ms  p99 %6.3f ms  errors %lld  ratio-to-empty %.2f"
      "  | CPU/call: process %.1f us, machine %.1f us; switches/call %.2f",
      name, r.rate, r.p50_ms, r.p99_ms, static_cast<long long>(r.errors),
      empty.rate > 0 ? r.rate / empty.rate : 0.0, r.process_cpu_us, r.machine_cpu_us, r.switches);
  // Time the hypervisor gave to other guests: a lower rate at the same CPU per call.
  if (r.steal_share >= 0.005) std::printf("; steal %.0f%%", 100 * r.steal_share);
  std::printf("\n");
}

Result Median(std::vector<Result> runs) {
  std::sort(runs.begin(), runs.end(),
            [](const Result& x, const Result& y) { return x.rate < y.rate; });
  return runs[runs.size() / 2];
}

void WriteJson(const std::vector<std::pair<std::string, std::vector<Result>>>& runs,
               const Result& empty) {
  const std::string path = absl::GetFlag(FLAGS_json_out);
  if (path.empty()) return;
  nlohmann::json cases = nlohmann::json::array();
  nlohmann::json ratios = nlohmann::json::object();
  for (const auto& [name, v] : runs) {
    const Result m = Median(v);
    cases.push_back({{"name", name},
                     {"unit", "calls"},
                     {"concurrency", absl::GetFlag(FLAGS_callers)},
                     {"rate", m.rate},
                     {"p50_ms", m.p50_ms},
                     {"p99_ms", m.p99_ms},
                     {"failures", m.errors},
                     {"server_cpu_us_per_op", m.process_cpu_us},
                     // The server and its callers share this process; PostgreSQL and everything
                     // else on the machine are the rest (tests/bench/report.py draws the split).
                     {"machine_cpu_us_per_op", m.machine_cpu_us},
                     {"cpu_split_us_per_op",
                      {{"fetch process (MEF + callers)", m.process_cpu_us},
                       {"rest", std::max(0.0, m.machine_cpu_us - m.process_cpu_us)}}},
                     {"steal_share", m.steal_share}});
    if (empty.rate > 0) ratios[name + " / fastest empty call"] = m.rate / empty.rate;
  }
  nlohmann::json out = {{"tool", "fetch_benchmark"},
                        {"meta",
                         {{"callers", absl::StrCat(absl::GetFlag(FLAGS_callers))},
                          {"rounds", absl::StrCat(absl::GetFlag(FLAGS_rounds))},
                          {"seconds", absl::StrCat(absl::GetFlag(FLAGS_seconds))},
                          {"cores", absl::StrCat(sysconf(_SC_NPROCESSORS_ONLN))}}},
                        {"cases", cases},
                        {"ratios", ratios}};
  std::ofstream f(path);
  f << out.dump(2) << "\n";
}

}  // namespace fetch_bench
}  // namespace mef
}  // namespace onem2m

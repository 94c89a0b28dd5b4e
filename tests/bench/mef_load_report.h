// File: tests/bench/mef_load_report.h
//
// mef_load's report: the memory phases' readings and lines, the raw-client rounds (each case's
// median round, the MEF/baseline ratios), the durability cross-check, and the bench schema's
// removal. Everything printed is also recorded for the JSON report (load_kit.h).
#ifndef ONEM2M_TESTS_BENCH_MEF_LOAD_REPORT_H_
#define ONEM2M_TESTS_BENCH_MEF_LOAD_REPORT_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "common/pg/pool.h"
#include "tests/bench/load_kit.h"

namespace onem2m {
namespace mef_load {

// MemoryPhase holds the RSS readings of one idle or half-open phase.
struct MemoryPhase {
  long before_kb = 0;
  long peak_kb = 0;
  long settled_kb = 0;
  long heap_before_kb = 0;  // glibc heap in use (mallinfo2), for live bytes vs allocator overhead
  long heap_peak_kb = 0;
};

// PrintPhase prints one phase: RSS before, at peak, after --settle, and the KiB per session.
void PrintPhase(const char* what, size_t open, int failed, const MemoryPhase& m);

// Series is one case of the raw-client phases, one LoadResult per round.
struct Series {
  std::string name;
  std::vector<bench::LoadResult> rounds;
};

// PrintRound prints round `round` (0-based) of `rounds`: each series' rate and the ratios.
void PrintRound(int round, int rounds, double load_average, const std::vector<const Series*>& all,
                const std::vector<double>& tls_ratios, const std::vector<double>& dtls_ratios);

// ReportRounds reports each series' median round and the median of each ratio.
void ReportRounds(const std::vector<Series*>& all, const std::vector<double>& tls_ratios,
                  const std::vector<double>& dtls_ratios);

// PrintTargets prints issue 14's targets for one transport ("TLS", "DTLS") from the median rounds
// ReportRounds chose and the median ratio: MEF >= 0.75 of the bare server, and p99 <= 25 ms at 64
// clients with what that asks of this machine (machine_bounds.h). `memory` marks the memory store's
// run, the ceiling rather than the product. Nothing without a baseline.
void PrintTargets(const char* transport, const Series& mef, const Series& bare,
                  const std::vector<double>& ratios, bool memory);

// CheckDurability prints whether every enrolment answered as done (`answered`) has its row.
void CheckDurability(const pg::PoolOptions& pool, int64_t answered);

// DropSchema removes `schema` (a bench's own) from the database of `pool`.
void DropSchema(const pg::PoolOptions& pool, const std::string& schema);

}  // namespace mef_load
}  // namespace onem2m

#endif  // ONEM2M_TESTS_BENCH_MEF_LOAD_REPORT_H_

// File: mef/credential/fetch_benchmark_report.h
//
// fetch_benchmark's report: a case's line, the median round of a case's rounds, and the JSON of
// --json_out (read by tests/bench/report.py).
#ifndef ONEM2M_MEF_CREDENTIAL_FETCH_BENCHMARK_REPORT_H_
#define ONEM2M_MEF_CREDENTIAL_FETCH_BENCHMARK_REPORT_H_

#include <string>
#include <utility>
#include <vector>

#include "mef/credential/fetch_benchmark_harness.h"

namespace onem2m {
namespace mef {
namespace fetch_bench {

// Report prints one case's line, with its rate as a ratio of `empty`'s.
void Report(const char* name, const Result& r, const Result& empty);

// Median returns the run with the median rate.
Result Median(std::vector<Result> runs);

// WriteJson writes every case's median round to --json_out, in the shape of
// tests/bench/load_kit.h's WriteJsonReport, with the ratio to the fastest empty call.
void WriteJson(const std::vector<std::pair<std::string, std::vector<Result>>>& runs,
               const Result& empty);

}  // namespace fetch_bench
}  // namespace mef
}  // namespace onem2m

#endif  // ONEM2M_MEF_CREDENTIAL_FETCH_BENCHMARK_REPORT_H_

// File: mef/credential/fetch_benchmark_flags.h
//
// fetch_benchmark's flags, defined in fetch_benchmark.cc (with the tool's description, so --help
// lists them under it) and read by every part of the tool.
#ifndef ONEM2M_MEF_CREDENTIAL_FETCH_BENCHMARK_FLAGS_H_
#define ONEM2M_MEF_CREDENTIAL_FETCH_BENCHMARK_FLAGS_H_

#include <string>
#include <vector>

#include "absl/flags/declare.h"

ABSL_DECLARE_FLAG(std::string, json_out);
ABSL_DECLARE_FLAG(int, callers);
ABSL_DECLARE_FLAG(int, channels);
ABSL_DECLARE_FLAG(double, seconds);
ABSL_DECLARE_FLAG(int, rounds);
ABSL_DECLARE_FLAG(int, enrolments);
ABSL_DECLARE_FLAG(bool, keep_threads);
ABSL_DECLARE_FLAG(int, fetch_batch);
ABSL_DECLARE_FLAG(int, async_threads);
ABSL_DECLARE_FLAG(int, fetch_reads);
ABSL_DECLARE_FLAG(int, fetch_overlap_min);
ABSL_DECLARE_FLAG(std::vector<std::string>, cases);

#endif  // ONEM2M_MEF_CREDENTIAL_FETCH_BENCHMARK_FLAGS_H_

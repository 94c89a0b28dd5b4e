// File: common/ops/build_info.h
//
// The version and commit this binary was built from, so version skew between replicas shows on
// /metrics, in the start-up log and from `--version`. They come from Bazel stamping
// (//bazel/stamp): a `--stamp` build (the container images) carries `git describe` (or the VERSION
// file) and the commit; an unstamped build says "dev" and "unknown".
//
//   int main(int argc, char** argv) {
//     onem2m::ops::InstallVersionFlag("mef_server");   // before flags are parsed
//     ...
//     onem2m::ops::RegisterBuildInfo(*registry, "mef");
#ifndef ONEM2M_COMMON_OPS_BUILD_INFO_H_
#define ONEM2M_COMMON_OPS_BUILD_INFO_H_

#include <prometheus/registry.h>

#include <string>

#include "absl/strings/string_view.h"

namespace onem2m::ops {

// BuildVersion returns the stamped version ("0.1.0+g1a2b3c4", "v1.2.0"), or "dev" unstamped.
absl::string_view BuildVersion();

// BuildCommit returns the stamped commit hash, or "unknown".
absl::string_view BuildCommit();

// VersionString returns "<program> <version> (commit <commit>)\n", what `--version` prints.
std::string VersionString(absl::string_view program);

// InstallVersionFlag makes Abseil's built-in `--version` print VersionString(program) and exit 0.
// Call it before the flags are parsed.
void InstallVersionFlag(absl::string_view program);

// RegisterBuildInfo exports onem2m_build_info{service,version,commit} = 1 (the PrometheusRule
// OneM2MVersionSkew counts distinct versions across replicas).
void RegisterBuildInfo(prometheus::Registry& registry, const std::string& service);

}  // namespace onem2m::ops

#endif  // ONEM2M_COMMON_OPS_BUILD_INFO_H_

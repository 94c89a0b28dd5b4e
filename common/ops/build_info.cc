#include "common/ops/build_info.h"

#include <prometheus/gauge.h>

#include "absl/flags/usage_config.h"
#include "absl/strings/str_cat.h"

// Defined by the generated source of //bazel/stamp:build_stamp (stamped or not).
namespace onem2m::ops::stamp {
extern const char kVersion[];
extern const char kCommit[];
}  // namespace onem2m::ops::stamp

namespace onem2m::ops {

absl::string_view BuildVersion() { return stamp::kVersion; }

absl::string_view BuildCommit() { return stamp::kCommit; }

std::string VersionString(absl::string_view program) {
  return absl::StrCat(program, " ", BuildVersion(), " (commit ", BuildCommit(), ")\n");
}

void InstallVersionFlag(absl::string_view program) {
  absl::FlagsUsageConfig config;
  config.version_string = [name = std::string(program)] { return VersionString(name); };
  absl::SetFlagsUsageConfig(config);
}

void RegisterBuildInfo(prometheus::Registry& registry, const std::string& service) {
  prometheus::BuildGauge()
      .Name("onem2m_build_info")
      .Help("Build information (version and commit from Bazel stamping); the value is always 1.")
      .Register(registry)
      .Add({{"service", service},
            {"version", std::string(BuildVersion())},
            {"commit", std::string(BuildCommit())}})
      .Set(1);
}

}  // namespace onem2m::ops

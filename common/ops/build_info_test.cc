#include "common/ops/build_info.h"

#include <prometheus/text_serializer.h>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"

namespace onem2m::ops {
namespace {

TEST(BuildInfoTest, VersionAndCommitAreSetAndLabelSafe) {
  // Stamped builds carry git describe/VERSION and the commit; unstamped ones "dev"/"unknown".
  // Either way both are non-empty and hold only the characters //bazel/stamp lets through.
  for (absl::string_view v : {BuildVersion(), BuildCommit()}) {
    EXPECT_FALSE(v.empty());
    for (char c : v) EXPECT_TRUE(absl::ascii_isalnum(c) || absl::StrContains("._+-", c)) << v;
  }
}

TEST(BuildInfoTest, VersionStringNamesProgramVersionAndCommit) {
  EXPECT_EQ(VersionString("mef_server"),
            absl::StrCat("mef_server ", BuildVersion(), " (commit ", BuildCommit(), ")\n"));
}

TEST(BuildInfoTest, GaugeIsOneWithServiceVersionAndCommit) {
  prometheus::Registry registry;
  RegisterBuildInfo(registry, "maf");
  prometheus::TextSerializer s;
  const std::string text = s.Serialize(registry.Collect());
  EXPECT_TRUE(absl::StrContains(
      text, absl::StrCat("onem2m_build_info{commit=\"", BuildCommit(),
                         "\",service=\"maf\",version=\"", BuildVersion(), "\"} 1")))
      << text;
}

}  // namespace
}  // namespace onem2m::ops

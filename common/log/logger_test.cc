#include "common/log/logger.h"

#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>

#include "gtest/gtest.h"

namespace onem2m {
namespace {

TEST(LoggerTest, AuditRecordsAreOneJsonObjectPerLine) {
  std::string path = std::string(getenv("TEST_TMPDIR") ? getenv("TEST_TMPDIR") : "/tmp") +
                     "/audit_" + std::to_string(getpid()) + ".log";
  ASSERT_TRUE(SetAuditPath(path));
  Audit("credential_fetch", {{"maf", "maf.example.com"}, {"outcome", "denied"}});
  Audit("credential_fetch", {{"maf", "evil\"\n"}, {"outcome", "ok"}});
  std::ifstream in(path);
  std::string line;
  int lines = 0;
  while (std::getline(in, line)) {
    auto j = nlohmann::json::parse(line);
    EXPECT_EQ(j["event"], "credential_fetch");
    EXPECT_EQ(j["level"], "audit");
    ++lines;
  }
  EXPECT_EQ(lines, 2);
  std::remove(path.c_str());
}

TEST(LoggerTest, ParsesLevels) {
  Level l;
  EXPECT_TRUE(ParseLogLevel("warning", &l));
  EXPECT_EQ(l, Level::kWarning);
  EXPECT_FALSE(ParseLogLevel("loud", &l));
}

}  // namespace
}  // namespace onem2m

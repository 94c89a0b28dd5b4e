#include "common/log/logger.h"

#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

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

TEST(LoggerTest, AuditBatchWritesItsRecordsInOrderOnWrite) {
  std::string path = std::string(getenv("TEST_TMPDIR") ? getenv("TEST_TMPDIR") : "/tmp") +
                     "/audit_batch_" + std::to_string(getpid()) + ".log";
  ASSERT_TRUE(SetAuditPath(path));
  auto read_lines = [&] {
    std::ifstream in(path);
    std::vector<nlohmann::json> out;
    std::string line;
    while (std::getline(in, line)) out.push_back(nlohmann::json::parse(line));
    return out;
  };
  {
    AuditBatch batch;
    batch.Add("credential_fetch", {{"ke_id", "k1"}, {"outcome", "ok"}});
    batch.Add("credential_fetch", {{"ke_id", "bad\xff\"}"}, {"outcome", "invalid"}});
    EXPECT_TRUE(read_lines().empty()) << "nothing is written before Write";
    batch.Write();
    std::vector<nlohmann::json> lines = read_lines();
    ASSERT_EQ(lines.size(), 2u);
    EXPECT_EQ(lines[0]["ke_id"], "k1");
    EXPECT_EQ(lines[0]["level"], "audit");
    EXPECT_EQ(lines[1]["outcome"], "invalid");
    EXPECT_EQ(lines[1]["ke_id"], "bad\xef\xbf\xbd\"}");  // invalid UTF-8 replaced, quote escaped
    const std::string ts = lines[0]["ts"];
    EXPECT_EQ(ts.size(), 24u) << ts;  // 2026-11-29T12:00:00.123Z
    EXPECT_EQ(ts.back(), 'Z');
    batch.Add("credential_fetch", {{"ke_id", "k3"}});
  }  // the destructor writes the third
  EXPECT_EQ(read_lines().size(), 3u);
  std::remove(path.c_str());
}

TEST(LoggerTest, EveryFieldIsWrittenAsTheJsonLibraryWritesIt) {
  std::string path = std::string(getenv("TEST_TMPDIR") ? getenv("TEST_TMPDIR") : "/tmp") +
                     "/audit_fields_" + std::to_string(getpid()) + ".log";
  ASSERT_TRUE(SetAuditPath(path));
  // Plain printable ASCII (copied as is) and everything around its edges (left to the library).
  const std::vector<std::string> values = {"",
                                           "k1",
                                           "KeID-0123456789abcdef@mef.example.com",
                                           " ~!#$%&'()*+,-./:;<=>?@[]^_`{|}",
                                           "quote\"",
                                           "back\\slash",
                                           "tab\t",
                                           "nl\n",
                                           std::string("nul\0x", 5),
                                           "\x1f",
                                           "\x7f",
                                           "caf\xc3\xa9",
                                           "bad\xff",
                                           "\xe2\x82"};
  for (const std::string& v : values) Audit("field_check", {{"v", v}});
  std::ifstream in(path);
  std::string line;
  size_t i = 0;
  while (std::getline(in, line)) {
    ASSERT_LT(i, values.size());
    const std::string expected =
        "\"v\":" +
        nlohmann::json(values[i]).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    EXPECT_NE(line.find(expected + "}"), std::string::npos) << "value " << i << ": " << line;
    nlohmann::json parsed;
    EXPECT_NO_THROW(parsed = nlohmann::json::parse(line)) << line;
    ++i;
  }
  EXPECT_EQ(i, values.size());
  std::remove(path.c_str());
}

TEST(LoggerTest, ParsesLevels) {
  Level l;
  EXPECT_TRUE(ParseLogLevel("warning", &l));
  EXPECT_EQ(l, Level::kWarning);
  EXPECT_FALSE(ParseLogLevel("loud", &l));
}

TEST(LoggerTest, LogEnabledFollowsTheLevel) {
  SetLogLevel(Level::kInfo);
  EXPECT_FALSE(LogEnabled(Level::kDebug));
  EXPECT_TRUE(LogEnabled(Level::kInfo));
  EXPECT_TRUE(LogEnabled(Level::kError));
  SetLogLevel(Level::kDebug);
  EXPECT_TRUE(LogEnabled(Level::kDebug));
  SetLogLevel(Level::kInfo);
}

}  // namespace
}  // namespace onem2m

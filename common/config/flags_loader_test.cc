#include "common/config/flags_loader.h"

#include <cstring>
#include <map>
#include <string>

#include "gtest/gtest.h"

namespace onem2m::config {
namespace {

std::map<std::string, std::string>* g_env = nullptr;

const char* FakeGetenv(const char* name) {
  auto it = g_env->find(name);
  return it == g_env->end() ? nullptr : it->second.c_str();
}

std::vector<std::string> Build(std::vector<std::string> argv_strings,
                               std::map<std::string, std::string> env) {
  g_env = &env;
  std::vector<char*> argv;
  for (auto& s : argv_strings) argv.push_back(s.data());
  return BuildArgv(static_cast<int>(argv.size()), argv.data(), {"tls_listen", "pg", "config"},
                   &FakeGetenv);
}

TEST(FlagsLoaderTest, EnvNameIsUpperCaseWithPrefix) {
  EXPECT_EQ(EnvName("tls_listen"), "ONEM2M_TLS_LISTEN");
}

TEST(FlagsLoaderTest, OrderIsFileThenEnvThenCommandLine) {
  auto out = Build({"mef", "--config=/etc/mef.conf", "--tls_listen=[::]:1"},
                   {{"ONEM2M_TLS_LISTEN", "[::]:2"}, {"ONEM2M_PG", "host=x"}});
  ASSERT_EQ(out.size(), 6u);
  EXPECT_EQ(out[0], "mef");
  EXPECT_EQ(out[1], "--flagfile=/etc/mef.conf");
  EXPECT_EQ(out[2], "--tls_listen=[::]:2");
  EXPECT_EQ(out[3], "--pg=host=x");
  EXPECT_EQ(out[4], "--config=/etc/mef.conf");
  EXPECT_EQ(out[5], "--tls_listen=[::]:1");  // last wins: the command line
}

TEST(FlagsLoaderTest, ConfigFromEnvironment) {
  auto out = Build({"mef"}, {{"ONEM2M_CONFIG", "/c"}});
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[1], "--flagfile=/c");
}

TEST(FlagsLoaderTest, NoSourcesLeavesArgvAlone) {
  auto out = Build({"mef", "--pg=a"}, {});
  EXPECT_EQ(out, (std::vector<std::string>{"mef", "--pg=a"}));
}

}  // namespace
}  // namespace onem2m::config

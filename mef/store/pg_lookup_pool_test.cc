#include "mef/store/pg_lookup_pool.h"

#include "gtest/gtest.h"

namespace onem2m::mef {
namespace {

TEST(WithSessionSettingTest, KeywordFormGetsAnOptionsParameter) {
  EXPECT_EQ(WithSessionSetting("host=db dbname=mef", "plan_cache_mode", "force_generic_plan"),
            "host=db dbname=mef options='-c plan_cache_mode=force_generic_plan'");
}

TEST(WithSessionSettingTest, UriFormGetsAQueryParameter) {
  EXPECT_EQ(WithSessionSetting("postgresql://mef@db/mef", "a", "b"),
            "postgresql://mef@db/mef?options=-c%20a%3Db");
  EXPECT_EQ(WithSessionSetting("postgres://db/mef?sslmode=require", "a", "b"),
            "postgres://db/mef?sslmode=require&options=-c%20a%3Db");
}

TEST(WithSessionSettingTest, TheOperatorsOwnOptionsAreLeftAlone) {
  for (const char* conninfo :
       {"host=db options='-c work_mem=64MB'", "options = '-c x=y' host=db",
        "postgresql://db/mef?options=-c%20x%3Dy", "postgresql://db/mef?a=b&options=-c%20x%3Dy"}) {
    EXPECT_EQ(WithSessionSetting(conninfo, "a", "b"), conninfo);
  }
}

TEST(WithSessionSettingTest, OptionsInsideAnotherValueIsNotTheParameter) {
  EXPECT_EQ(WithSessionSetting("host=db dbname=myoptions", "a", "b"),
            "host=db dbname=myoptions options='-c a=b'");
  EXPECT_EQ(WithSessionSetting("host=db application_name=options", "a", "b"),
            "host=db application_name=options options='-c a=b'");
}

TEST(LookupPoolOptionsTest, KeepsTheDatabaseAndPreparesOnlyTheLookup) {
  pg::PoolOptions store;
  store.conninfo = "host=db dbname=mef";
  store.max_size = 8;
  store.schema = "s1";
  store.application_name = "onem2m-mef";
  store.prepare = {{"a", "SELECT 1"}, {"b", "SELECT 2"}};
  pg::PoolOptions o = LookupPoolOptions(store, 2, {"lookup", "SELECT 3"});
  EXPECT_EQ(o.conninfo, "host=db dbname=mef options='-c plan_cache_mode=force_generic_plan'");
  EXPECT_EQ(o.max_size, 2);
  EXPECT_EQ(o.schema, "s1");
  EXPECT_EQ(o.application_name, "onem2m-mef");
  ASSERT_EQ(o.prepare.size(), 1u);
  EXPECT_EQ(o.prepare[0].first, "lookup");
  EXPECT_EQ(LookupPoolOptions(store, 0, {"lookup", "SELECT 3"}).max_size, 1);
}

}  // namespace
}  // namespace onem2m::mef

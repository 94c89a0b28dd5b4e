// LookupPoolOptions alone; the generic plans against PostgreSQL are tested through the store
// (pg_enrolee_store_test.cc, LookupsReuseOneGenericPlan).
#include "mef/store/pg_lookup_pool.h"

#include "gtest/gtest.h"

namespace onem2m::mef {
namespace {

TEST(LookupPoolOptionsTest, KeepsTheDatabaseAndPreparesOnlyTheLookup) {
  pg::PoolOptions store;
  store.conninfo = "host=db dbname=mef";
  store.max_size = 8;
  store.schema = "s1";
  store.application_name = "onem2m-mef";
  store.statement_timeout = absl::Seconds(7);
  store.prepare = {{"a", "SELECT 1"}, {"b", "SELECT 2"}};
  pg::PoolOptions o = LookupPoolOptions(store, 2, {"lookup", "SELECT 3"});
  EXPECT_EQ(o.conninfo, "host=db dbname=mef");
  EXPECT_EQ(o.max_size, 2);
  EXPECT_EQ(o.schema, "s1");
  EXPECT_EQ(o.application_name, "onem2m-mef");
  EXPECT_EQ(o.statement_timeout, absl::Seconds(7));
  ASSERT_EQ(o.prepare.size(), 1u);
  EXPECT_EQ(o.prepare[0].first, "lookup");
  EXPECT_EQ(o.prepare[0].second, "SELECT 3");
}

TEST(LookupPoolOptionsTest, GenericPlansWhateverTheStoreSays) {
  pg::PoolOptions store;
  store.generic_plans = false;
  store.prefer_indexes = false;
  pg::PoolOptions o = LookupPoolOptions(store, 1, {"lookup", "SELECT 3"});
  EXPECT_TRUE(o.generic_plans);
  EXPECT_TRUE(o.prefer_indexes);
}

TEST(LookupPoolOptionsTest, AtLeastOneConnection) {
  EXPECT_EQ(LookupPoolOptions(pg::PoolOptions(), 0, {"lookup", "SELECT 3"}).max_size, 1);
  EXPECT_EQ(LookupPoolOptions(pg::PoolOptions(), -3, {"lookup", "SELECT 3"}).max_size, 1);
}

}  // namespace
}  // namespace onem2m::mef

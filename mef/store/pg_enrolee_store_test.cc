// PgEnroleeStore's own behaviour: concurrent migrations, a dead database, lost connections,
// durability across store instances.
#include <atomic>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "common/testing/status_matchers.h"
#include "common/testing/wait_for.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "mef/store/enrolee_store_test_fixture.h"
#include "pqxx/nontransaction"
#include "pqxx/pqxx"

namespace onem2m {
namespace mef {
namespace {

using ::onem2m::testing::IsOk;
using ::onem2m::testing::StatusIs;

class PgEnroleeStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!pg::TestSchema::Available()) GTEST_SKIP() << pg::TestSchema::SkipMessage();
    auto schema = pg::TestSchema::Create();
    ASSERT_THAT(schema, IsOk());
    schema_ = *std::move(schema);
  }

  std::unique_ptr<PgEnroleeStore> NewStore() {
    PgEnroleeStoreOptions o;
    o.pool = schema_->PoolOptionsFor();
    o.pool.application_name = "mef-" + schema_->name();
    auto store = PgEnroleeStore::Create(o);
    EXPECT_THAT(store, IsOk());
    return store.ok() ? *std::move(store) : nullptr;
  }

  // KillBackends terminates every server connection the store under test holds.
  void KillBackends() {
    pqxx::connection c(pg::TestSchema::ConnInfo());
    pqxx::nontransaction n(c);
    const std::string app = n.quote("mef-" + schema_->name());
    n.exec("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = " +
           app);
    EXPECT_TRUE(::onem2m::testing::WaitFor(
        [&] {
          return n.exec("SELECT 1 FROM pg_stat_activity WHERE application_name = " + app).empty();
        },
        absl::Seconds(10), absl::Milliseconds(20)))
        << "backends of " << app << " still there";
  }

  std::unique_ptr<pg::TestSchema> schema_;
};

TEST_F(PgEnroleeStoreTest, ConcurrentStartupsMigrateOnce) {
  std::vector<std::thread> threads;
  std::atomic<int> ok{0};
  for (int i = 0; i < 6; ++i) {
    threads.emplace_back([&] {
      if (NewStore() != nullptr) ++ok;
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(ok, 6);
}

TEST_F(PgEnroleeStoreTest, DeadDatabaseIsUnavailableQuickly) {
  PgEnroleeStoreOptions o;
  o.pool.conninfo = "host=127.0.0.1 port=1 user=mef dbname=mef password=s3cr3t-pw";
  o.pool.connect_timeout = absl::Seconds(2);
  absl::Time start = absl::Now();
  auto store = PgEnroleeStore::Create(o);
  EXPECT_LT(absl::Now() - start, absl::Seconds(3));
  EXPECT_THAT(store, StatusIs(absl::StatusCode::kUnavailable)) << store.status();
  EXPECT_FALSE(absl::StrContains(store.status().message(), "s3cr3t")) << store.status();
}

TEST_F(PgEnroleeStoreTest, RecoversAfterConnectionsAreKilled) {
  auto store = NewStore();
  ASSERT_NE(store, nullptr);
  ASSERT_THAT(store->CreateEnrolee(MakeEnrolee("x-1")), IsOk());
  ASSERT_THAT(store->RecordEnrolment(MakeEnrolment("x-1", "KX0")), IsOk());

  // Reads retry once on a fresh connection.
  KillBackends();
  EXPECT_THAT(store->GetEnrolee("x-1"), IsOk());

  // Writes report kUnavailable once, then succeed.
  KillBackends();
  absl::StatusOr<Enrolee> w = store->CreateEnrolee(MakeEnrolee("x-2"));
  EXPECT_THAT(w, StatusIs(absl::StatusCode::kUnavailable)) << w.status();
  EXPECT_THAT(store->CreateEnrolee(MakeEnrolee("x-2")), IsOk());

  // The same for group-committed enrolments.
  KillBackends();
  absl::Status r = store->RecordEnrolment(MakeEnrolment("x-1", "KX1"));
  EXPECT_THAT(r, StatusIs(absl::StatusCode::kUnavailable)) << r;
  EXPECT_THAT(store->RecordEnrolment(MakeEnrolment("x-1", "KX1")), IsOk());
  EXPECT_THAT(store->CheckHealth(), IsOk());
}

TEST_F(PgEnroleeStoreTest, DataSurvivesANewStoreInstance) {
  {
    auto store = NewStore();
    ASSERT_THAT(store->CreateEnrolee(MakeEnrolee("p-1")), IsOk());
    ASSERT_THAT(store->RecordEnrolment(MakeEnrolment("p-1", "KP")), IsOk());
  }
  auto store = NewStore();
  EXPECT_THAT(store->GetEnrolee("p-1"), IsOk());
  EXPECT_THAT(store->GetEnrolmentByKeId(TestKeId("KP")), IsOk());
}

// The PSK lookup reads on sessions that reuse one generic plan (pg_lookup_pool.h), for known and
// unknown KpmIDs alike, also on the connection that replaces a lost one. The store's other
// sessions do too, and prefer indexes (common/pg/pool.h, PoolOptions::generic_plans).
TEST_F(PgEnroleeStoreTest, LookupsReuseOneGenericPlan) {
  auto store = NewStore();
  ASSERT_NE(store, nullptr);
  ASSERT_THAT(store->CreateEnrolee(MakeEnrolee("g-1")), IsOk());
  auto lookups = [&] {
    for (int i = 0; i < 8; ++i) {
      EXPECT_THAT(store->GetEnrolee("g-1"), IsOk());
      EXPECT_THAT(store->GetEnrolee("g-unknown"), StatusIs(absl::StatusCode::kNotFound));
    }
  };
  // One reader thread, one lookup connection: these read what the lookups' session did.
  auto expect_generic = [&](const char* when) {
    std::string mode;
    int64_t generic = -1, custom = -1;
    ASSERT_THAT(store->lookup_pool().RunRead([&](pqxx::connection& c) {
      pqxx::nontransaction n(c);
      mode = n.exec1("SHOW plan_cache_mode")[0].as<std::string>();
      pqxx::row r = n.exec1(
          "SELECT generic_plans, custom_plans FROM pg_prepared_statements"
          " WHERE name = 'mef_get_enrolees'");
      generic = r[0].as<int64_t>();
      custom = r[1].as<int64_t>();
      return absl::OkStatus();
    }),
                IsOk());
    EXPECT_EQ(mode, "force_generic_plan") << when;
    EXPECT_GE(generic, 1) << when;  // 16 reads, fewer batches if some shared one
    EXPECT_EQ(custom, 0) << when;
  };
  lookups();
  expect_generic("first connection");
  KillBackends();
  lookups();
  expect_generic("after the connection was lost");

  std::string mode, seqscan;
  ASSERT_THAT(store->pool().RunRead([&](pqxx::connection& c) {
    pqxx::nontransaction n(c);
    mode = n.exec1("SHOW plan_cache_mode")[0].as<std::string>();
    seqscan = n.exec1("SHOW enable_seqscan")[0].as<std::string>();
    return absl::OkStatus();
  }),
              IsOk());
  EXPECT_EQ(mode, "force_generic_plan");
  EXPECT_EQ(seqscan, "off");
}

}  // namespace
}  // namespace mef
}  // namespace onem2m

// Tests for the pool, the exception mapping and the migration runner, against a real PostgreSQL
// (ONEM2M_TEST_PG; skipped when unset) except where no server is needed.
#include "common/pg/pool.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "common/pg/migrations.h"
#include "common/pg/status.h"
#include "common/pg/test_schema.h"
#include "common/pg/testdata_migrations.h"
#include "common/testing/status_matchers.h"
#include "common/testing/wait_for.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "pqxx/nontransaction"
#include "pqxx/result"
#include "pqxx/transaction"

namespace onem2m {
namespace pg {
namespace {

using ::onem2m::testing::IsOk;
using ::onem2m::testing::StatusIs;
using ::testing::Not;

// UnusedPort returns a loopback port nothing listens on (bound, then released).
int UnusedPort() {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr));
  socklen_t len = sizeof(addr);
  getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  close(fd);
  return ntohs(addr.sin_port);
}

TEST(PoolNoServerTest, DeadPortIsUnavailableQuicklyWithoutPassword) {
  PoolOptions o;
  o.conninfo = absl::StrCat("host=127.0.0.1 port=", UnusedPort(),
                            " user=mef dbname=mef password=hunter2-very-secret");
  o.connect_timeout = absl::Seconds(2);
  auto pool = ConnectionPool::Create(o);
  ASSERT_THAT(pool, IsOk());
  absl::Time start = absl::Now();
  absl::Status s = (*pool)->Ping();
  EXPECT_LT(absl::Now() - start, absl::Seconds(3));
  EXPECT_THAT(s, StatusIs(absl::StatusCode::kUnavailable)) << s;
  EXPECT_TRUE(absl::StrContains(s.message(), "database unavailable")) << s;
  EXPECT_FALSE(absl::StrContains(s.message(), "hunter2")) << s;
  EXPECT_TRUE(IsConnectionLoss(s));
  EXPECT_EQ((*pool)->open_connections(), 0);
}

TEST(PoolNoServerTest, CreateRejectsBadOptions) {
  PoolOptions o;
  EXPECT_THAT(ConnectionPool::Create(o), StatusIs(absl::StatusCode::kInvalidArgument));
  o.conninfo = "host=127.0.0.1";
  o.max_size = 0;
  EXPECT_THAT(ConnectionPool::Create(o), StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(StatusTest, ScrubSecret) {
  EXPECT_EQ(ScrubSecret("a pw b pw", "pw"), "a *** b ***");
  EXPECT_EQ(ScrubSecret("abc", ""), "abc");
}

class PgTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!TestSchema::Available()) GTEST_SKIP() << TestSchema::SkipMessage();
    auto schema = TestSchema::Create();
    ASSERT_THAT(schema, IsOk());
    schema_ = *std::move(schema);
  }

  std::unique_ptr<ConnectionPool> NewPool(int max_size = 4) {
    PoolOptions o = schema_->PoolOptionsFor();
    o.max_size = max_size;
    auto pool = ConnectionPool::Create(o);
    EXPECT_THAT(pool, IsOk());
    return *std::move(pool);
  }

  std::unique_ptr<TestSchema> schema_;
};

TEST_F(PgTest, MigrationsApplyAndAreIdempotent) {
  auto pool = NewPool();
  ASSERT_THAT(RunMigrations(*pool, "test", TestdataMigrations()), IsOk());
  ASSERT_THAT(RunMigrations(*pool, "test", TestdataMigrations()), IsOk());
  auto v = SchemaVersion(*pool, "test");
  ASSERT_THAT(v, IsOk());
  EXPECT_EQ(*v, 2);
  int rows = -1;
  ASSERT_TRUE(pool->Run([&](pqxx::connection& c) {
                    pqxx::work w(c);
                    rows = w.exec1("SELECT count(*) FROM t")[0].as<int>();
                    return absl::OkStatus();
                  })
                  .ok());
  EXPECT_EQ(rows, 1);  // 0002's INSERT ran exactly once
}

TEST_F(PgTest, MigrationsSafeWhenRunConcurrently) {
  constexpr int kReplicas = 8;
  std::vector<std::thread> threads;
  std::vector<absl::Status> results(kReplicas);
  absl::Notification go;
  for (int i = 0; i < kReplicas; ++i) {
    threads.emplace_back([&, i] {
      auto pool = NewPool(1);  // each "replica" has its own connection
      go.WaitForNotification();
      results[i] = RunMigrations(*pool, "test", TestdataMigrations());
    });
  }
  go.Notify();
  for (auto& t : threads) t.join();
  for (const auto& s : results) EXPECT_THAT(s, IsOk());
  auto pool = NewPool();
  EXPECT_EQ(*SchemaVersion(*pool, "test"), 2);
  int rows = -1, recorded = -1;
  ASSERT_TRUE(pool->Run([&](pqxx::connection& c) {
                    pqxx::work w(c);
                    rows = w.exec1("SELECT count(*) FROM t")[0].as<int>();
                    recorded = w.exec1("SELECT count(*) FROM schema_migrations")[0].as<int>();
                    return absl::OkStatus();
                  })
                  .ok());
  EXPECT_EQ(rows, 1);
  EXPECT_EQ(recorded, 2);
}

TEST_F(PgTest, NewerDatabaseIsRefused) {
  auto pool = NewPool();
  ASSERT_THAT(RunMigrations(*pool, "test", TestdataMigrations()), IsOk());
  ASSERT_TRUE(pool->Run([](pqxx::connection& c) {
                    pqxx::work w(c);
                    w.exec(
                        "INSERT INTO schema_migrations (component, version, name) "
                        "VALUES ('test', 3, 'from_the_future')");
                    w.commit();
                    return absl::OkStatus();
                  })
                  .ok());
  absl::Status s = RunMigrations(*pool, "test", TestdataMigrations());
  EXPECT_THAT(s, StatusIs(absl::StatusCode::kFailedPrecondition)) << s;
  EXPECT_TRUE(absl::StrContains(s.message(), "version 3")) << s;
}

TEST_F(PgTest, MalformedMigrationListIsRefused) {
  auto pool = NewPool();
  Migrations gap = {{1, "a", "SELECT 1"}, {3, "c", "SELECT 1"}};
  EXPECT_THAT(RunMigrations(*pool, "test", gap), StatusIs(absl::StatusCode::kFailedPrecondition));
}

TEST_F(PgTest, FailedMigrationAppliesNothing) {
  auto pool = NewPool();
  Migrations bad = {{1, "ok", "CREATE TABLE u (id int)"}, {2, "broken", "SELEKT nonsense"}};
  EXPECT_THAT(RunMigrations(*pool, "test", bad), Not(IsOk()));
  EXPECT_EQ(*SchemaVersion(*pool, "test"), 0);
}

TEST_F(PgTest, ErrorsMapToCodesAndHideRowValues) {
  auto pool = NewPool();
  ASSERT_THAT(RunMigrations(*pool, "test", TestdataMigrations()), IsOk());
  // Unique violation -> kAlreadyExists.
  absl::Status s = pool->Run([](pqxx::connection& c) {
    pqxx::work w(c);
    w.exec("INSERT INTO t (id, v) VALUES (1, 'zzqq-value')");
    w.commit();
    return absl::OkStatus();
  });
  EXPECT_THAT(s, StatusIs(absl::StatusCode::kAlreadyExists)) << s;
  EXPECT_FALSE(absl::StrContains(s.message(), "zzqq")) << s;
  // A NOT NULL violation's DETAIL would quote the row ("Failing row contains ..."); it must not
  // reach the message.
  s = pool->Run([](pqxx::connection& c) {
    pqxx::work w(c);
    w.exec("INSERT INTO t (id, v, w) VALUES (7, 'sealed-blob-bytes', NULL)");
    w.commit();
    return absl::OkStatus();
  });
  EXPECT_THAT(s, Not(IsOk()));
  EXPECT_FALSE(absl::StrContains(s.message(), "sealed-blob-bytes")) << s;
  // Other SQL errors -> kInternal, and the connection stays usable.
  s = pool->Run([](pqxx::connection& c) {
    pqxx::work w(c);
    w.exec("SELECT * FROM no_such_table");
    return absl::OkStatus();
  });
  EXPECT_THAT(s, StatusIs(absl::StatusCode::kInternal)) << s;
  EXPECT_THAT(pool->Ping(), IsOk());
}

int64_t BackendPid(ConnectionPool& pool) {
  int64_t pid = 0;
  EXPECT_TRUE(pool.Run([&](pqxx::connection& c) {
                    pqxx::nontransaction n(c);
                    pid = n.exec1("SELECT pg_backend_pid()")[0].as<int64_t>();
                    return absl::OkStatus();
                  })
                  .ok());
  return pid;
}

void Terminate(int64_t pid) {
  pqxx::connection c(TestSchema::ConnInfo());
  pqxx::nontransaction n(c);
  n.exec(absl::StrCat("SELECT pg_terminate_backend(", pid, ")"));
  // Wait until the backend is gone, so the test does not race the termination.
  EXPECT_TRUE(::onem2m::testing::WaitFor(
      [&] {
        return n.exec(absl::StrCat("SELECT 1 FROM pg_stat_activity WHERE pid = ", pid)).empty();
      },
      absl::Seconds(10), absl::Milliseconds(20)))
      << "backend " << pid << " still there";
}

TEST_F(PgTest, WriteAfterServerSideKillIsUnavailableThenRecovers) {
  auto pool = NewPool(1);
  ASSERT_THAT(RunMigrations(*pool, "test", TestdataMigrations()), IsOk());
  int64_t pid = BackendPid(*pool);
  Terminate(pid);
  auto insert = [](int id) {
    return [id](pqxx::connection& c) {
      pqxx::work w(c);
      w.exec(absl::StrCat("INSERT INTO t (id, v) VALUES (", id, ", 'x')"));
      w.commit();
      return absl::OkStatus();
    };
  };
  absl::Status s = pool->Run(insert(10));
  EXPECT_THAT(s, StatusIs(absl::StatusCode::kUnavailable)) << s;
  EXPECT_THAT(pool->Run(insert(11)), IsOk());
  EXPECT_NE(BackendPid(*pool), pid);
  EXPECT_EQ(pool->connections_made(), 2);
}

TEST_F(PgTest, ReadAfterServerSideKillRetriesTransparently) {
  auto pool = NewPool(1);
  int64_t pid = BackendPid(*pool);
  Terminate(pid);
  EXPECT_THAT(pool->Ping(), IsOk());
  EXPECT_EQ(pool->open_connections(), 1);
}

TEST_F(PgTest, PoolIsBoundedAndWaitsThenTimesOut) {
  PoolOptions o = schema_->PoolOptionsFor();
  o.max_size = 1;
  o.acquire_timeout = absl::Milliseconds(200);
  auto pool = *ConnectionPool::Create(o);
  absl::Notification holding, release;
  std::thread holder([&] {
    pool->Run([&](pqxx::connection&) {
          holding.Notify();
          release.WaitForNotification();
          return absl::OkStatus();
        })
        .IgnoreError();
  });
  holding.WaitForNotification();
  absl::Status s = pool->Ping();
  EXPECT_THAT(s, StatusIs(absl::StatusCode::kUnavailable)) << s;
  EXPECT_FALSE(IsConnectionLoss(s));
  release.Notify();
  holder.join();
  EXPECT_THAT(pool->Ping(), IsOk());
  EXPECT_EQ(pool->connections_made(), 1);
}


// PlanText returns EXPLAIN's output for `query`, one line per plan node.
std::string PlanText(pqxx::transaction_base& t, const std::string& query) {
  std::string plan;
  for (const pqxx::row& row : t.exec("EXPLAIN " + query)) {
    absl::StrAppend(&plan, row[0].c_str(), "\n");
  }
  return plan;
}

// Plans prepares a lookup by primary key on a pool with `prefer_indexes` (and generic plans, as
// every pool has), runs it on the empty table, and returns the plan the connection then holds for
// it and the one it uses after the table was filled. A cached plan is kept until something
// invalidates it (DDL, ANALYZE, a cache reset), so the first is what a fresh deployment's
// connections keep using while their tables grow.
std::pair<std::string, std::string> Plans(const TestSchema& schema, bool prefer_indexes) {
  PoolOptions o = schema.PoolOptionsFor();
  o.max_size = 1;
  o.prefer_indexes = prefer_indexes;
  o.prepare = {{"by_ids", "SELECT payload FROM grows WHERE id = ANY($1::text[])"}};
  auto pool = *ConnectionPool::Create(o);
  std::pair<std::string, std::string> plans;
  absl::Status s = pool->Run([&](pqxx::connection& c) {
    pqxx::nontransaction n(c);
    constexpr const char* kLookup = "EXECUTE by_ids('{id1,id2}')";
    n.exec("DROP TABLE IF EXISTS grows");
    // Wide rows, as the credential tables have: the planner's guess for a never-analysed table is
    // ten pages, and few rows fit in them.
    n.exec("CREATE TABLE grows (id text PRIMARY KEY, payload text NOT NULL, a text, b text, c text, "
           "d text, e text, f bytea, g timestamptz, h timestamptz)");
    n.exec_prepared("by_ids", "{a,b,c,d,e,f,g,h,i,j}");
    plans.first = PlanText(n, kLookup);
    n.exec("INSERT INTO grows SELECT 'id' || g, repeat('x', 100) FROM generate_series(1, 20000) g");
    plans.second = PlanText(n, kLookup);
    return absl::OkStatus();
  });
  EXPECT_THAT(s, IsOk());
  return plans;
}

TEST_F(PgTest, LookupsUseTheIndexEvenWhenPlannedOnAnEmptyTable) {
  // The control: planned on the empty table, the lookup scans it whole.
  EXPECT_THAT(Plans(*schema_, /*prefer_indexes=*/false).first, ::testing::HasSubstr("Seq Scan"));
  const auto [empty, grown] = Plans(*schema_, /*prefer_indexes=*/true);
  for (const std::string& plan : {empty, grown}) {
    EXPECT_THAT(plan, ::testing::HasSubstr("grows_pkey")) << plan;
    EXPECT_THAT(plan, Not(::testing::HasSubstr("Seq Scan"))) << plan;
  }
}

// PlanCounts runs a batched read (the stores' `unnest` join) `runs` times on one connection and
// returns pg_prepared_statements' {generic_plans, custom_plans} for it.
std::pair<int64_t, int64_t> PlanCounts(const TestSchema& schema, bool generic_plans, int runs) {
  PoolOptions o = schema.PoolOptionsFor();
  o.max_size = 1;
  o.generic_plans = generic_plans;
  o.prepare = {{"batch_read",
                "SELECT k.id, g.payload FROM unnest($1::text[]) AS k(id) "
                "LEFT JOIN batched g ON g.id = k.id"}};
  auto pool = *ConnectionPool::Create(o);
  std::pair<int64_t, int64_t> counts{-1, -1};
  absl::Status s = pool->Run([&](pqxx::connection& c) {
    pqxx::nontransaction n(c);
    n.exec("CREATE TABLE IF NOT EXISTS batched (id text PRIMARY KEY, payload text NOT NULL)");
    n.exec("INSERT INTO batched SELECT 'id' || g, 'x' FROM generate_series(1, 1000) g "
           "ON CONFLICT DO NOTHING");
    for (int i = 0; i < runs; ++i) n.exec_prepared("batch_read", "{id1,id2,nope}");
    pqxx::row r = n.exec1(
        "SELECT generic_plans, custom_plans FROM pg_prepared_statements WHERE name = 'batch_read'");
    counts = {r[0].as<int64_t>(), r[1].as<int64_t>()};
    return absl::OkStatus();
  });
  EXPECT_THAT(s, IsOk());
  return counts;
}

TEST_F(PgTest, BatchedReadsArePlannedOncePerConnection) {
  // The control: left to itself PostgreSQL plans this statement afresh every time.
  EXPECT_EQ(PlanCounts(*schema_, /*generic_plans=*/false, 20).second, 20);
  const auto [generic, custom] = PlanCounts(*schema_, /*generic_plans=*/true, 20);
  EXPECT_EQ(custom, 0);
  EXPECT_EQ(generic, 20);  // executions served by the cached generic plan
}

// Maintenance statements that read whole tables get sequential (and parallel) scans back for
// their own transaction only; the session keeps preferring indexes.
TEST_F(PgTest, WholeTableScansComeBackForOneTransactionOnly) {
  PoolOptions o = schema_->PoolOptionsFor();
  o.max_size = 1;
  auto pool = *ConnectionPool::Create(o);
  std::string inside, after, plan;
  ASSERT_THAT(pool->Run([&](pqxx::connection& c) {
    {
      pqxx::work w(c);
      w.exec0("CREATE TABLE versions (id int PRIMARY KEY, version int NOT NULL)");
      w.exec0("INSERT INTO versions SELECT g, g % 3 FROM generate_series(1, 5000) g");
      w.exec0("ANALYZE versions");
      w.commit();
    }
    {
      pqxx::read_transaction w(c);
      AllowWholeTableScans(w);
      inside = w.exec1("SHOW enable_seqscan")[0].as<std::string>();
      plan = PlanText(w, "SELECT version, count(*) FROM versions GROUP BY version");
      w.commit();
    }
    pqxx::nontransaction n(c);
    after = n.exec1("SHOW enable_seqscan")[0].as<std::string>();
    return absl::OkStatus();
  }),
              IsOk());
  EXPECT_EQ(inside, "on");
  EXPECT_EQ(after, "off");
  // Without the setting the planner would add its disable cost to this scan (1.0e10).
  EXPECT_THAT(plan, ::testing::HasSubstr("Seq Scan")) << plan;
  EXPECT_THAT(plan, Not(::testing::HasSubstr("10000000000"))) << plan;
}

}  // namespace
}  // namespace pg
}  // namespace onem2m

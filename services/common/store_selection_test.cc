#include "services/common/store_selection.h"

#include <pthread.h>
#include <signal.h>

#include <memory>
#include <string>

#include "absl/status/status.h"
#include "common/ops/ops_server.h"
#include "common/pg/pool.h"
#include "common/testing/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace onem2m::services {
namespace {

using ::onem2m::testing::StatusIs;

TEST(ParseStoreSelectionTest, MemoryNeedsNothingElse) {
  OptionOr<StoreSelection> s = ParseStoreSelection({"memory", "", 8}, "mef_server");
  ASSERT_TRUE(s.ok()) << s.error().status;
  EXPECT_EQ(s->kind, StoreKind::kMemory);
}

TEST(ParseStoreSelectionTest, PgCarriesThePoolOptions) {
  OptionOr<StoreSelection> s = ParseStoreSelection({"pg", "host=db dbname=maf", 3}, "maf_server");
  ASSERT_TRUE(s.ok()) << s.error().status;
  EXPECT_EQ(s->kind, StoreKind::kPg);
  EXPECT_EQ(s->pool.conninfo, "host=db dbname=maf");
  EXPECT_EQ(s->pool.max_size, 3);
  EXPECT_EQ(s->pool.application_name, "maf_server");
}

TEST(ParseStoreSelectionTest, PgWithoutConninfoNamesThePgFlag) {
  OptionOr<StoreSelection> s = ParseStoreSelection({"pg", "", 8}, "mef_server");
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().option, "pg");
  EXPECT_THAT(s.error().status,
              StatusIs(absl::StatusCode::kInvalidArgument, "required with --store=pg"));
}

TEST(ParseStoreSelectionTest, UnknownStoreNamesTheStoreFlag) {
  for (const char* bad : {"", "postgres", "Memory"}) {
    OptionOr<StoreSelection> s = ParseStoreSelection({bad, "host=db", 8}, "mef_server");
    ASSERT_FALSE(s.ok()) << bad;
    EXPECT_EQ(s.error().option, "store");
    EXPECT_THAT(s.error().status,
                StatusIs(absl::StatusCode::kInvalidArgument, "must be 'pg' or 'memory'"));
  }
}

// A store interface with a memory and a "PostgreSQL" implementation; the latter owns a real pool
// (ConnectionPool::Create does not connect).
class FakeStore {
 public:
  virtual ~FakeStore() = default;
  virtual std::string name() const = 0;
};

class FakeMemoryStore : public FakeStore {
 public:
  std::string name() const override { return "memory"; }
};

class FakePgStore : public FakeStore {
 public:
  explicit FakePgStore(std::unique_ptr<pg::ConnectionPool> pool) : pool_(std::move(pool)) {}
  std::string name() const override { return "pg"; }
  const pg::ConnectionPool& pool() const { return *pool_; }

 private:
  std::unique_ptr<pg::ConnectionPool> pool_;
};

class OpenStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    sigemptyset(&signals_);
    sigaddset(&signals_, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &signals_, &old_mask_);
  }
  void TearDown() override { pthread_sigmask(SIG_SETMASK, &old_mask_, nullptr); }

  OpenedStore<FakeStore> Open(
      const StoreSelection& selection,
      std::function<absl::StatusOr<std::unique_ptr<FakePgStore>>(const pg::PoolOptions&)> open_pg) {
    return OpenStore<FakeStore, FakePgStore>(
        setup_, ops_, signals_, selection, "lost on exit",
        [] { return std::make_unique<FakeMemoryStore>(); }, open_pg);
  }

  ServiceSetup setup_{"store_selection_test"};
  ops::OpsServer ops_{std::make_shared<prometheus::Registry>()};
  sigset_t signals_;
  sigset_t old_mask_;
};

TEST_F(OpenStoreTest, MemoryStoreHasNoPool) {
  StoreSelection s;
  s.kind = StoreKind::kMemory;
  bool pg_called = false;
  OpenedStore<FakeStore> opened = Open(s, [&](const pg::PoolOptions&) {
    pg_called = true;
    return absl::UnavailableError("not used");
  });
  ASSERT_NE(opened.store, nullptr);
  EXPECT_EQ(opened.store->name(), "memory");
  EXPECT_EQ(opened.pool, nullptr);
  EXPECT_FALSE(pg_called);
}

TEST_F(OpenStoreTest, PgStoreGetsThePoolOptionsAndExposesItsPool) {
  StoreSelection s;
  s.kind = StoreKind::kPg;
  s.pool.conninfo = "host=127.0.0.1 port=1 dbname=none";
  s.pool.max_size = 2;
  const pg::ConnectionPool* made = nullptr;
  OpenedStore<FakeStore> opened =
      Open(s, [&](const pg::PoolOptions& pool) -> absl::StatusOr<std::unique_ptr<FakePgStore>> {
        EXPECT_EQ(pool.conninfo, "host=127.0.0.1 port=1 dbname=none");
        EXPECT_EQ(pool.max_size, 2);
        absl::StatusOr<std::unique_ptr<pg::ConnectionPool>> p = pg::ConnectionPool::Create(pool);
        if (!p.ok()) return p.status();
        made = p->get();
        return std::make_unique<FakePgStore>(*std::move(p));
      });
  ASSERT_NE(opened.store, nullptr);
  EXPECT_EQ(opened.store->name(), "pg");
  ASSERT_NE(made, nullptr);
  EXPECT_EQ(opened.pool, made);
}

TEST_F(OpenStoreTest, TerminationWhileWaitingForTheDatabaseGivesNoStore) {
  StoreSelection s;
  s.kind = StoreKind::kPg;
  s.pool.conninfo = "host=127.0.0.1 port=1";
  // SIGTERM is blocked: raised now it stays pending, and the first backoff wait takes it.
  ASSERT_EQ(raise(SIGTERM), 0);
  int attempts = 0;
  OpenedStore<FakeStore> opened = Open(s, [&](const pg::PoolOptions&) {
    ++attempts;
    return absl::UnavailableError("connection refused");
  });
  EXPECT_EQ(opened.store, nullptr);
  EXPECT_EQ(opened.pool, nullptr);
  EXPECT_EQ(attempts, 1);
}

TEST_F(OpenStoreTest, ErrorOtherThanUnavailableStopsStartUpNamingPg) {
  StoreSelection s;
  s.kind = StoreKind::kPg;
  s.pool.conninfo = "host=127.0.0.1 port=1";
  EXPECT_EXIT(Open(s,
                   [](const pg::PoolOptions&) {
                     return absl::PermissionDeniedError("password authentication failed");
                   }),
              ::testing::ExitedWithCode(2),
              "store_selection_test: --pg: PERMISSION_DENIED: password authentication failed");
}

}  // namespace
}  // namespace onem2m::services

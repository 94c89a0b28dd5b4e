#include "maf/store/pg_maf_store.h"

#include <memory>
#include <thread>
#include <vector>

#include "common/pg/test_schema.h"
#include "common/testing/status_matchers.h"
#include "maf/store/forwarding_maf_store.h"
#include "maf/store/maf_store_test_suite.h"

namespace onem2m {
namespace maf {
namespace {

using ::onem2m::testing::IsOk;

// Owning is the PgMafStore plus its test schema, dropped after the store.
class Owning final : public ForwardingMafStore {
 public:
  Owning(std::unique_ptr<pg::TestSchema> schema, std::unique_ptr<PgMafStore> store)
      : ForwardingMafStore(std::move(store)), schema_(std::move(schema)) {}

 private:
  // Members die before the base, so the schema is dropped while the store's idle connections are
  // still open; they hold no locks, so DROP SCHEMA does not wait for them.
  std::unique_ptr<pg::TestSchema> schema_;
};

// MakePgStore returns a store in a fresh schema, or nullptr (skip) without ONEM2M_TEST_PG.
std::unique_ptr<MafStore> MakeStore(const Clock* clock, bool batch_lone_writes) {
  if (!pg::TestSchema::Available()) return nullptr;
  absl::StatusOr<std::unique_ptr<pg::TestSchema>> schema = pg::TestSchema::Create();
  if (!schema.ok()) {
    ADD_FAILURE() << schema.status();
    return nullptr;
  }
  PgMafStoreOptions o;
  o.pool = (*schema)->PoolOptionsFor();
  o.clock = clock;
  o.batch_lone_writes = batch_lone_writes;
  absl::StatusOr<std::unique_ptr<PgMafStore>> store = PgMafStore::Create(std::move(o));
  if (!store.ok()) {
    ADD_FAILURE() << store.status();
    return nullptr;
  }
  return std::make_unique<Owning>(std::move(*schema), std::move(*store));
}

std::unique_ptr<MafStore> MakePgStore(const Clock* clock) { return MakeStore(clock, false); }
// Every write through the group commit's batch statements, even when it is alone in its batch.
std::unique_ptr<MafStore> MakeBatchingPgStore(const Clock* clock) { return MakeStore(clock, true); }

INSTANTIATE_TEST_SUITE_P(Postgres, MafStoreTest, ::testing::Values(MafStoreFactory(&MakePgStore)));
INSTANTIATE_TEST_SUITE_P(PostgresBatched, MafStoreTest,
                         ::testing::Values(MafStoreFactory(&MakeBatchingPgStore)));

TEST(PgMafStoreTest, ReplicasMigratingTogetherConvergeAndRegisterOneClient) {
  if (!pg::TestSchema::Available()) GTEST_SKIP() << pg::TestSchema::SkipMessage();
  absl::StatusOr<std::unique_ptr<pg::TestSchema>> schema = pg::TestSchema::Create();
  ASSERT_THAT(schema, IsOk());
  // Four "replicas" start at once: the advisory lock lets each migration run once.
  std::vector<std::unique_ptr<PgMafStore>> stores(4);
  std::vector<std::thread> threads;
  std::vector<absl::Status> results(4);
  for (int i = 0; i < 4; ++i) {
    threads.emplace_back([&, i] {
      PgMafStoreOptions o;
      o.pool = (*schema)->PoolOptionsFor();
      absl::StatusOr<std::unique_ptr<PgMafStore>> s = PgMafStore::Create(std::move(o));
      results[i] = s.status();
      if (s.ok()) stores[i] = std::move(*s);
    });
  }
  for (auto& t : threads) t.join();
  for (const absl::Status& s : results) ASSERT_THAT(s, IsOk()) << s;

  MafCredential c;
  c.km_id = *crypto::KeyId::Parse("4B4B4B4B4B4B4B4B4B4B4B4B4B4B4B01@maf.example.com");
  c.ke_id = *crypto::KeyId::Parse("45454545454545454545454545454501@mef.example.com");
  c.km = SealedKey{"blob", 1};
  c.enrolee_id = "C-dev1";
  c.mef_fqdn = "mef.example.com";
  c.expires_at = absl::Now() + absl::Hours(1);
  // Every replica stores the same Km and registers the client concurrently: one row each.
  threads.clear();
  std::vector<std::string> reg_ids(4);
  for (int i = 0; i < 4; ++i) {
    threads.emplace_back([&, i] {
      if (!stores[i]->PutCredential(c).ok()) return;
      absl::StatusOr<MafClient> r = stores[i]->RegisterClient(c.km_id, absl::InfiniteFuture());
      if (r.ok()) reg_ids[i] = r->maf_client_reg_id;
    });
  }
  for (auto& t : threads) t.join();
  for (const std::string& id : reg_ids) EXPECT_EQ(id, reg_ids[0]);
  EXPECT_FALSE(reg_ids[0].empty());
  stores.clear();
}

}  // namespace
}  // namespace maf
}  // namespace onem2m

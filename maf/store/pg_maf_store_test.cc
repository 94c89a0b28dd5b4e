#include "maf/store/pg_maf_store.h"

#include <memory>
#include <thread>
#include <vector>

#include "common/pg/test_schema.h"
#include "maf/store/maf_store_test_suite.h"

namespace onem2m {
namespace maf {
namespace {

// Owning forwards to a PgMafStore and drops its test schema after it.
class Owning final : public MafStore {
 public:
  Owning(std::unique_ptr<pg::TestSchema> schema, std::unique_ptr<PgMafStore> store)
      : schema_(std::move(schema)), s_(std::move(store)) {}
  ~Owning() override { s_.reset(); }
  absl::StatusOr<MafCredential> PutCredential(const MafCredential& c) override {
    return s_->PutCredential(c);
  }
  absl::StatusOr<MafCredential> GetCredentialByKmId(absl::string_view id) override {
    return s_->GetCredentialByKmId(id);
  }
  absl::StatusOr<MafCredential> GetCredentialByKeId(absl::string_view id) override {
    return s_->GetCredentialByKeId(id);
  }
  absl::Status RecordHandshake(absl::string_view id, Transport t) override {
    return s_->RecordHandshake(id, t);
  }
  absl::StatusOr<std::vector<std::string>> RevokeByKeId(absl::string_view id,
                                                        const Revocation& w) override {
    return s_->RevokeByKeId(id, w);
  }
  absl::StatusOr<std::vector<std::string>> RevokeByEnroleeId(absl::string_view id,
                                                             const Revocation& w) override {
    return s_->RevokeByEnroleeId(id, w);
  }
  absl::StatusOr<MafClient> RegisterClient(absl::string_view id, absl::Time t) override {
    return s_->RegisterClient(id, t);
  }
  absl::StatusOr<MafClient> GetActiveClientByKmId(absl::string_view id) override {
    return s_->GetActiveClientByKmId(id);
  }
  absl::StatusOr<MafClient> GetClient(absl::string_view id) override { return s_->GetClient(id); }
  absl::StatusOr<MafClient> GetLatestClientByKmId(absl::string_view id) override {
    return s_->GetLatestClientByKmId(id);
  }
  absl::Status DeregisterClient(absl::string_view id) override { return s_->DeregisterClient(id); }
  absl::StatusOr<MafClient> RevokeClient(absl::string_view id, const Revocation& w) override {
    return s_->RevokeClient(id, w);
  }
  absl::StatusOr<MafKey> RegisterKey(const MafKey& k) override { return s_->RegisterKey(k); }
  absl::StatusOr<MafKey> GetActiveKey(absl::string_view id) override {
    return s_->GetActiveKey(id);
  }
  absl::StatusOr<MafKey> GetKey(absl::string_view id) override { return s_->GetKey(id); }
  absl::StatusOr<MafKey> UpdateKey(absl::string_view id, absl::string_view reg,
                                   const KeyUpdate& u) override {
    return s_->UpdateKey(id, reg, u);
  }
  absl::Status DeregisterKey(absl::string_view id, absl::string_view reg) override {
    return s_->DeregisterKey(id, reg);
  }
  absl::StatusOr<MafKey> RevokeKey(absl::string_view id, const Revocation& w) override {
    return s_->RevokeKey(id, w);
  }
  absl::StatusOr<ListClientsResponse> ListClients(const ListClientsRequest& r) override {
    return s_->ListClients(r);
  }
  absl::StatusOr<ListKeysResponse> ListKeys(const ListKeysRequest& r) override {
    return s_->ListKeys(r);
  }
  absl::Status CheckHealth() override { return s_->CheckHealth(); }

 private:
  std::unique_ptr<pg::TestSchema> schema_;
  std::unique_ptr<PgMafStore> s_;
};

// MakePgStore returns a store in a fresh schema, or nullptr (skip) without ONEM2M_TEST_PG.
std::unique_ptr<MafStore> MakePgStore(Clock clock) {
  if (!pg::TestSchema::Available()) return nullptr;
  absl::StatusOr<std::unique_ptr<pg::TestSchema>> schema = pg::TestSchema::Create();
  if (!schema.ok()) {
    ADD_FAILURE() << schema.status();
    return nullptr;
  }
  PgMafStoreOptions o;
  o.pool = (*schema)->PoolOptionsFor();
  o.clock = std::move(clock);
  absl::StatusOr<std::unique_ptr<PgMafStore>> store = PgMafStore::Create(std::move(o));
  if (!store.ok()) {
    ADD_FAILURE() << store.status();
    return nullptr;
  }
  return std::make_unique<Owning>(std::move(*schema), std::move(*store));
}

INSTANTIATE_TEST_SUITE_P(Postgres, MafStoreTest,
                         ::testing::Values(MafStoreFactory(&MakePgStore)));

TEST(PgMafStoreTest, ReplicasMigratingTogetherConvergeAndRegisterOneClient) {
  if (!pg::TestSchema::Available()) GTEST_SKIP() << pg::TestSchema::SkipMessage();
  absl::StatusOr<std::unique_ptr<pg::TestSchema>> schema = pg::TestSchema::Create();
  ASSERT_TRUE(schema.ok()) << schema.status();
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
  for (const absl::Status& s : results) ASSERT_TRUE(s.ok()) << s;

  MafCredential c;
  c.km_id = "4B4B4B4B4B4B4B4B4B4B4B4B4B4B4B01@maf.example.com";
  c.ke_id = "45454545454545454545454545454501@mef.example.com";
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

// PgMafStore's group commit (pg_maf_writes.cc): concurrent first-contact writes share one
// transaction, each caller gets its own row's outcome, one bad row fails only itself, a lost
// database fails the batch with kUnavailable, and decoy writes insert a row into the credentials'
// twin table (write WAL, store nothing anybody reads) that a sweep removes.
#include <atomic>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/notification.h"
#include "common/pg/test_schema.h"
#include "common/testing/status_matchers.h"
#include "common/testing/wait_for.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "maf/store/pg_maf_store.h"
#include "pqxx/pqxx"

namespace onem2m {
namespace maf {
namespace {

using ::onem2m::testing::IsOk;
using ::onem2m::testing::IsOkAndHolds;
using ::onem2m::testing::StatusIs;
using ::onem2m::testing::WaitFor;

crypto::KeyId Id(int i, const char* fqdn, char tag) {
  std::string rel(16, tag);
  rel[15] = static_cast<char>(i);
  return *crypto::KeyId::FromParts(rel, fqdn);
}
crypto::KeyId KmId(int i) { return Id(i, "maf.example.com", 'K'); }
crypto::KeyId KeId(int i) { return Id(i, "mef.example.com", 'E'); }

MafCredential Cred(int i, const std::string& enrolee = "") {
  MafCredential c;
  c.km_id = KmId(i);
  c.ke_id = KeId(i);
  c.km = SealedKey{absl::StrCat("sealed-km-", i, std::string(60, 'x')), 1};
  c.enrolee_id = enrolee.empty() ? absl::StrCat("C-dev", i) : enrolee;
  c.mef_fqdn = "mef.example.com";
  c.expires_at = absl::Now() + absl::Hours(1);
  return c;
}

class PgMafGroupCommitTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!pg::TestSchema::Available()) GTEST_SKIP() << pg::TestSchema::SkipMessage();
    absl::StatusOr<std::unique_ptr<pg::TestSchema>> schema = pg::TestSchema::Create();
    ASSERT_THAT(schema, IsOk());
    schema_ = std::move(*schema);
    PgMafStoreOptions o;
    o.pool = schema_->PoolOptionsFor();
    o.pool.application_name = AppName();
    absl::StatusOr<std::unique_ptr<PgMafStore>> store = PgMafStore::Create(std::move(o));
    ASSERT_THAT(store, IsOk());
    store_ = std::move(*store);
    admin_ = std::make_unique<pqxx::connection>(pg::TestSchema::ConnInfo());
    Exec(absl::StrCat("SET search_path TO ", schema_->name()));
  }
  void TearDown() override {
    locker_.reset();
    store_.reset();
    admin_.reset();
    schema_.reset();
  }

  void Exec(const std::string& sql) {
    pqxx::nontransaction n(*admin_);
    n.exec(sql);
  }
  int64_t Count(const std::string& table) {
    pqxx::nontransaction n(*admin_);
    return n.exec1(absl::StrCat("SELECT count(*) FROM ", table))[0].as<int64_t>();
  }

  // BlockWrites holds a lock that stops every insert into maf_credentials until ReleaseWrites, so
  // the writes that arrive meanwhile queue up behind the committer's blocked batch.
  void BlockWrites() {
    locker_ = std::make_unique<pqxx::connection>(pg::TestSchema::ConnInfo());
    locker_work_ = std::make_unique<pqxx::work>(*locker_);
    locker_work_->exec(
        absl::StrCat("LOCK TABLE ", schema_->name(), ".maf_credentials IN SHARE MODE"));
  }
  void ReleaseWrites() {
    locker_work_->commit();
    locker_work_.reset();
  }
  // CommitterBlocked: one of the store's connections waits for the lock of BlockWrites.
  bool CommitterBlocked() {
    return Count(absl::StrCat("pg_stat_activity WHERE wait_event_type = 'Lock' AND "
                              "application_name = '",
                              AppName(), "'")) >= 1;
  }
  std::string AppName() const { return absl::StrCat("maf_gc_test_", schema_->name()); }
  void KillStoreConnections() {
    Exec(
        absl::StrCat("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE "
                     "application_name = '",
                     AppName(), "'"));
  }
  // WaitQueued waits until `n` writes wait behind the committer.
  bool WaitQueued(int n) {
    return WaitFor([&] { return store_->write_stats().queued >= n; });
  }

  std::unique_ptr<pg::TestSchema> schema_;
  std::unique_ptr<PgMafStore> store_;
  std::unique_ptr<pqxx::connection> admin_;
  std::unique_ptr<pqxx::connection> locker_;
  std::unique_ptr<pqxx::work> locker_work_;
};

TEST_F(PgMafGroupCommitTest, ConcurrentFirstContactsShareTransactionsAndGetTheirOwnRows) {
  BlockWrites();
  std::thread first([&] { EXPECT_THAT(store_->PutCredential(Cred(100)), IsOk()); });
  ASSERT_TRUE(WaitFor([&] { return CommitterBlocked(); }));
  constexpr int kDevices = 24, kDecoys = 8;
  std::atomic<int> right{0}, decoys_ok{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < kDevices; ++i) {
    threads.emplace_back([&, i] {
      absl::StatusOr<MafCredential> put = store_->PutCredential(Cred(i));
      if (!put.ok() || put->km_id != KmId(i) || put->ke_id != KeId(i) ||
          put->enrolee_id != absl::StrCat("C-dev", i) ||
          put->km.ciphertext != Cred(i).km.ciphertext) {
        ADD_FAILURE() << "device " << i << ": " << put.status();
        return;
      }
      absl::StatusOr<MafClient> reg = store_->RegisterClient(KmId(i), absl::InfiniteFuture());
      if (!reg.ok() || reg->km_id != KmId(i) || reg->enrolee_id != absl::StrCat("C-dev", i)) {
        ADD_FAILURE() << "device " << i << ": " << reg.status();
        return;
      }
      // Idempotent: the same registration again.
      absl::StatusOr<MafClient> again = store_->RegisterClient(KmId(i), absl::InfiniteFuture());
      if (again.ok() && again->maf_client_reg_id == reg->maf_client_reg_id) ++right;
    });
  }
  for (int i = 0; i < kDecoys; ++i) {
    threads.emplace_back([&, i] {
      if (store_->WriteDecoyCredential(Cred(200 + i)).ok()) ++decoys_ok;
    });
  }
  ASSERT_TRUE(WaitQueued(kDevices + kDecoys));
  ReleaseWrites();
  for (std::thread& t : threads) t.join();
  first.join();
  EXPECT_EQ(right.load(), kDevices);
  EXPECT_EQ(decoys_ok.load(), kDecoys);
  EXPECT_EQ(Count("maf_credentials"), kDevices + 1);  // decoys store nothing
  EXPECT_EQ(Count("maf_clients"), kDevices);
  const pg::GroupCommitStats stats = store_->write_stats();
  EXPECT_EQ(stats.items, 1 + kDevices + kDecoys + 2 * kDevices);
  EXPECT_GE(stats.largest, kDevices + kDecoys);  // everything queued behind the lock went at once
}

TEST_F(PgMafGroupCommitTest, RowsThatFailInsideABatchFailOnlyThemselves) {
  ASSERT_THAT(store_->PutCredential(Cred(1)), IsOk());
  BlockWrites();
  std::thread first([&] { EXPECT_THAT(store_->PutCredential(Cred(100)), IsOk()); });
  ASSERT_TRUE(WaitFor([&] { return CommitterBlocked(); }));
  std::vector<absl::Status> good(10);
  absl::Status taken, unregistered, revoked_reg;
  std::vector<std::thread> threads;
  for (int i = 0; i < 10; ++i) {
    threads.emplace_back([&, i] { good[i] = store_->PutCredential(Cred(10 + i)).status(); });
  }
  threads.emplace_back([&] {
    MafCredential c = Cred(50);
    c.ke_id = KeId(1);  // stored under KmId(1)
    taken = store_->PutCredential(c).status();
  });
  threads.emplace_back(
      [&] { unregistered = store_->RegisterClient(KmId(60), absl::InfiniteFuture()).status(); });
  ASSERT_TRUE(WaitQueued(12));
  ReleaseWrites();
  for (std::thread& t : threads) t.join();
  first.join();
  for (const absl::Status& s : good) EXPECT_THAT(s, IsOk());
  EXPECT_THAT(taken, StatusIs(absl::StatusCode::kAlreadyExists));
  EXPECT_THAT(unregistered, StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_EQ(Count("maf_credentials"), 12);
}

TEST_F(PgMafGroupCommitTest, ARowTheDatabaseRejectsDoesNotFailItsBatch) {
  // A row that passes validation but that the database refuses (here a trigger) aborts the
  // batch's transaction; the batch is then written row by row.
  Exec(
      "CREATE FUNCTION reject_poison() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN IF "
      "NEW.enrolee_id = 'C-poison' THEN RAISE EXCEPTION 'poison row'; END IF; RETURN NEW; END $$");
  Exec(
      "CREATE TRIGGER poison BEFORE INSERT ON maf_credentials FOR EACH ROW EXECUTE FUNCTION "
      "reject_poison()");
  BlockWrites();
  std::thread first([&] { EXPECT_THAT(store_->PutCredential(Cred(100)), IsOk()); });
  ASSERT_TRUE(WaitFor([&] { return CommitterBlocked(); }));
  std::vector<absl::Status> good(8);
  absl::Status poisoned, decoy;
  std::vector<std::thread> threads;
  for (int i = 0; i < 8; ++i) {
    threads.emplace_back([&, i] { good[i] = store_->PutCredential(Cred(10 + i)).status(); });
  }
  threads.emplace_back([&] { poisoned = store_->PutCredential(Cred(30, "C-poison")).status(); });
  threads.emplace_back([&] { decoy = store_->WriteDecoyCredential(Cred(31)); });
  ASSERT_TRUE(WaitQueued(10));
  ReleaseWrites();
  for (std::thread& t : threads) t.join();
  first.join();
  for (const absl::Status& s : good) EXPECT_THAT(s, IsOk());
  EXPECT_THAT(decoy, IsOk());
  EXPECT_THAT(poisoned, StatusIs(absl::StatusCode::kInternal));
  EXPECT_EQ(Count("maf_credentials"), 9);
}

TEST_F(PgMafGroupCommitTest, ALostDatabaseFailsTheWholeBatchWithUnavailable) {
  BlockWrites();
  absl::Status lone;
  std::thread first([&] { lone = store_->PutCredential(Cred(100)).status(); });
  ASSERT_TRUE(WaitFor([&] { return CommitterBlocked(); }));
  std::vector<absl::Status> results(12);
  std::vector<std::thread> threads;
  for (int i = 0; i < 12; ++i) {
    threads.emplace_back([&, i] {
      results[i] = i % 3 == 2   ? store_->WriteDecoyCredential(Cred(i))
                   : i % 3 == 1 ? store_->RegisterClient(KmId(i), absl::InfiniteFuture()).status()
                                : store_->PutCredential(Cred(i)).status();
    });
  }
  ASSERT_TRUE(WaitQueued(12));
  // The lone batch (item 100) dies with its connection; the 12 queued behind it then go together
  // on a fresh connection, wait for the lock too, and lose their connection as well.
  KillStoreConnections();
  first.join();
  EXPECT_THAT(lone, StatusIs(absl::StatusCode::kUnavailable));
  ASSERT_TRUE(WaitFor([&] { return store_->write_stats().queued == 0 && CommitterBlocked(); }));
  KillStoreConnections();
  for (std::thread& t : threads) t.join();
  ReleaseWrites();
  for (const absl::Status& s : results) EXPECT_THAT(s, StatusIs(absl::StatusCode::kUnavailable));
  EXPECT_EQ(store_->write_stats().largest, 12);
  EXPECT_EQ(Count("maf_credentials"), 0);
  // The store heals: the next write gets a fresh connection.
  EXPECT_THAT(store_->PutCredential(Cred(150)), IsOk());
}

TEST_F(PgMafGroupCommitTest, RegisterClientAsyncQueuesTheRowAndAnswersFromTheCommitter) {
  ASSERT_THAT(store_->PutCredential(Cred(1)), IsOk());
  EXPECT_TRUE(store_->RegistersWithoutWaiting());
  BlockWrites();
  std::thread first([&] { EXPECT_THAT(store_->PutCredential(Cred(100)), IsOk()); });
  ASSERT_TRUE(WaitFor([&] { return CommitterBlocked(); }));
  absl::Notification answered;
  absl::StatusOr<MafClient> got = absl::UnknownError("not answered");
  std::thread::id answered_on;
  absl::StatusOr<MafClient> unknown = absl::UnknownError("not answered");
  absl::Notification unknown_answered;
  store_->RegisterClientAsync(KmId(1), absl::InfiniteFuture(), [&](absl::StatusOr<MafClient> c) {
    got = std::move(c);
    answered_on = std::this_thread::get_id();
    answered.Notify();
  });
  store_->RegisterClientAsync(KmId(60), absl::InfiniteFuture(), [&](absl::StatusOr<MafClient> c) {
    unknown = std::move(c);
    unknown_answered.Notify();
  });
  // Both returned at once, their rows queued behind the blocked batch.
  EXPECT_FALSE(answered.HasBeenNotified());
  EXPECT_FALSE(unknown_answered.HasBeenNotified());
  EXPECT_EQ(store_->write_stats().queued, 2);
  ReleaseWrites();
  first.join();
  ASSERT_TRUE(answered.WaitForNotificationWithTimeout(absl::Seconds(30)));
  ASSERT_TRUE(unknown_answered.WaitForNotificationWithTimeout(absl::Seconds(30)));
  EXPECT_NE(answered_on, std::this_thread::get_id());  // the committer's thread
  ASSERT_THAT(got, IsOk());
  EXPECT_EQ(got->km_id, KmId(1));
  EXPECT_EQ(got->enrolee_id, "C-dev1");
  EXPECT_THAT(unknown, StatusIs(absl::StatusCode::kFailedPrecondition));
  // The row RegisterClient finds is the one written (registration is idempotent per Km).
  absl::StatusOr<MafClient> again = store_->RegisterClient(KmId(1), absl::InfiniteFuture());
  ASSERT_THAT(again, IsOk());
  EXPECT_EQ(again->maf_client_reg_id, got->maf_client_reg_id);
}

TEST_F(PgMafGroupCommitTest, RegisterClientAsyncRefusesAPastExpiryAtOnceAndWaitsWithoutGroupCommit) {
  ASSERT_THAT(store_->PutCredential(Cred(1)), IsOk());
  bool answered = false;
  store_->RegisterClientAsync(KmId(1), absl::Now() - absl::Seconds(1),
                              [&](absl::StatusOr<MafClient> c) {
                                EXPECT_THAT(c, StatusIs(absl::StatusCode::kInvalidArgument));
                                answered = true;
                              });
  EXPECT_TRUE(answered);  // on this thread, before returning
  EXPECT_EQ(store_->write_stats().items, 1);  // only the credential went to the committer

  // Without group commit a registration is a statement of the caller's: it waits, so the store
  // does not claim otherwise, and RegisterClientAsync answers before it returns.
  PgMafStoreOptions o;
  o.pool = schema_->PoolOptionsFor();
  o.group_commit = false;
  absl::StatusOr<std::unique_ptr<PgMafStore>> direct = PgMafStore::Create(std::move(o));
  ASSERT_THAT(direct, IsOk());
  EXPECT_FALSE((*direct)->RegistersWithoutWaiting());
  answered = false;
  (*direct)->RegisterClientAsync(KmId(1), absl::InfiniteFuture(), [&](absl::StatusOr<MafClient> c) {
    EXPECT_THAT(c, IsOk());
    answered = true;
  });
  EXPECT_TRUE(answered);
}

TEST_F(PgMafGroupCommitTest, ConcurrentCredentialReadsEachGetTheirOwnAnswer) {
  // Batched reads (PgMafStoreOptions::batch_reads, by KmID): known, unknown and revoked identities
  // read at once, several times each, so batches mix them and repeat keys; the same identities by
  // KeID (one SELECT each) between them.
  for (int i = 0; i < 8; ++i) ASSERT_THAT(store_->PutCredential(Cred(i)), IsOk());
  ASSERT_THAT(store_->RevokeByKeId(KeId(7), Revocation{"test", "test", absl::InfinitePast()}),
              IsOk());
  std::atomic<int> wrong{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 16; ++t) {
    threads.emplace_back([&, t] {
      for (int n = 0; n < 20; ++n) {
        const int i = (t + n) % 10;  // 0..6 known, 7 revoked, 8 and 9 unknown
        absl::StatusOr<MafCredential> by_km = store_->GetCredentialByKmId(KmId(i));
        absl::StatusOr<MafCredential> by_ke = store_->GetCredentialByKeId(KeId(i));
        for (const absl::StatusOr<MafCredential>* r : {&by_km, &by_ke}) {
          const bool right = i < 7 ? r->ok() && (*r)->km_id == KmId(i) && (*r)->ke_id == KeId(i) &&
                                         (*r)->km.ciphertext == Cred(i).km.ciphertext
                             : i == 7 ? r->status().code() == absl::StatusCode::kFailedPrecondition
                                      : r->status().code() == absl::StatusCode::kNotFound;
          if (!right) ++wrong;
        }
      }
    });
  }
  for (std::thread& t : threads) t.join();
  EXPECT_EQ(wrong.load(), 0);
}

TEST_F(PgMafGroupCommitTest, DecoysGoIntoATwinOfTheCredentialsTableAndAreSwept) {
  // What makes a decoy cost what PutCredential costs: the same insert into a table of the same
  // shape (columns, constraints, indexes, storage parameters), which nothing reads.
  auto shape = [&](const char* table) {
    pqxx::nontransaction n(*admin_);
    pqxx::row r = n.exec_params1(
        "SELECT (SELECT string_agg(attname || ' ' || format_type(atttypid, atttypmod) || ' ' || "
        "attnotnull::text, ',' ORDER BY attnum) FROM pg_attribute WHERE attrelid = $1::regclass "
        "AND attnum > 0 AND NOT attisdropped), (SELECT string_agg(d, ',' ORDER BY d) FROM (SELECT "
        "indisunique::text || regexp_replace(pg_get_indexdef(indexrelid), '^.* USING ', '') AS d "
        "FROM pg_index WHERE indrelid = $1::regclass) i), (SELECT string_agg(d, ',' ORDER BY d) "
        "FROM (SELECT pg_get_constraintdef(oid) AS d FROM pg_constraint WHERE conrelid = "
        "$1::regclass) c), (SELECT COALESCE(array_to_string(reloptions, ','), '') FROM "
        "pg_class WHERE oid = $1::regclass)",
        std::string(table));
    return absl::StrCat(r[0].as<std::string>(), "|", r[1].as<std::string>(), "|",
                        r[2].as<std::string>(), "|", r[3].as<std::string>());
  };
  EXPECT_EQ(shape("maf_credentials"), shape("maf_decoy_credentials"));
  // Migration 0007: room on each page for the handshake notes' heap-only updates.
  EXPECT_THAT(shape("maf_credentials"), ::testing::EndsWith("|fillfactor=80"));
  EXPECT_THAT(store_->WriteDecoyCredential(Cred(1)), IsOk());
  EXPECT_THAT(store_->WriteDecoyCredential(Cred(1)), IsOk());  // random identifiers each time
  EXPECT_EQ(Count("maf_credentials"), 0);
  EXPECT_EQ(Count("maf_decoy_credentials"), 2);
  // The sweep deletes what was written before its cutoff, nothing newer.
  EXPECT_THAT(store_->SweepDecoyCredentials(absl::Now() - absl::Hours(1)), IsOkAndHolds(0));
  EXPECT_THAT(store_->SweepDecoyCredentials(absl::Now() + absl::Hours(1)), IsOkAndHolds(2));
  EXPECT_EQ(Count("maf_decoy_credentials"), 0);
}

TEST_F(PgMafGroupCommitTest, ThePreviousReleasesDecoyFunctionStillWorks) {
  // Expand/contract (docs/operations.md, "Upgrade"): during a rolling update the previous release's
  // MAF pods prepare and call 0005's maf_decoy_credential against the migrated schema.
  pqxx::work w(*admin_);
  pqxx::result r = w.exec(
      "SELECT km_id FROM maf_decoy_credential('K@maf.example.com', 'E@mef.example.com', "
      "'\\x00'::bytea, 1, 'C-decoy', 'mef.example.com', now() + interval '1 hour', now())");
  EXPECT_EQ(r.size(), 1u);
  w.commit();
  EXPECT_EQ(Count("maf_credentials"), 0);
}

TEST_F(PgMafGroupCommitTest, TheBackgroundSweepDeletesDecoysOlderThanTheRetention) {
  PgMafStoreOptions o;
  o.pool = schema_->PoolOptionsFor();
  o.decoy_retention = absl::Milliseconds(200);
  absl::StatusOr<std::unique_ptr<PgMafStore>> sweeping = PgMafStore::Create(std::move(o));
  ASSERT_THAT(sweeping, IsOk());
  ASSERT_THAT((*sweeping)->WriteDecoyCredential(Cred(1)), IsOk());
  EXPECT_EQ(Count("maf_decoy_credentials"), 1);
  EXPECT_TRUE(WaitFor([&] { return Count("maf_decoy_credentials") == 0; }));
}

TEST(PgMafGroupCommitDownTest, AnUnreachableDatabaseAnswersEveryWriteUnavailable) {
  PgMafStoreOptions o;
  o.pool.conninfo = "host=127.0.0.1 port=1 user=nobody dbname=nothing";
  o.pool.connect_timeout = absl::Seconds(1);
  o.run_migrations = false;
  absl::StatusOr<std::unique_ptr<PgMafStore>> store = PgMafStore::Create(std::move(o));
  ASSERT_THAT(store, IsOk());
  std::vector<absl::Status> results(9);
  std::vector<std::thread> threads;
  for (int i = 0; i < 9; ++i) {
    threads.emplace_back([&, i] {
      results[i] = i % 3 == 2   ? (*store)->WriteDecoyCredential(Cred(i))
                   : i % 3 == 1 ? (*store)->RegisterClient(KmId(i), absl::InfiniteFuture()).status()
                                : (*store)->PutCredential(Cred(i)).status();
    });
  }
  for (std::thread& t : threads) t.join();
  for (const absl::Status& s : results) EXPECT_THAT(s, StatusIs(absl::StatusCode::kUnavailable));
}

TEST_F(PgMafGroupCommitTest, BatchedDecoyWritesWriteAtLeastARowOfWalAndStoreNothing) {
  // A store that sends even a lone write through the batch statement (migration 0006).
  PgMafStoreOptions o;
  o.pool = schema_->PoolOptionsFor();
  o.batch_lone_writes = true;
  absl::StatusOr<std::unique_ptr<PgMafStore>> batching = PgMafStore::Create(std::move(o));
  ASSERT_THAT(batching, IsOk());
  const MafCredential decoy = Cred(7);
  // The decoy row holds the credential's fields: both identifiers, the sealed Km, ...
  const size_t payload = decoy.km_id.ToString().size() + decoy.ke_id.ToString().size() +
                         2 * decoy.km.ciphertext.size() + decoy.enrolee_id.size();
  std::string before;
  {
    pqxx::nontransaction n(*admin_);
    before = n.exec1("SELECT pg_current_wal_insert_lsn()::text")[0].as<std::string>();
  }
  ASSERT_THAT((*batching)->WriteDecoyCredential(decoy), IsOk());
  int64_t wal = 0;
  {
    pqxx::nontransaction n(*admin_);
    wal = n.exec_params1("SELECT pg_wal_lsn_diff(pg_current_wal_insert_lsn(), $1::pg_lsn)::bigint",
                         before)[0]
              .as<int64_t>();
  }
  EXPECT_GE(wal, static_cast<int64_t>(payload));
  EXPECT_EQ((*batching)->write_stats().batches, 1);
  EXPECT_EQ(Count("maf_credentials"), 0);
  EXPECT_EQ(Count("maf_decoy_credentials"), 1);
  EXPECT_THAT((*batching)->GetCredentialByKmId(decoy.km_id), StatusIs(absl::StatusCode::kNotFound));
}

}  // namespace
}  // namespace maf
}  // namespace onem2m

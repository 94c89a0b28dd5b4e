// File: maf/store/pg_maf_store.h
//
// PgMafStore is the production MafStore on PostgreSQL 15 (schema in migrations/, applied with
// common/pg's runner: one transaction under an advisory lock, so replicas starting together apply
// each migration once). Several MAF replicas share one database; every multi-row change (revoking
// a credential with its clients and keys, registering a key against an active client) is one
// transaction with row locks, so a revocation and a concurrent registration never interleave into
// an active key of a revoked client.
//
//   PgMafStoreOptions o;
//   o.pool.conninfo = "host=db user=maf dbname=maf";
//   o.pool.schema = "maf";
//   absl::StatusOr<std::unique_ptr<PgMafStore>> store = PgMafStore::Create(std::move(o));
//
// Group commit (PgMafStoreOptions::group_commit, pg_maf_writes.cc): the first contact's writes
// from concurrent handshakes share transactions.
//
// Only its implementation (pg_maf_store.cc; pg_maf_credentials.cc for the admin view of
// credentials) catches pqxx exceptions (via common/pg); they leave as Status.
#ifndef ONEM2M_MAF_STORE_PG_MAF_STORE_H_
#define ONEM2M_MAF_STORE_PG_MAF_STORE_H_

#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/synchronization/notification.h"
#include "absl/time/time.h"
#include "common/pg/async_batch_reader.h"
#include "common/pg/group_commit.h"
#include "common/pg/linger.h"
#include "common/pg/pool.h"
#include "maf/store/maf_store.h"

namespace onem2m {
namespace maf {

struct PgMafStoreOptions {
  pg::PoolOptions pool;
  // run_migrations applies pending migrations in Create (the usual case; a deployment may run them
  // from a separate job instead).
  bool run_migrations = true;
  // clock supplies "now" for expiry checks and timestamps (absl::Now when empty). Application time
  // rather than the database's so tests can move it, and so all replicas judge expiry alike.
  const Clock* clock = Clock::Real();  // not owned; must outlive the store
  // group_commit: PutCredential, WriteDecoyCredential and RegisterClient (a first contact's
  // writes) queue their row; one committer thread writes everything queued in one transaction
  // (one WAL flush for the batch) and answers each caller after the COMMIT, with its own row's
  // outcome. A data error in one row does not fail its neighbours (the batch is retried row by
  // row); a lost database fails the whole batch with kUnavailable. Off: one autocommit statement
  // per call on the caller's thread (for comparison and debugging).
  bool group_commit = true;
  // writes: batch size, queue bound and linger of the group commit (pg::WriteLinger by default; a
  // zero linger wait turns it off).
  pg::GroupCommitOptions writes = [] {
    pg::GroupCommitOptions o;
    o.linger = pg::WriteLinger();
    return o;
  }();
  // batch_reads: concurrent credential reads by KmID (the handshake's) share one SELECT on a
  // reader thread (common/pg/async_batch_reader.h), shaped by credential_reads; a burst of
  // handshakes costs a few round trips instead of one each. Off: one SELECT per call. Reads by
  // KeID (admin, tests) are always one SELECT per call.
  bool batch_reads = true;
  pg::AsyncBatchReaderOptions credential_reads;
  // batch_lone_writes sends a batch of one write through the batch statements too (by default it
  // is one autocommit statement, fewer round trips); tests use it to run the whole behavioural
  // suite through the batch statements.
  bool batch_lone_writes = false;
  // decoy_retention: decoy writes (WriteDecoyCredential) land in maf_decoy_credentials, which
  // nothing reads; a background thread deletes the rows older than this, every retention / 2 (at
  // most every minute), so the table holds about a minute of unknown-KeID first contacts. Zero:
  // no thread (tests call SweepDecoyCredentials themselves).
  absl::Duration decoy_retention = absl::Minutes(1);
};

class PgMafStore final : public MafStore {
 public:
  // Create builds the pool and (by default) migrates. kUnavailable if the database is unreachable
  // while migrating; kFailedPrecondition if its schema is newer than this binary knows.
  static absl::StatusOr<std::unique_ptr<PgMafStore>> Create(PgMafStoreOptions options);
  ~PgMafStore() override;

  // MafStore:
  absl::StatusOr<MafCredential> PutCredential(const MafCredential& credential) override;
  absl::Status WriteDecoyCredential(const MafCredential& decoy) override;
  absl::StatusOr<MafCredential> GetCredentialByKmId(const crypto::KeyId& km_id) override;
  absl::StatusOr<MafCredential> GetCredentialByKeId(const crypto::KeyId& ke_id) override;
  absl::Status RecordHandshake(const crypto::KeyId& km_id, Transport transport) override;
  absl::Status RecordHandshakes(const std::vector<HandshakeRecord>& records) override;
  absl::StatusOr<std::vector<crypto::KeyId>> RevokeByKeId(const crypto::KeyId& ke_id,
                                                          const Revocation& why) override;
  absl::StatusOr<std::vector<crypto::KeyId>> RevokeByEnroleeId(absl::string_view enrolee_id,
                                                               const Revocation& why) override;
  absl::StatusOr<MafCredential> FindCredential(CredentialKey key, const crypto::KeyId& id) override;
  absl::StatusOr<ListCredentialsResponse> ListCredentials(
      const ListCredentialsRequest& request) override;
  absl::StatusOr<MafCredential> RevokeCredential(const crypto::KeyId& km_id,
                                                 const Revocation& why) override;
  absl::StatusOr<MafClient> RegisterClient(const crypto::KeyId& km_id,
                                           absl::Time requested_expiry) override;
  // With group commit the row is queued and `done` runs on the committer thread after the batch's
  // transaction; without it, RegisterClient runs here.
  void RegisterClientAsync(const crypto::KeyId& km_id, absl::Time requested_expiry,
                           RegisterDone done) override;
  bool RegistersWithoutWaiting() const override { return writer_ != nullptr; }
  absl::StatusOr<MafClient> GetActiveClientByKmId(const crypto::KeyId& km_id) override;
  absl::StatusOr<MafClient> GetClient(absl::string_view maf_client_reg_id) override;
  absl::StatusOr<MafClient> GetLatestClientByKmId(const crypto::KeyId& km_id) override;
  absl::StatusOr<MafClient> UpdateClient(absl::string_view maf_client_reg_id,
                                         const crypto::KeyId& km_id,
                                         const ClientUpdate& update) override;
  absl::Status DeregisterClient(absl::string_view maf_client_reg_id) override;
  absl::StatusOr<MafClient> RevokeClient(absl::string_view maf_client_reg_id,
                                         const Revocation& why) override;
  absl::StatusOr<MafKey> RegisterKey(const MafKey& key) override;
  absl::StatusOr<MafKey> GetActiveKey(absl::string_view key_id) override;
  absl::StatusOr<MafKey> GetKey(absl::string_view key_id) override;
  absl::StatusOr<MafKey> UpdateKey(absl::string_view key_id, absl::string_view maf_client_reg_id,
                                   const KeyUpdate& update) override;
  absl::Status DeregisterKey(absl::string_view key_id,
                             absl::string_view maf_client_reg_id) override;
  absl::StatusOr<MafKey> RevokeKey(absl::string_view key_id, const Revocation& why) override;
  absl::StatusOr<ListClientsResponse> ListClients(const ListClientsRequest& request) override;
  absl::StatusOr<ListKeysResponse> ListKeys(const ListKeysRequest& request) override;
  absl::StatusOr<std::vector<KekVersionCount>> CountKekVersions() override;
  absl::StatusOr<RewrapResult> RewrapBatch(int32_t target_version, int limit,
                                           const Resealer& reseal) override;
  absl::Status CheckHealth() override;

  // SweepDecoyCredentials deletes the decoy rows created before `cutoff` and returns how many.
  absl::StatusOr<int64_t> SweepDecoyCredentials(absl::Time cutoff);

  // pool exposes the connection pool for metrics.
  const pg::ConnectionPool& pool() const { return *pool_; }
  // write_stats: the group commit's batches so far (all zero when it is off).
  pg::GroupCommitStats write_stats() const {
    return writer_ ? writer_->stats() : pg::GroupCommitStats{};
  }

 private:
  // Write is one queued first-contact write. Its pointers are the caller's, who waits until the
  // write is answered.
  struct Write {
    enum class Kind { kPut, kDecoy, kRegister };
    Kind kind = Kind::kPut;
    const MafCredential* credential = nullptr;  // kPut, kDecoy
    MafCredential* stored = nullptr;            // kPut: the row as stored
    const crypto::KeyId* km_id = nullptr;       // kRegister
    int64_t now_us = 0;                         // the caller's "now" (created_at)
    int64_t requested_us = 0;                   // kRegister: capped requested expiry
    MafClient* client = nullptr;                // kRegister: the registration
  };
  using Writer = pg::GroupCommitter<Write, absl::Status>;
  // LookedUp is one row of a batched credential read: the stored credential, or a decoy of the
  // same shape for an unknown identity (found false), decoded alike.
  struct LookedUp {
    bool found = false;
    MafCredential credential;
  };
  using Reader = pg::AsyncBatchReader<LookedUp>;
  // FetchCredentials runs batched read `statement` for `keys` (pg::BatchFetch).
  absl::Status FetchCredentials(const char* statement, const std::vector<std::string>& keys,
                                absl::flat_hash_map<std::string, LookedUp>* found);
  // ReadCredential reads one credential through `reader`, waiting for its batch.
  absl::StatusOr<std::optional<MafCredential>> ReadCredential(Reader& reader,
                                                              absl::string_view key);

  PgMafStore(std::unique_ptr<pg::ConnectionPool> pool, const Clock* clock,
             const PgMafStoreOptions& options);

  // WriteHandshakeNotes is RecordHandshakes (one statement; maf_store.h) returning how many
  // notes it wrote; RecordHandshake is one note at the store's "now".
  absl::StatusOr<int64_t> WriteHandshakeNotes(const std::vector<HandshakeRecord>& records);
  // RegisterWrite is the queued row of a registration; the pointers must outlive its commit.
  static Write RegisterWrite(const crypto::KeyId* km_id, absl::Time now,
                             absl::Time requested_expiry, MafClient* client);
  // Commit writes `w` through the group commit, or alone when it is off.
  absl::Status Commit(const Write& w);
  // WriteBatch writes a batch in one transaction (one status per write, in order); WriteOne
  // writes one in its own autocommit statement (group commit off, and the row-by-row retry).
  std::vector<absl::Status> WriteBatch(std::vector<Write>& batch);
  absl::Status WriteOne(const Write& w);
  absl::Status PutOne(const MafCredential& credential, int64_t now_us, MafCredential* stored);
  absl::Status DecoyOne(const MafCredential& decoy, int64_t now_us);
  absl::Status RegisterOne(const crypto::KeyId& km_id, int64_t now_us, int64_t requested_us,
                           MafClient* client);

  // GetCredential runs prepared statement `statement` (by km_id or by ke_id).
  absl::StatusOr<MafCredential> GetCredential(const char* statement, absl::string_view value);
  // Revoke revokes the credentials whose column `where` equals `value` with their clients and keys
  // (RevokeByKeId, RevokeByEnroleeId, RevokeClient, RevokeCredential) and returns their km_ids.
  absl::StatusOr<std::vector<crypto::KeyId>> Revoke(const char* where, absl::string_view value,
                                                    const Revocation& why);
  absl::StatusOr<MafClient> GetClientWhere(const std::string& where, absl::string_view value,
                                           bool active_only);
  absl::StatusOr<MafKey> ChangeOwnedKey(absl::string_view key_id, absl::string_view reg_id,
                                        const KeyUpdate* update);

  std::unique_ptr<pg::ConnectionPool> pool_;
  const Clock* const clock_;
  const bool batch_lone_writes_;
  // Declared after pool_: the committer answers everything queued and stops before the pool goes.
  std::unique_ptr<Writer> writer_;               // null when group commit is off
  std::unique_ptr<Reader> by_km_id_;  // null when batch_reads is off
  // The decoy sweeper (decoy_retention), stopped by the destructor before the pool goes.
  absl::Notification stop_sweeping_;
  std::thread sweeper_;
};

}  // namespace maf
}  // namespace onem2m

#endif  // ONEM2M_MAF_STORE_PG_MAF_STORE_H_

// File: mef/store/pg_enrolee_store.h
//
// PgEnroleeStore is the production EnroleeStore on PostgreSQL 15 (via libpqxx and common/pg).
// Create applies the embedded migrations (mef/store/migrations/*.sql) before returning, so a fresh
// database needs no manual setup and several replicas may start at once.
//
// Durability: every session runs with synchronous_commit = on, and RecordEnrolment returns only
// after the COMMIT holding its row has returned.
//
// Batched reads: concurrent GetEnrolee / GetEnroleeAsync calls share batched SELECTs
// (common/pg/async_batch_reader.h), so a burst of handshakes costs a few round trips instead of one
// each, on connections of their own that reuse one generic plan (pg_lookup_pool.h);
// GetEnrolmentsByKeIds reads a batch of credential fetches with one SELECT.
//
// Group commit: RecordEnrolment and RecordEnrolmentAsync put the row on a queue
// (pg::GroupCommitter, common/pg/group_commit.h, with its linger); its committer thread takes
// everything queued (up to writes.max_batch rows) and inserts it with one multi-row INSERT in one
// transaction, so N concurrent handshakes pay for one WAL flush instead of N. Every caller gets the
// outcome of the transaction that held ITS row: if that COMMIT fails, every caller in the batch
// gets the error (kUnavailable when the connection was lost; the message says when the outcome is
// unknown). A data error in one row (missing enrolee, duplicate ke_id) does not fail its
// neighbours: duplicates are detected with ON CONFLICT DO NOTHING RETURNING, and after any other
// non-connection error the batch is retried row by row.
//
//   PgEnroleeStoreOptions options;
//   options.pool.conninfo = "host=db user=mef dbname=mef";
//   absl::StatusOr<std::unique_ptr<PgEnroleeStore>> store = PgEnroleeStore::Create(options);
//   if (!store.ok()) return store.status();   // kUnavailable: database down; kFailedPrecondition:
//                                              // schema newer than this binary
//
// Thread safety: all methods are thread-safe. The destructor finishes every queued enrolment (each
// caller gets its answer) before returning; no call may still be running when it starts.
#ifndef ONEM2M_MEF_STORE_PG_ENROLEE_STORE_H_
#define ONEM2M_MEF_STORE_PG_ENROLEE_STORE_H_

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "common/pg/async_batch_reader.h"
#include "common/pg/group_commit.h"
#include "common/pg/linger.h"
#include "common/pg/pool.h"
#include "mef/store/enrolee_store.h"

namespace onem2m {
namespace mef {

struct PgEnroleeStoreOptions {
  // pool.conninfo is required. pool.prepare is filled in by the store (its own statements are
  // appended). pool.schema, if set, holds the MEF's tables.
  pg::PoolOptions pool;
  // group_commit off makes RecordEnrolment run one transaction per row on the caller's thread (and
  // RecordEnrolmentAsync call `done` before returning); only for comparison and debugging.
  bool group_commit = true;
  // writes shapes the group commit (common/pg/group_commit.h): rows per transaction (max_batch),
  // the queue bound beyond which RecordEnrolment fails fast with kUnavailable instead of letting
  // latency grow without limit while the database is slow (max_pending), and the linger that waits
  // a little for a larger batch under load (pg::WriteLinger; a zero wait turns it off). The store
  // sets the thread name and the queue-full message.
  pg::GroupCommitOptions writes = [] {
    pg::GroupCommitOptions o;
    o.max_batch = 500;
    o.linger = pg::WriteLinger();
    return o;
  }();
  // enrolee_reads shapes the batched reads behind GetEnrolee(Async): reader threads, keys per
  // read, queue bound.
  pg::AsyncBatchReaderOptions enrolee_reads;
};

class PgEnroleeStore final : public EnroleeStore {
 public:
  // Create connects, applies pending migrations and starts the committer thread. kUnavailable if
  // the database cannot be reached; kFailedPrecondition if its schema is newer than this binary's.
  static absl::StatusOr<std::unique_ptr<PgEnroleeStore>> Create(PgEnroleeStoreOptions options);

  ~PgEnroleeStore() override;

  // EnroleeStore
  absl::StatusOr<Enrolee> CreateEnrolee(const Enrolee& enrolee) override;
  absl::StatusOr<std::vector<absl::Status>> BulkCreate(
      const std::vector<Enrolee>& enrolees) override;
  absl::StatusOr<Enrolee> GetEnrolee(absl::string_view kpm_id) override;
  void GetEnroleeAsync(absl::string_view kpm_id,
                       std::function<void(absl::StatusOr<Enrolee>)> done) override;
  absl::StatusOr<ListEnroleesResponse> ListEnrolees(const ListEnroleesRequest& request) override;
  absl::StatusOr<Enrolee> SetState(absl::string_view kpm_id, EnroleeState state) override;
  absl::Status DeleteEnrolee(absl::string_view kpm_id) override;
  absl::StatusOr<Enrolee> RotateKpm(absl::string_view kpm_id, const SealedKey& kpm) override;
  absl::StatusOr<std::vector<KekVersionCount>> CountKekVersions() override;
  absl::StatusOr<RewrapResult> RewrapBatch(int32_t target_version, int limit,
                                           const Resealer& reseal) override;
  absl::Status RecordEnrolment(const Enrolment& enrolment) override;
  void RecordEnrolmentAsync(Enrolment enrolment, std::function<void(absl::Status)> done) override;
  absl::StatusOr<EnrolmentView> GetEnrolmentByKeId(const crypto::KeyId& ke_id) override;
  std::vector<absl::StatusOr<EnrolmentView>> GetEnrolmentsByKeIds(
      absl::Span<const crypto::KeyId> ke_ids) override;
  absl::StatusOr<ListEnrolmentsResponse> ListEnrolments(
      const ListEnrolmentsRequest& request) override;
  absl::Status RevokeEnrolment(const crypto::KeyId& ke_id) override;
  absl::StatusOr<std::vector<StateChange>> ListStateChangesSince(int64_t after_seq,
                                                                 int limit) override;
  absl::StatusOr<int64_t> LatestChangeSeq() override;
  absl::Status CheckHealth() override;
  absl::Status SetFetchGrants(absl::string_view kpm_id,
                              const std::vector<FetchGrant>& grants) override;
  absl::StatusOr<std::vector<FetchGrant>> GetFetchGrants(absl::string_view kpm_id) override;

  // pool exposes the connection pool (tests, metrics); lookup_pool the PSK lookup's own
  // (pg_lookup_pool.h): at most enrolee_reads.threads connections besides pool's.
  pg::ConnectionPool& pool() { return *pool_; }
  pg::ConnectionPool& lookup_pool() { return *lookup_pool_; }

 private:
  PgEnroleeStore(PgEnroleeStoreOptions options, std::unique_ptr<pg::ConnectionPool> pool,
                 std::unique_ptr<pg::ConnectionPool> lookup_pool);

  // InsertBatch durably inserts `batch` (the committer's) and returns one status per row.
  std::vector<absl::Status> InsertBatch(const std::vector<Enrolment>& batch);
  // InsertOne inserts one row in its own transaction.
  absl::Status InsertOne(const Enrolment& enrolment);
  // BatchFetch binds one of the batched reads below for the coalescers and readers.
  template <typename V>
  auto BatchFetch(absl::Status (PgEnroleeStore::*read)(const std::vector<std::string>&,
                                                       absl::flat_hash_map<std::string, V>*)) {
    return [this, read](const std::vector<std::string>& keys,
                        absl::flat_hash_map<std::string, V>* found) {
      return (this->*read)(keys, found);
    };
  }
  // Batched point reads behind GetEnrolee(Async) and GetEnrolment(s)ByKeId(s).
  absl::Status FetchEnrolees(const std::vector<std::string>& kpm_ids,
                             absl::flat_hash_map<std::string, Enrolee>* found);
  absl::Status FetchEnrolmentViews(const std::vector<std::string>& ke_ids,
                                   absl::flat_hash_map<std::string, EnrolmentView>* found);

  const PgEnroleeStoreOptions options_;
  std::unique_ptr<pg::ConnectionPool> pool_;
  std::unique_ptr<pg::ConnectionPool> lookup_pool_;
  // Declared after the pools: the reader's threads stop before the pools go. GetEnroleeAsync's
  // callers are event-loop threads, which must never wait on the database: a reader thread reads.
  pg::AsyncBatchReader<Enrolee> enrolees_;
  // RecordEnrolment(Async)'s group commit; null when group_commit is off. Last: it answers
  // everything queued and stops before the pools go.
  std::unique_ptr<pg::GroupCommitter<Enrolment, absl::Status>> committer_;
};

}  // namespace mef
}  // namespace onem2m

#endif  // ONEM2M_MEF_STORE_PG_ENROLEE_STORE_H_

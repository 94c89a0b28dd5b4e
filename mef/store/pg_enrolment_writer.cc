// The grouped commit writer of PgEnroleeStore: RecordEnrolment(Async) queue rows on a
// pg::GroupCommitter, whose thread writes them in batches with one prepared statement
// (docs/operations.md, store figures).
#include "mef/store/pg_enrolee_rows.h"
#include "mef/store/pg_enrolee_store.h"

namespace onem2m {
namespace mef {

using namespace pg_rows;  // NOLINT(build/namespaces): this store's own SQL and row helpers

absl::Status PgEnroleeStore::InsertOne(const Enrolment& e) {
  absl::Status s = pool_->Run("record enrolment", [&](pqxx::connection& c) -> absl::Status {
    // One autocommit statement: durable when it returns (synchronous_commit = on), one round
    // trip instead of BEGIN / INSERT / COMMIT.
    pqxx::nontransaction w(c);
    std::optional<std::string> created;
    if (e.created_at != absl::InfinitePast())
      created = absl::StrCat(absl::ToUnixMicros(e.created_at));
    w.exec_prepared0(kInsertEnrolment, e.ke_id.ToString(), e.kpm_id,
                     pqxx::binarystring(e.ke.ciphertext), e.ke.kek_version, e.enrolee_id, e.maf_id,
                     absl::StrCat(absl::ToUnixMicros(e.expires_at)),
                     std::string(TransportName(e.transport)), e.peer_address, OrNull(created));
    w.commit();
    return absl::OkStatus();
  });
  if (s.code() == absl::StatusCode::kFailedPrecondition) {
    return absl::NotFoundError("record enrolment: enrolee not found");  // FK violation
  }
  if (s.code() == absl::StatusCode::kAlreadyExists) {
    return absl::AlreadyExistsError("record enrolment: ke_id already recorded");
  }
  return s;
}

std::vector<absl::Status> PgEnroleeStore::InsertBatch(const std::vector<Enrolment>& batch) {
  std::vector<absl::Status> results(batch.size());
  if (batch.size() == 1) {
    results[0] = InsertOne(batch[0]);
    return results;
  }
  // Two callers with one ke_id in a batch: ON CONFLICT would skip the second but RETURNING would
  // name the ke_id once, telling both "done". Settle it here instead.
  std::vector<size_t> rows;
  {
    absl::flat_hash_set<crypto::KeyId> seen;
    for (size_t i = 0; i < batch.size(); ++i) {
      if (seen.insert(batch[i].ke_id).second) {
        rows.push_back(i);
      } else {
        results[i] = absl::AlreadyExistsError("record enrolment: ke_id already recorded");
      }
    }
  }
  std::vector<std::string> ke_ids, kpm_ids, versions, enrolee_ids, maf_ids, expiries, transports,
      peers, created;
  std::vector<absl::string_view> sealed;
  for (size_t i : rows) {
    const Enrolment& e = batch[i];
    ke_ids.push_back(e.ke_id.ToString());
    kpm_ids.push_back(e.kpm_id);
    sealed.push_back(e.ke.ciphertext);
    versions.push_back(absl::StrCat(e.ke.kek_version));
    enrolee_ids.push_back(e.enrolee_id);
    maf_ids.push_back(e.maf_id);
    expiries.push_back(absl::StrCat(absl::ToUnixMicros(e.expires_at)));
    transports.push_back(std::string(TransportName(e.transport)));
    peers.push_back(e.peer_address);
    created.push_back(e.created_at == absl::InfinitePast()
                          ? std::string("-1")
                          : absl::StrCat(absl::ToUnixMicros(e.created_at)));
  }
  const std::string sealed_array = pg::ByteaArrayLiteral(sealed);
  absl::flat_hash_set<std::string> inserted;
  absl::Status s = pool_->Run("record enrolments", [&](pqxx::connection& c) -> absl::Status {
    inserted.clear();
    // One autocommit statement: atomic, and durable when it returns (synchronous_commit = on).
    pqxx::nontransaction w(c);
    pqxx::result r =
        w.exec_prepared(kInsertEnrolments, pg::TextArrayLiteral(ke_ids),
                        pg::TextArrayLiteral(kpm_ids), sealed_array, pg::TextArrayLiteral(versions),
                        pg::TextArrayLiteral(enrolee_ids), pg::TextArrayLiteral(maf_ids),
                        pg::TextArrayLiteral(expiries), pg::TextArrayLiteral(transports),
                        pg::TextArrayLiteral(peers), pg::TextArrayLiteral(created));
    for (const pqxx::row& row : r) inserted.insert(row[0].as<std::string>());
    return absl::OkStatus();
  });
  if (s.ok()) {
    for (size_t r = 0; r < rows.size(); ++r) {
      const size_t i = rows[r];
      results[i] = inserted.contains(ke_ids[r])
                       ? absl::OkStatus()
                       : absl::AlreadyExistsError("record enrolment: ke_id already recorded");
    }
    return results;
  }
  if (s.code() == absl::StatusCode::kUnavailable ||
      s.code() == absl::StatusCode::kDeadlineExceeded) {
    // The database is unreachable (or the commit's fate is unknown): everyone in the batch hears
    // it; nobody is told "done".
    for (size_t i : rows) results[i] = s;
    return results;
  }
  // A data error in some row (e.g. its enrolee was deleted) aborted the whole statement; find out
  // which rows are fine by inserting one at a time.
  for (size_t i : rows) results[i] = InsertOne(batch[i]);
  return results;
}

void PgEnroleeStore::RecordEnrolmentAsync(Enrolment enrolment,
                                          std::function<void(absl::Status)> done) {
  absl::Status v = ValidateEnrolment(enrolment);
  if (!v.ok()) {
    done(v);
    return;
  }
  if (committer_ == nullptr) {
    done(InsertOne(enrolment));
    return;
  }
  committer_->CommitAsync(std::move(enrolment), std::move(done));
}

absl::Status PgEnroleeStore::RecordEnrolment(const Enrolment& enrolment) {
  absl::Notification finished;
  absl::Status result;
  RecordEnrolmentAsync(enrolment, [&](absl::Status s) {
    result = std::move(s);
    finished.Notify();
  });
  finished.WaitForNotification();
  return result;
}

}  // namespace mef
}  // namespace onem2m

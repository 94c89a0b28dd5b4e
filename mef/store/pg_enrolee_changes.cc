// PgEnroleeStore's change feed (ListStateChangesSince, LatestChangeSeq: the source of the MEF's
// WatchRevocations) and KEK rotation (CountKekVersions, RewrapBatch).
#include "common/kek/reseal_rows.h"
#include "common/pg/pool.h"
#include "mef/store/pg_enrolee_rows.h"
#include "mef/store/pg_enrolee_store.h"

namespace onem2m {
namespace mef {

using namespace pg_rows;  // NOLINT(build/namespaces): this store's own SQL and row helpers

absl::StatusOr<std::vector<KekVersionCount>> PgEnroleeStore::CountKekVersions() {
  std::vector<KekVersionCount> out;
  absl::Status s = pool_->Run("count kek versions", [&](pqxx::connection& c) -> absl::Status {
    out.clear();
    pqxx::read_transaction w(c);  // one snapshot for both tables
    pg::AllowWholeTableScans(w);
    pqxx::result r = w.exec(
        "SELECT 0, kpm_kek_version, count(*) FROM enrolees GROUP BY kpm_kek_version "
        "UNION ALL SELECT 1, ke_kek_version, count(*) FROM enrolments GROUP BY ke_kek_version "
        "ORDER BY 1, 2");
    for (const pqxx::row& row : r) {
      out.push_back(KekVersionCount{
          row[0].as<int>() == 0 ? SealedColumn::kEnroleeKpm : SealedColumn::kEnrolmentKe,
          row[1].as<int32_t>(), row[2].as<int64_t>()});
    }
    w.commit();
    return absl::OkStatus();
  });
  if (!s.ok()) return s;
  return out;
}

absl::StatusOr<RewrapResult> PgEnroleeStore::RewrapBatch(int32_t target_version, int limit,
                                                         const Resealer& reseal) {
  limit = std::clamp(limit, 1, 10000);
  std::vector<kek::PendingRow<SealedColumn, SealedKey>> batch;
  // Read the batch in a short transaction of its own (none is held while re-sealing). A full
  // scan per batch is acceptable for a rare maintenance job; no index on the version is kept.
  absl::Status s = pool_->Run("rewrap: read batch", [&](pqxx::connection& c) -> absl::Status {
    batch.clear();
    pqxx::read_transaction w(c);
    pg::AllowWholeTableScans(w);
    pqxx::result r = w.exec_params(
        "SELECT kpm_id, kpm_sealed, kpm_kek_version FROM enrolees WHERE kpm_kek_version <> $1 "
        "LIMIT $2",
        target_version, limit);
    for (const pqxx::row& row : r) {
      batch.push_back({SealedColumn::kEnroleeKpm, row[0].as<std::string>(),
                       SealedKey{Bytes(row[1]), row[2].as<int32_t>()}});
    }
    const int rest = limit - static_cast<int>(batch.size());
    if (rest > 0) {
      r = w.exec_params(
          "SELECT ke_id, ke_sealed, ke_kek_version FROM enrolments WHERE ke_kek_version <> $1 "
          "LIMIT $2",
          target_version, rest);
      for (const pqxx::row& row : r) {
        batch.push_back({SealedColumn::kEnrolmentKe, row[0].as<std::string>(),
                         SealedKey{Bytes(row[1]), row[2].as<int32_t>()}});
      }
    }
    w.commit();
    return absl::OkStatus();
  });
  if (!s.ok()) return s;
  absl::StatusOr<kek::RewrapCounts> n = kek::ResealRows(
      batch, reseal,
      [this](const kek::PendingRow<SealedColumn, SealedKey>& p,
             const SealedKey& fresh) -> absl::StatusOr<bool> {
        int64_t updated = 0;
        absl::Status u = pool_->Run("rewrap: update row", [&](pqxx::connection& c) -> absl::Status {
          pqxx::nontransaction w(c);
          // Optimistic check: only if the row still holds the blob we re-sealed.
          pqxx::result r =
              w.exec_params(p.column == SealedColumn::kEnroleeKpm
                                ? "UPDATE enrolees SET kpm_sealed = $2, kpm_kek_version = $3 "
                                  "WHERE kpm_id = $1 AND kpm_sealed = $4"
                                : "UPDATE enrolments SET ke_sealed = $2, ke_kek_version = $3 "
                                  "WHERE ke_id = $1 AND ke_sealed = $4",
                            p.id, pqxx::binarystring(fresh.ciphertext), fresh.kek_version,
                            pqxx::binarystring(p.old.ciphertext));
          updated = r.affected_rows();
          return absl::OkStatus();
        });
        if (!u.ok()) return u;
        return updated == 1;
      });
  if (!n.ok()) return n.status();
  RewrapResult result;
  result.rewrapped = n->rewrapped;
  result.raced = n->raced;
  s = pool_->Run("rewrap: count left", [&](pqxx::connection& c) -> absl::Status {
    pqxx::read_transaction w(c);
    pg::AllowWholeTableScans(w);
    pqxx::result r = w.exec_params(
        "SELECT (SELECT count(*) FROM enrolees WHERE kpm_kek_version <> $1) + "
        "(SELECT count(*) FROM enrolments WHERE ke_kek_version <> $1)",
        target_version);
    result.left = r[0][0].as<int64_t>();
    w.commit();
    return absl::OkStatus();
  });
  if (!s.ok()) return s;
  return result;
}

absl::StatusOr<std::vector<StateChange>> PgEnroleeStore::ListStateChangesSince(int64_t after_seq,
                                                                               int limit) {
  limit = std::clamp(limit, 1, 10000);
  std::vector<StateChange> out;
  absl::Status s =
      pool_->RunRead("list state changes",
                     [&](pqxx::connection& c) -> absl::Status {
                       out.clear();
                       pqxx::nontransaction n(c);
                       pqxx::result r = n.exec_params(
          "SELECT seq, kind, kpm_id, ke_id, state, " US("changed_at")
          " FROM state_changes WHERE seq > $1 ORDER BY seq LIMIT $2",
          after_seq, limit);
                       for (const pqxx::row& row : r) {
                         StateChange ch;
                         ch.seq = row[0].as<int64_t>();
                         const std::string kind = row[1].as<std::string>();
                         if (kind == "enrolee_state") {
                           ch.kind = StateChange::Kind::kEnroleeState;
                         } else if (kind == "enrolee_deleted") {
                           ch.kind = StateChange::Kind::kEnroleeDeleted;
                         } else {
                           ch.kind = StateChange::Kind::kEnrolmentRevoked;
                         }
                         ch.kpm_id = row[2].as<std::string>();
                         if (!row[3].is_null()) {
                           absl::StatusOr<crypto::KeyId> ke_id =
                               crypto::KeyId::Parse(row[3].as<std::string>());
                           if (!ke_id.ok()) {
                             return absl::InternalError("state change row has a malformed ke_id");
                           }
                           ch.ke_id = *std::move(ke_id);
                         }
                         if (!row[4].is_null())
                           ParseEnroleeState(row[4].as<std::string>(), &ch.state);
                         ch.changed_at = FromMicros(row[5]);
                         out.push_back(std::move(ch));
                       }
                       return absl::OkStatus();
                     });
  if (!s.ok()) return s;
  return out;
}

absl::StatusOr<int64_t> PgEnroleeStore::LatestChangeSeq() {
  int64_t seq = 0;
  absl::Status s = pool_->RunRead("read change seq", [&](pqxx::connection& c) -> absl::Status {
    pqxx::nontransaction n(c);
    seq = n.exec1("SELECT seq FROM change_counter")[0].as<int64_t>();
    return absl::OkStatus();
  });
  if (!s.ok()) return s;
  return seq;
}

}  // namespace mef
}  // namespace onem2m

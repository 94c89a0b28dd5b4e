#include "mef/store/pg_enrolee_store.h"

#include <algorithm>
#include <optional>
#include <utility>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/synchronization/notification.h"
#include "common/paging/page_token.h"
#include "common/pg/array_literal.h"
#include "common/pg/batch_read.h"
#include "common/pg/keyset_page.h"
#include "common/pg/migrations.h"
#include "common/pg/status.h"
#include "mef/store/mef_migrations.h"
#include "mef/store/pg_enrolee_rows.h"
#include "mef/store/pg_lookup_pool.h"
#include "pqxx/nontransaction"
#include "pqxx/pqxx"
#include "pqxx/transaction"

namespace onem2m {
namespace mef {

using namespace pg_rows;  // NOLINT(build/namespaces): this store's own SQL and row helpers

absl::StatusOr<std::unique_ptr<PgEnroleeStore>> PgEnroleeStore::Create(
    PgEnroleeStoreOptions options) {
  options.pool.prepare.emplace_back(
      kGetEnrolee, absl::StrCat("SELECT ", kEnroleeCols, " FROM enrolees WHERE kpm_id = $1"));
  // The two hot point reads take a batch of keys (see the batched readers in common/pg).
  options.pool.prepare.emplace_back(kGetEnrolees, kGetEnroleesSql);
  options.pool.prepare.emplace_back(
      kGetEnrolmentViews, absl::StrCat("SELECT ", kEnrolmentCols, ", e.state, " US("e.not_after"),
                                       ", " GRANT_LINES("en.kpm_id"),
                                       " FROM enrolments en JOIN enrolees e ON e.kpm_id = en.kpm_id"
                                       " WHERE en.ke_id = ANY($1::text[])"));
  options.pool.prepare.emplace_back(kInsertEnrolment, kInsertEnrolmentSql);
  options.pool.prepare.emplace_back(kInsertEnrolments, kInsertEnrolmentsSql);
  if (options.pool.application_name == "onem2m") options.pool.application_name = "onem2m-mef";
  options.enrolee_reads.thread_name = "mef-psk-read";
  absl::StatusOr<std::unique_ptr<pg::ConnectionPool>> pool =
      pg::ConnectionPool::Create(options.pool);
  if (!pool.ok()) return pool.status();
  // The PSK lookup reads on connections of its own, one per reader thread (pg_lookup_pool.h).
  absl::StatusOr<std::unique_ptr<pg::ConnectionPool>> lookup_pool =
      pg::ConnectionPool::Create(LookupPoolOptions(options.pool, options.enrolee_reads.threads,
                                                   {kGetEnrolees, kGetEnroleesSql}));
  if (!lookup_pool.ok()) return lookup_pool.status();
  absl::Status s = pg::RunMigrations(**pool, "mef", pg::MefMigrations());
  if (!s.ok()) return s;
  return std::unique_ptr<PgEnroleeStore>(
      new PgEnroleeStore(std::move(options), *std::move(pool), *std::move(lookup_pool)));
}

PgEnroleeStore::PgEnroleeStore(PgEnroleeStoreOptions options,
                               std::unique_ptr<pg::ConnectionPool> pool,
                               std::unique_ptr<pg::ConnectionPool> lookup_pool)
    : options_(std::move(options)),
      pool_(std::move(pool)),
      lookup_pool_(std::move(lookup_pool)),
      enrolees_(options_.enrolee_reads, BatchFetch(&PgEnroleeStore::FetchEnrolees)) {
  if (options_.group_commit) {
    pg::GroupCommitOptions gc = options_.writes;
    gc.thread_name = "mef-commit";
    gc.queue_full_message = "record enrolment: too many enrolments waiting for the database";
    committer_ = std::make_unique<pg::GroupCommitter<Enrolment, absl::Status>>(
        gc, [this](std::vector<Enrolment>& batch) { return InsertBatch(batch); });
  }
}

PgEnroleeStore::~PgEnroleeStore() = default;

absl::StatusOr<Enrolee> PgEnroleeStore::CreateEnrolee(const Enrolee& enrolee) {
  absl::Status v = ValidateEnrolee(enrolee);
  if (!v.ok()) return v;
  Enrolee out;
  absl::Status s = pool_->Run("create enrolee",
                              [&](pqxx::connection& c) -> absl::Status {
                                pqxx::work w(c);
                                const int64_t seq = LockCounter(w) + 1;
                                std::optional<std::string> lifetime = LifetimeUs(enrolee),
                                                           not_after = NotAfterUs(enrolee);
                                pqxx::result r = w.exec_params(
          "INSERT INTO enrolees (kpm_id, kpm_sealed, kpm_kek_version, enrolee_id, maf_id, maf_uri,"
          " enrolment_lifetime_us, not_after, state, revision) VALUES ($1, $2, $3, $4, $5, $6,"
          " $7::bigint, " TS("$8") ", $9, $10) ON CONFLICT (kpm_id) DO NOTHING RETURNING kpm_id",
          enrolee.kpm_id, pqxx::binarystring(enrolee.kpm.ciphertext), enrolee.kpm.kek_version,
          enrolee.enrolee_id, enrolee.maf_id, OrNull(enrolee.maf_uri), OrNull(lifetime),
          OrNull(not_after), std::string(EnroleeStateName(enrolee.state)), seq);
                                if (r.empty())
                                  return absl::AlreadyExistsError(
                                      "an enrolee with this kpm_id exists");
                                StoreCounter(w, seq);
                                InsertGrants(w, enrolee.kpm_id, enrolee.fetch_grants);
                                absl::StatusOr<Enrolee> got = SelectEnrolee(w, enrolee.kpm_id);
                                if (!got.ok()) return got.status();
                                w.commit();
                                out = *std::move(got);
                                return absl::OkStatus();
                              });
  if (!s.ok()) return s;
  return out;
}

absl::StatusOr<std::vector<absl::Status>> PgEnroleeStore::BulkCreate(
    const std::vector<Enrolee>& enrolees) {
  std::vector<absl::Status> results(enrolees.size());
  std::vector<size_t> candidates;  // indexes of valid, first-occurrence rows
  {
    absl::flat_hash_set<absl::string_view> seen;
    for (size_t i = 0; i < enrolees.size(); ++i) {
      results[i] = ValidateEnrolee(enrolees[i]);
      if (!results[i].ok()) continue;
      if (!seen.insert(enrolees[i].kpm_id).second) {
        results[i] = absl::AlreadyExistsError("kpm_id repeated in this import");
        continue;
      }
      candidates.push_back(i);
    }
  }
  if (candidates.empty()) return results;
  constexpr size_t kChunk = 1000;
  absl::Status s = pool_->Run("bulk create enrolees", [&](pqxx::connection& c) -> absl::Status {
    pqxx::work w(c);
    const int64_t base = LockCounter(w);
    absl::flat_hash_set<std::string> inserted;
    inserted.reserve(candidates.size());
    for (size_t start = 0; start < candidates.size(); start += kChunk) {
      const size_t end = std::min(candidates.size(), start + kChunk);
      std::string sql =
          "INSERT INTO enrolees (kpm_id, kpm_sealed, kpm_kek_version, enrolee_id, maf_id, "
          "maf_uri,"
          " enrolment_lifetime_us, not_after, state, revision) VALUES ";
      for (size_t k = start; k < end; ++k) {
        const Enrolee& e = enrolees[candidates[k]];
        std::optional<std::string> lifetime = LifetimeUs(e), not_after = NotAfterUs(e);
        absl::StrAppend(
            &sql, k == start ? "" : ",", "(", w.quote(e.kpm_id), ",", w.quote_raw(e.kpm.ciphertext),
            ",", e.kpm.kek_version, ",", w.quote(e.enrolee_id), ",", w.quote(e.maf_id), ",",
            e.maf_uri ? w.quote(*e.maf_uri) : "NULL", ",", lifetime ? *lifetime : "NULL", ",",
            not_after ? absl::StrCat("(timestamptz 'epoch' + ", *not_after,
                                     " * interval '1 microsecond')")
                      : "NULL",
            ",", w.quote(std::string(EnroleeStateName(e.state))), ",",
            base + 1 + static_cast<int64_t>(k), ")");
      }
      sql += " ON CONFLICT (kpm_id) DO NOTHING RETURNING kpm_id";
      pqxx::result r = w.exec(sql);
      for (const pqxx::row& row : r) inserted.insert(row[0].as<std::string>());
    }
    StoreCounter(w, base + static_cast<int64_t>(candidates.size()));
    // Grants only for rows this import inserted (an existing enrolee keeps its own).
    for (size_t i : candidates) {
      if (!enrolees[i].fetch_grants.empty() && inserted.contains(enrolees[i].kpm_id)) {
        InsertGrants(w, enrolees[i].kpm_id, enrolees[i].fetch_grants);
      }
    }
    w.commit();
    for (size_t i : candidates) {
      if (!inserted.contains(enrolees[i].kpm_id)) {
        results[i] = absl::AlreadyExistsError("an enrolee with this kpm_id exists");
      }
    }
    return absl::OkStatus();
  });
  if (!s.ok()) return s;
  return results;
}

absl::StatusOr<Enrolee> PgEnroleeStore::GetEnrolee(absl::string_view kpm_id) {
  return Wait<Enrolee>([&](std::function<void(absl::StatusOr<Enrolee>)> done) {
    GetEnroleeAsync(kpm_id, std::move(done));
  });
}

void PgEnroleeStore::GetEnroleeAsync(absl::string_view kpm_id,
                                     std::function<void(absl::StatusOr<Enrolee>)> done) {
  enrolees_.Get(kpm_id, FoundOr<Enrolee>("enrolee not found", std::move(done)));
}

absl::Status PgEnroleeStore::FetchEnrolees(const std::vector<std::string>& kpm_ids,
                                           absl::flat_hash_map<std::string, Enrolee>* found) {
  // Decoy rows (column 12 false, see kGetEnroleesSql) are decoded like real ones, then dropped.
  const std::string ids = pg::TextArrayLiteral(kpm_ids);
  return lookup_pool_->RunRead("get enrolee", [&](pqxx::connection& c) -> absl::Status {
    found->clear();
    pqxx::nontransaction n(c);
    pqxx::result r = n.exec_prepared(kGetEnrolees, ids);
    for (const pqxx::row& row : r) {
      absl::StatusOr<Enrolee> e = EnroleeFromRow(row);
      if (!e.ok()) return e.status();
      if (!row[12].as<bool>()) continue;
      std::string key = e->kpm_id;
      found->emplace(std::move(key), *std::move(e));
    }
    return absl::OkStatus();
  });
}

absl::StatusOr<ListEnroleesResponse> PgEnroleeStore::ListEnrolees(
    const ListEnroleesRequest& request) {
  absl::StatusOr<std::string> after = paging::DecodePageToken(request.page_token, kEnroleePages);
  if (!after.ok()) return after.status();
  const int page = paging::ClampPageSize(request.page_size);
  ListEnroleesResponse out;
  absl::Status s = pool_->RunRead("list enrolees", [&](pqxx::connection& c) -> absl::Status {
    out = ListEnroleesResponse();
    pqxx::nontransaction n(c);
    // Fetch one extra row to know whether another page exists.
    pqxx::result r =
        request.state
            ? n.exec_params(absl::StrCat("SELECT ", kEnroleeCols,
                                         " FROM enrolees WHERE state = $1 AND kpm_id > $2"
                                         " ORDER BY kpm_id LIMIT $3"),
                            std::string(EnroleeStateName(*request.state)), *after, page + 1)
            : n.exec_params(absl::StrCat("SELECT ", kEnroleeCols,
                                         " FROM enrolees WHERE kpm_id > $1"
                                         " ORDER BY kpm_id LIMIT $2"),
                            *after, page + 1);
    absl::StatusOr<std::string> next = pg::TakePage(
        r, page, EnroleeFromRow, [](const Enrolee& e) { return e.kpm_id; }, &out.enrolees);
    if (!next.ok()) return next.status();
    if (!next->empty()) out.next_page_token = paging::EncodePageToken(kEnroleePages, *next);
    return absl::OkStatus();
  });
  if (!s.ok()) return s;
  return out;
}

absl::StatusOr<Enrolee> PgEnroleeStore::SetState(absl::string_view kpm_id_view,
                                                 EnroleeState state) {
  const std::string kpm_id(kpm_id_view);
  Enrolee out;
  absl::Status s = pool_->Run("set enrolee state", [&](pqxx::connection& c) -> absl::Status {
    pqxx::work w(c);
    int64_t seq = LockCounter(w);
    pqxx::result cur =
        w.exec_params("SELECT state FROM enrolees WHERE kpm_id = $1 FOR UPDATE", kpm_id);
    if (cur.empty()) return absl::NotFoundError("enrolee not found");
    EnroleeState current;
    if (!ParseEnroleeState(cur[0][0].as<std::string>(), &current)) {
      return absl::InternalError("enrolee row has an unknown state");
    }
    if (current == EnroleeState::kRevoked && state != EnroleeState::kRevoked) {
      return absl::FailedPreconditionError("enrolee is revoked; revocation is terminal");
    }
    if (current != state) {
      const std::string name(EnroleeStateName(state));
      ++seq;
      w.exec_params0(
          "UPDATE enrolees SET state = $2, revision = $3, updated_at = now() WHERE kpm_id = $1",
          kpm_id, name, seq);
      w.exec_params0(
          "INSERT INTO state_changes (seq, kind, kpm_id, state) VALUES ($1, 'enrolee_state', $2,"
          " $3)",
          seq, kpm_id, name);
      if (state == EnroleeState::kRevoked) {
        pqxx::result revoked = w.exec_params(
            "UPDATE enrolments SET revoked = true WHERE kpm_id = $1 AND NOT revoked"
            " RETURNING ke_id",
            kpm_id);
        std::vector<std::string> ke_ids;
        for (const pqxx::row& row : revoked) ke_ids.push_back(row[0].as<std::string>());
        std::sort(ke_ids.begin(), ke_ids.end());
        for (const std::string& ke_id : ke_ids) {
          w.exec_params0(
              "INSERT INTO state_changes (seq, kind, kpm_id, ke_id) VALUES ($1,"
              " 'enrolment_revoked', $2, $3)",
              ++seq, kpm_id, ke_id);
        }
      }
      StoreCounter(w, seq);
    }
    absl::StatusOr<Enrolee> got = SelectEnrolee(w, kpm_id);
    if (!got.ok()) return got.status();
    w.commit();
    out = *std::move(got);
    return absl::OkStatus();
  });
  if (!s.ok()) return s;
  return out;
}

absl::Status PgEnroleeStore::DeleteEnrolee(absl::string_view kpm_id_view) {
  const std::string kpm_id(kpm_id_view);
  return pool_->Run("delete enrolee", [&](pqxx::connection& c) -> absl::Status {
    pqxx::work w(c);
    int64_t seq = LockCounter(w);
    pqxx::result exists =
        w.exec_params("SELECT 1 FROM enrolees WHERE kpm_id = $1 FOR UPDATE", kpm_id);
    if (exists.empty()) return absl::NotFoundError("enrolee not found");
    pqxx::result gone =
        w.exec_params("DELETE FROM enrolments WHERE kpm_id = $1 RETURNING ke_id", kpm_id);
    std::vector<std::string> ke_ids;
    for (const pqxx::row& row : gone) ke_ids.push_back(row[0].as<std::string>());
    std::sort(ke_ids.begin(), ke_ids.end());
    for (const std::string& ke_id : ke_ids) {
      w.exec_params0(
          "INSERT INTO state_changes (seq, kind, kpm_id, ke_id) VALUES ($1, 'enrolment_revoked',"
          " $2, $3)",
          ++seq, kpm_id, ke_id);
    }
    w.exec_params0("DELETE FROM enrolees WHERE kpm_id = $1", kpm_id);
    w.exec_params0(
        "INSERT INTO state_changes (seq, kind, kpm_id) VALUES ($1, 'enrolee_deleted', $2)", ++seq,
        kpm_id);
    StoreCounter(w, seq);
    w.commit();
    return absl::OkStatus();
  });
}

absl::StatusOr<Enrolee> PgEnroleeStore::RotateKpm(absl::string_view kpm_id_view,
                                                  const SealedKey& kpm) {
  if (kpm.ciphertext.empty()) return absl::InvalidArgumentError("sealed kpm must not be empty");
  const std::string kpm_id(kpm_id_view);
  Enrolee out;
  absl::Status s = pool_->Run("rotate kpm", [&](pqxx::connection& c) -> absl::Status {
    pqxx::work w(c);
    const int64_t seq = LockCounter(w) + 1;
    pqxx::result cur =
        w.exec_params("SELECT state FROM enrolees WHERE kpm_id = $1 FOR UPDATE", kpm_id);
    if (cur.empty()) return absl::NotFoundError("enrolee not found");
    if (cur[0][0].as<std::string>() == "revoked") {
      return absl::FailedPreconditionError("enrolee is revoked");
    }
    w.exec_params0(
        "UPDATE enrolees SET kpm_sealed = $2, kpm_kek_version = $3, revision = $4,"
        " updated_at = now() WHERE kpm_id = $1",
        kpm_id, pqxx::binarystring(kpm.ciphertext), kpm.kek_version, seq);
    StoreCounter(w, seq);
    absl::StatusOr<Enrolee> got = SelectEnrolee(w, kpm_id);
    if (!got.ok()) return got.status();
    w.commit();
    out = *std::move(got);
    return absl::OkStatus();
  });
  if (!s.ok()) return s;
  return out;
}

absl::Status PgEnroleeStore::CheckHealth() { return pool_->Ping(); }

}  // namespace mef
}  // namespace onem2m

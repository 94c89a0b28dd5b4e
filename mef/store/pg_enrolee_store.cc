#include "mef/store/pg_enrolee_store.h"

#include <algorithm>
#include <optional>
#include <utility>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/synchronization/notification.h"
#include "common/kek/reseal_rows.h"
#include "common/paging/page_token.h"
#include "common/pg/array_literal.h"
#include "common/pg/batch_read.h"
#include "common/pg/keyset_page.h"
#include "common/pg/migrations.h"
#include "common/pg/status.h"
#include "mef/store/mef_migrations.h"
#include "pqxx/nontransaction"
#include "pqxx/pqxx"
#include "pqxx/transaction"

namespace onem2m {
namespace mef {
namespace {

// Times travel as integer microseconds since the Unix epoch, which is exact both ways (timestamptz
// has microsecond resolution; floating-point epochs are not exact).
#define US(col) "(extract(epoch from " col ") * 1000000)::bigint"
#define TS(param) "(timestamptz 'epoch' + " param "::bigint * interval '1 microsecond')"

constexpr const char* kEnroleeCols =
    "kpm_id, kpm_sealed, kpm_kek_version, enrolee_id, maf_id, maf_uri, enrolment_lifetime_us, " US(
        "not_after") ", state, " US("created_at") ", " US("updated_at") ", revision";

constexpr const char* kEnrolmentCols =
    "en.ke_id, en.kpm_id, en.ke_sealed, en.ke_kek_version, en.enrolee_id, en.maf_id, " US(
        "en.expires_at") ", en.transport, en.peer_address, " US("en.created_at") ", en.revoked";

// Prepared statement names; hot paths only.
constexpr const char* kGetEnrolee = "mef_get_enrolee";
constexpr const char* kGetEnrolees = "mef_get_enrolees";
constexpr const char* kGetEnrolmentViews = "mef_get_enrolment_views";
constexpr const char* kInsertEnrolment = "mef_insert_enrolment";
constexpr const char* kInsertEnrolments = "mef_insert_enrolments";

constexpr const char* kInsertEnrolmentSql =
    "INSERT INTO enrolments (ke_id, kpm_id, ke_sealed, ke_kek_version, enrolee_id, maf_id, "
    "expires_at, transport, peer_address, created_at) VALUES ($1, $2, $3, $4, $5, $6, " TS(
        "$7") ", $8, $9, coalesce(" TS("$10") ", now()))";

// The PSK lookup's batch read (docs/protocol.md 2: an unknown KpmID must take as long to refuse
// as a known one). Every asked KpmID yields one row of the same shape: the stored row, or for an
// unknown KpmID a decoy with a 65-byte sealed blob (a 32-byte Kpm sealed: what most rows hold),
// disabled; column 12 tells them apart. So the database sends, and this process decodes, the same
// amount for a hit and a miss.
constexpr const char* kGetEnroleesSql =
    "SELECT coalesce(e.kpm_id, k.id), coalesce(e.kpm_sealed, decode(repeat('00', 65), 'hex')), "
    "coalesce(e.kpm_kek_version, 1), coalesce(e.enrolee_id, 'C-' || k.id), "
    "coalesce(e.maf_id, 'decoy.invalid'), e.maf_uri, e.enrolment_lifetime_us, " US("e.not_after")
    ", coalesce(e.state, 'disabled'), coalesce(" US("e.created_at") ", " US("now()") "), "
    "coalesce(" US("e.updated_at") ", " US("now()") "), coalesce(e.revision, 0), "
    "e.kpm_id IS NOT NULL "
    "FROM unnest($1::text[]) AS k(id) LEFT JOIN enrolees e ON e.kpm_id = k.id";

absl::Time FromMicros(const pqxx::field& f) { return absl::FromUnixMicros(f.as<int64_t>()); }

std::string Bytes(const pqxx::field& f) { return pqxx::binarystring(f).str(); }

absl::StatusOr<Enrolee> EnroleeFromRow(const pqxx::row& r) {
  Enrolee e;
  e.kpm_id = r[0].as<std::string>();
  e.kpm.ciphertext = Bytes(r[1]);
  e.kpm.kek_version = r[2].as<int32_t>();
  e.enrolee_id = r[3].as<std::string>();
  e.maf_id = r[4].as<std::string>();
  if (!r[5].is_null()) e.maf_uri = r[5].as<std::string>();
  if (!r[6].is_null()) e.enrolment_lifetime = absl::Microseconds(r[6].as<int64_t>());
  if (!r[7].is_null()) e.not_after = FromMicros(r[7]);
  if (!ParseEnroleeState(r[8].as<std::string>(), &e.state)) {
    return absl::InternalError("enrolee row has an unknown state");
  }
  e.created_at = FromMicros(r[9]);
  e.updated_at = FromMicros(r[10]);
  e.revision = r[11].as<int64_t>();
  return e;
}

absl::StatusOr<Enrolment> EnrolmentFromRow(const pqxx::row& r) {
  Enrolment e;
  e.ke_id = r[0].as<std::string>();
  e.kpm_id = r[1].as<std::string>();
  e.ke.ciphertext = Bytes(r[2]);
  e.ke.kek_version = r[3].as<int32_t>();
  e.enrolee_id = r[4].as<std::string>();
  e.maf_id = r[5].as<std::string>();
  e.expires_at = FromMicros(r[6]);
  if (!ParseTransport(r[7].as<std::string>(), &e.transport)) {
    return absl::InternalError("enrolment row has an unknown transport");
  }
  e.peer_address = r[8].as<std::string>();
  e.created_at = FromMicros(r[9]);
  e.revoked = r[10].as<bool>();
  return e;
}

// RowOrNotFound turns a batched read's answer (row, nullopt or error) into the row or an error:
// nullopt becomes kNotFound with `not_found`.
template <typename V>
absl::StatusOr<V> RowOrNotFound(absl::StatusOr<std::optional<V>> got, const char* not_found) {
  if (!got.ok()) return got.status();
  if (!got->has_value()) return absl::NotFoundError(not_found);
  return **std::move(got);
}

// FoundOr adapts a batched reader's answer to `done` (see RowOrNotFound).
template <typename V>
std::function<void(absl::StatusOr<std::optional<V>>)> FoundOr(
    const char* not_found, std::function<void(absl::StatusOr<V>)> done) {
  return [not_found, done = std::move(done)](absl::StatusOr<std::optional<V>> got) {
    done(RowOrNotFound(std::move(got), not_found));
  };
}

// Wait runs an asynchronous read and waits for its answer: the synchronous reads share the batched
// readers of their asynchronous forms (none of those readers' callbacks reads the store again, so
// waiting here cannot wait on itself).
template <typename V>
absl::StatusOr<V> Wait(const std::function<void(std::function<void(absl::StatusOr<V>)>)>& read) {
  absl::Notification answered;
  absl::StatusOr<V> out = absl::UnknownError("no answer");
  read([&](absl::StatusOr<V> r) {
    out = std::move(r);
    answered.Notify();
  });
  answered.WaitForNotification();
  return out;
}

// GRANT_LINES aggregates an enrolee's fetch grants into one text of "<suid> <target_id>" lines
// (ValidateFetchGrant keeps whitespace out of target IDs), read by ParseGrantLines; NULL when none.
#define GRANT_LINES(kpm_id)                                                                     \
  "(SELECT string_agg(g.suid::text || ' ' || g.target_id, E'\\n' ORDER BY g.target_id, g.suid)" \
  " FROM enrolee_fetch_grants g WHERE g.kpm_id = " kpm_id ")"

absl::StatusOr<std::vector<FetchGrant>> ParseGrantLines(absl::string_view text) {
  std::vector<FetchGrant> out;
  for (absl::string_view line : absl::StrSplit(text, '\n', absl::SkipEmpty())) {
    const size_t space = line.find(' ');
    FetchGrant g;
    if (space == absl::string_view::npos || !absl::SimpleAtoi(line.substr(0, space), &g.suid)) {
      return absl::InternalError("fetch grant row is malformed");
    }
    g.target_id = std::string(line.substr(space + 1));
    out.push_back(std::move(g));
  }
  return out;
}

// InsertGrants adds `grants` of `kpm_id` (ON CONFLICT: duplicates are stored once).
void InsertGrants(pqxx::work& w, const std::string& kpm_id, const std::vector<FetchGrant>& grants) {
  for (const FetchGrant& g : grants) {
    w.exec_params0(
        "INSERT INTO enrolee_fetch_grants (kpm_id, target_id, suid) VALUES ($1, $2, $3::bigint)"
        " ON CONFLICT DO NOTHING",
        kpm_id, g.target_id, absl::StrCat(g.suid));
  }
}

// EnrolmentViewFromRow reads a kGetEnrolmentViews row: the enrolment, then its enrolee's state
// and not_after.
absl::StatusOr<EnrolmentView> EnrolmentViewFromRow(const pqxx::row& r) {
  absl::StatusOr<Enrolment> e = EnrolmentFromRow(r);
  if (!e.ok()) return e.status();
  EnrolmentView view;
  view.enrolment = *std::move(e);
  if (!ParseEnroleeState(r[11].as<std::string>(), &view.enrolee_state)) {
    return absl::InternalError("enrolee row has an unknown state");
  }
  if (!r[12].is_null()) view.enrolee_not_after = FromMicros(r[12]);
  if (!r[13].is_null()) {
    absl::StatusOr<std::vector<FetchGrant>> grants = ParseGrantLines(r[13].as<std::string>());
    if (!grants.ok()) return grants.status();
    view.fetch_grants = *std::move(grants);
  }
  return view;
}

// ReadByKeys runs the prepared batch read `statement` (one text[] parameter) for `keys` and fills
// `found` by key. A plain read: nontransaction avoids BEGIN/COMMIT round trips on the hot paths.
template <typename V, typename FromRow, typename KeyOf>
absl::Status ReadByKeys(pg::ConnectionPool& pool, const char* statement,
                        const std::vector<std::string>& keys, FromRow from_row, KeyOf key_of,
                        absl::flat_hash_map<std::string, V>* found, const char* what) {
  const std::string ids = pg::TextArrayLiteral(keys);
  return pool.RunRead([&](pqxx::connection& c) -> absl::Status {
    try {
      found->clear();
      pqxx::nontransaction n(c);
      pqxx::result r = n.exec_prepared(statement, ids);
      for (const pqxx::row& row : r) {
        absl::StatusOr<V> v = from_row(row);
        if (!v.ok()) return v.status();
        std::string key = key_of(*v);
        found->emplace(std::move(key), *std::move(v));
      }
      return absl::OkStatus();
    } catch (...) {
      return pg::CurrentExceptionToStatus(what);
    }
  });
}

// Nullable parameters: libpqxx 6 sends a null `const char*` as SQL NULL.
const char* OrNull(const std::optional<std::string>& s) { return s ? s->c_str() : nullptr; }

std::optional<std::string> LifetimeUs(const Enrolee& e) {
  if (!e.enrolment_lifetime) return std::nullopt;
  return absl::StrCat(absl::ToInt64Microseconds(*e.enrolment_lifetime));
}
std::optional<std::string> NotAfterUs(const Enrolee& e) {
  if (!e.not_after) return std::nullopt;
  return absl::StrCat(absl::ToUnixMicros(*e.not_after));
}

// LockCounter takes the change-feed lock (see 0001_init.sql) and returns the current seq.
int64_t LockCounter(pqxx::work& w) {
  return w.exec1("SELECT seq FROM change_counter FOR UPDATE")[0].as<int64_t>();
}
void StoreCounter(pqxx::work& w, int64_t seq) {
  w.exec_params0("UPDATE change_counter SET seq = $1", seq);
}

absl::StatusOr<Enrolee> SelectEnrolee(pqxx::work& w, const std::string& kpm_id) {
  pqxx::result r = w.exec_prepared(kGetEnrolee, kpm_id);
  if (r.empty()) return absl::NotFoundError("enrolee not found");
  return EnroleeFromRow(r[0]);
}

// The group commit's one statement: each column travels as one array parameter, so the statement
// is prepared once per connection whatever the batch size (no per-batch SQL to build or parse).
// $10 holds created_at in microseconds, or -1 for the database's now().
constexpr const char* kInsertEnrolmentsSql =
    "INSERT INTO enrolments (ke_id, kpm_id, ke_sealed, ke_kek_version, enrolee_id, maf_id, "
    "expires_at, transport, peer_address, created_at) "
    "SELECT k, p, s, v, e, m, " TS("x") ", t, a, CASE WHEN c < 0 THEN now() ELSE " TS("c") " END "
    "FROM unnest($1::text[], $2::text[], $3::bytea[], $4::int[], $5::text[], $6::text[], "
    "$7::bigint[], $8::text[], $9::text[], $10::bigint[]) AS u(k, p, s, v, e, m, x, t, a, c) "
    "ON CONFLICT (ke_id) DO NOTHING RETURNING ke_id";

}  // namespace

absl::StatusOr<std::unique_ptr<PgEnroleeStore>> PgEnroleeStore::Create(
    PgEnroleeStoreOptions options) {
  if (options.max_batch < 1) options.max_batch = 1;
  if (options.max_pending < 1) options.max_pending = 1;
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
  absl::StatusOr<std::unique_ptr<pg::ConnectionPool>> pool =
      pg::ConnectionPool::Create(options.pool);
  if (!pool.ok()) return pool.status();
  absl::Status s = pg::RunMigrations(**pool, "mef", pg::MefMigrations());
  if (!s.ok()) return s;
  return std::unique_ptr<PgEnroleeStore>(new PgEnroleeStore(std::move(options), *std::move(pool)));
}

PgEnroleeStore::PgEnroleeStore(PgEnroleeStoreOptions options,
                               std::unique_ptr<pg::ConnectionPool> pool)
    : options_(std::move(options)),
      pool_(std::move(pool)),
      enrolees_(options_.enrolee_reads, BatchFetch(&PgEnroleeStore::FetchEnrolees)) {
  if (options_.group_commit) committer_ = std::thread([this] { CommitterLoop(); });
}

PgEnroleeStore::~PgEnroleeStore() {
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
  }
  if (committer_.joinable()) committer_.join();
}

absl::StatusOr<Enrolee> PgEnroleeStore::CreateEnrolee(const Enrolee& enrolee) {
  absl::Status v = ValidateEnrolee(enrolee);
  if (!v.ok()) return v;
  Enrolee out;
  absl::Status s = pool_
                       ->Run([&](pqxx::connection& c) -> absl::Status {
                         try {
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
                             return absl::AlreadyExistsError("an enrolee with this kpm_id exists");
                           StoreCounter(w, seq);
                           InsertGrants(w, enrolee.kpm_id, enrolee.fetch_grants);
                           absl::StatusOr<Enrolee> got = SelectEnrolee(w, enrolee.kpm_id);
                           if (!got.ok()) return got.status();
                           w.commit();
                           out = *std::move(got);
                           return absl::OkStatus();
                         } catch (...) {
                           return pg::CurrentExceptionToStatus("create enrolee");
                         }
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
  absl::Status s = pool_->Run([&](pqxx::connection& c) -> absl::Status {
    try {
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
          absl::StrAppend(&sql, k == start ? "" : ",", "(", w.quote(e.kpm_id), ",",
                          w.quote_raw(e.kpm.ciphertext), ",", e.kpm.kek_version, ",",
                          w.quote(e.enrolee_id), ",", w.quote(e.maf_id), ",",
                          e.maf_uri ? w.quote(*e.maf_uri) : "NULL", ",",
                          lifetime ? *lifetime : "NULL", ",",
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
    } catch (...) {
      return pg::CurrentExceptionToStatus("bulk create enrolees");
    }
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
  return pool_->RunRead([&](pqxx::connection& c) -> absl::Status {
    try {
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
    } catch (...) {
      return pg::CurrentExceptionToStatus("get enrolee");
    }
  });
}

absl::StatusOr<ListEnroleesResponse> PgEnroleeStore::ListEnrolees(
    const ListEnroleesRequest& request) {
  absl::StatusOr<std::string> after = paging::DecodePageToken(request.page_token, kEnroleePages);
  if (!after.ok()) return after.status();
  const int page = paging::ClampPageSize(request.page_size);
  ListEnroleesResponse out;
  absl::Status s = pool_->RunRead([&](pqxx::connection& c) -> absl::Status {
    try {
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
    } catch (...) {
      return pg::CurrentExceptionToStatus("list enrolees");
    }
  });
  if (!s.ok()) return s;
  return out;
}

absl::StatusOr<Enrolee> PgEnroleeStore::SetState(absl::string_view kpm_id_view,
                                                 EnroleeState state) {
  const std::string kpm_id(kpm_id_view);
  Enrolee out;
  absl::Status s = pool_->Run([&](pqxx::connection& c) -> absl::Status {
    try {
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
    } catch (...) {
      return pg::CurrentExceptionToStatus("set enrolee state");
    }
  });
  if (!s.ok()) return s;
  return out;
}

absl::Status PgEnroleeStore::DeleteEnrolee(absl::string_view kpm_id_view) {
  const std::string kpm_id(kpm_id_view);
  return pool_->Run([&](pqxx::connection& c) -> absl::Status {
    try {
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
    } catch (...) {
      return pg::CurrentExceptionToStatus("delete enrolee");
    }
  });
}

absl::StatusOr<Enrolee> PgEnroleeStore::RotateKpm(absl::string_view kpm_id_view,
                                                  const SealedKey& kpm) {
  if (kpm.ciphertext.empty()) return absl::InvalidArgumentError("sealed kpm must not be empty");
  const std::string kpm_id(kpm_id_view);
  Enrolee out;
  absl::Status s = pool_->Run([&](pqxx::connection& c) -> absl::Status {
    try {
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
    } catch (...) {
      return pg::CurrentExceptionToStatus("rotate kpm");
    }
  });
  if (!s.ok()) return s;
  return out;
}

absl::StatusOr<std::vector<KekVersionCount>> PgEnroleeStore::CountKekVersions() {
  std::vector<KekVersionCount> out;
  absl::Status s = pool_->Run([&](pqxx::connection& c) -> absl::Status {
    try {
      out.clear();
      pqxx::read_transaction w(c);  // one snapshot for both tables
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
    } catch (...) {
      return pg::CurrentExceptionToStatus("count kek versions");
    }
  });
  if (!s.ok()) return s;
  return out;
}

absl::StatusOr<RewrapResult> PgEnroleeStore::RewrapBatch(int32_t target_version, int limit,
                                                         const Resealer& reseal) {
  limit = std::clamp(limit, 1, 10000);
  std::vector<kek::PendingRow<SealedColumn, SealedKey>> batch;
  // Read the batch in autocommit mode (no transaction is held while re-sealing). A full scan
  // per batch is acceptable for a rare maintenance job; no index on the version is kept.
  absl::Status s = pool_->Run([&](pqxx::connection& c) -> absl::Status {
    try {
      batch.clear();
      pqxx::nontransaction w(c);
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
      return absl::OkStatus();
    } catch (...) {
      return pg::CurrentExceptionToStatus("rewrap: read batch");
    }
  });
  if (!s.ok()) return s;
  absl::StatusOr<kek::RewrapCounts> n =
      kek::ResealRows(batch, reseal,
                      [this](const kek::PendingRow<SealedColumn, SealedKey>& p,
                             const SealedKey& fresh) -> absl::StatusOr<bool> {
                        int64_t updated = 0;
                        absl::Status st = pool_->Run([&](pqxx::connection& c) -> absl::Status {
                          try {
                            pqxx::nontransaction w(c);
                            // Optimistic check: only if the row still holds the blob we re-sealed.
                            pqxx::result r = w.exec_params(
                                p.column == SealedColumn::kEnroleeKpm
                                    ? "UPDATE enrolees SET kpm_sealed = $2, kpm_kek_version = $3 "
                                      "WHERE kpm_id = $1 AND kpm_sealed = $4"
                                    : "UPDATE enrolments SET ke_sealed = $2, ke_kek_version = $3 "
                                      "WHERE ke_id = $1 AND ke_sealed = $4",
                                p.id, pqxx::binarystring(fresh.ciphertext), fresh.kek_version,
                                pqxx::binarystring(p.old.ciphertext));
                            updated = r.affected_rows();
                            return absl::OkStatus();
                          } catch (...) {
                            return pg::CurrentExceptionToStatus("rewrap: update row");
                          }
                        });
                        if (!st.ok()) return st;
                        return updated == 1;
                      });
  if (!n.ok()) return n.status();
  RewrapResult result;
  result.rewrapped = n->rewrapped;
  result.raced = n->raced;
  s = pool_->Run([&](pqxx::connection& c) -> absl::Status {
    try {
      pqxx::nontransaction w(c);
      pqxx::result r = w.exec_params(
          "SELECT (SELECT count(*) FROM enrolees WHERE kpm_kek_version <> $1) + "
          "(SELECT count(*) FROM enrolments WHERE ke_kek_version <> $1)",
          target_version);
      result.left = r[0][0].as<int64_t>();
      return absl::OkStatus();
    } catch (...) {
      return pg::CurrentExceptionToStatus("rewrap: count left");
    }
  });
  if (!s.ok()) return s;
  return result;
}

absl::Status PgEnroleeStore::InsertOne(const Enrolment& e) {
  absl::Status s = pool_->Run([&](pqxx::connection& c) -> absl::Status {
    try {
      // One autocommit statement: durable when it returns (synchronous_commit = on), one round
      // trip instead of BEGIN / INSERT / COMMIT.
      pqxx::nontransaction w(c);
      std::optional<std::string> created;
      if (e.created_at != absl::InfinitePast())
        created = absl::StrCat(absl::ToUnixMicros(e.created_at));
      w.exec_prepared0(kInsertEnrolment, e.ke_id, e.kpm_id, pqxx::binarystring(e.ke.ciphertext),
                       e.ke.kek_version, e.enrolee_id, e.maf_id,
                       absl::StrCat(absl::ToUnixMicros(e.expires_at)),
                       std::string(TransportName(e.transport)), e.peer_address, OrNull(created));
      w.commit();
      return absl::OkStatus();
    } catch (...) {
      return pg::CurrentExceptionToStatus("record enrolment");
    }
  });
  if (s.code() == absl::StatusCode::kFailedPrecondition) {
    return absl::NotFoundError("record enrolment: enrolee not found");  // FK violation
  }
  if (s.code() == absl::StatusCode::kAlreadyExists) {
    return absl::AlreadyExistsError("record enrolment: ke_id already recorded");
  }
  return s;
}

std::vector<absl::Status> PgEnroleeStore::InsertBatch(const std::vector<Pending>& batch) {
  std::vector<absl::Status> results(batch.size());
  if (batch.size() == 1) {
    results[0] = InsertOne(batch[0].enrolment);
    return results;
  }
  // Two callers with one ke_id in a batch: ON CONFLICT would skip the second but RETURNING would
  // name the ke_id once, telling both "done". Settle it here instead.
  std::vector<size_t> rows;
  {
    absl::flat_hash_set<absl::string_view> seen;
    for (size_t i = 0; i < batch.size(); ++i) {
      if (seen.insert(batch[i].enrolment.ke_id).second) {
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
    const Enrolment& e = batch[i].enrolment;
    ke_ids.push_back(e.ke_id);
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
  absl::Status s = pool_->Run([&](pqxx::connection& c) -> absl::Status {
    try {
      inserted.clear();
      // One autocommit statement: atomic, and durable when it returns (synchronous_commit = on).
      pqxx::nontransaction w(c);
      pqxx::result r = w.exec_prepared(
          kInsertEnrolments, pg::TextArrayLiteral(ke_ids), pg::TextArrayLiteral(kpm_ids),
          sealed_array, pg::TextArrayLiteral(versions), pg::TextArrayLiteral(enrolee_ids),
          pg::TextArrayLiteral(maf_ids), pg::TextArrayLiteral(expiries),
          pg::TextArrayLiteral(transports), pg::TextArrayLiteral(peers),
          pg::TextArrayLiteral(created));
      for (const pqxx::row& row : r) inserted.insert(row[0].as<std::string>());
      return absl::OkStatus();
    } catch (...) {
      return pg::CurrentExceptionToStatus("record enrolments");
    }
  });
  if (s.ok()) {
    for (size_t i : rows) {
      results[i] = inserted.contains(batch[i].enrolment.ke_id)
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
  for (size_t i : rows) results[i] = InsertOne(batch[i].enrolment);
  return results;
}

void PgEnroleeStore::CommitterLoop() {
  for (;;) {
    std::vector<Pending> batch;
    {
      absl::MutexLock lock(&mu_);
      mu_.Await(absl::Condition(
          +[](PgEnroleeStore* self) ABSL_EXCLUSIVE_LOCKS_REQUIRED(self->mu_) {
            return !self->queue_.empty() || self->stopping_;
          },
          this));
      if (queue_.empty()) return;  // stopping, and everything queued has been answered
      const size_t n = std::min(queue_.size(), static_cast<size_t>(options_.max_batch));
      batch.reserve(n);
      for (size_t i = 0; i < n; ++i) {
        batch.push_back(std::move(queue_.front()));
        queue_.pop_front();
      }
    }
    std::vector<absl::Status> results = InsertBatch(batch);
    for (size_t i = 0; i < batch.size(); ++i) batch[i].done(std::move(results[i]));
  }
}

void PgEnroleeStore::RecordEnrolmentAsync(Enrolment enrolment,
                                          std::function<void(absl::Status)> done) {
  absl::Status v = ValidateEnrolment(enrolment);
  if (!v.ok()) {
    done(v);
    return;
  }
  if (!options_.group_commit) {
    done(InsertOne(enrolment));
    return;
  }
  {
    absl::MutexLock lock(&mu_);
    if (!stopping_ && static_cast<int>(queue_.size()) < options_.max_pending) {
      queue_.push_back(Pending{std::move(enrolment), std::move(done)});
      return;
    }
  }
  done(absl::UnavailableError("record enrolment: too many enrolments waiting for the database"));
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

absl::StatusOr<EnrolmentView> PgEnroleeStore::GetEnrolmentByKeId(absl::string_view ke_id) {
  const std::string key(ke_id);
  return std::move(GetEnrolmentsByKeIds(absl::MakeConstSpan(&key, 1))[0]);
}

std::vector<absl::StatusOr<EnrolmentView>> PgEnroleeStore::GetEnrolmentsByKeIds(
    absl::Span<const std::string> ke_ids) {
  const std::vector<absl::string_view> keys(ke_ids.begin(), ke_ids.end());
  std::vector<absl::StatusOr<std::optional<EnrolmentView>>> answers =
      pg::ReadEach<EnrolmentView>(BatchFetch(&PgEnroleeStore::FetchEnrolmentViews), keys);
  std::vector<absl::StatusOr<EnrolmentView>> out;
  out.reserve(answers.size());
  for (auto& a : answers) out.push_back(RowOrNotFound(std::move(a), "enrolment not found"));
  return out;
}

absl::Status PgEnroleeStore::FetchEnrolmentViews(
    const std::vector<std::string>& ke_ids,
    absl::flat_hash_map<std::string, EnrolmentView>* found) {
  return ReadByKeys(
      *pool_, kGetEnrolmentViews, ke_ids, EnrolmentViewFromRow,
      [](const EnrolmentView& v) { return v.enrolment.ke_id; }, found, "get enrolment");
}

absl::Status PgEnroleeStore::SetFetchGrants(absl::string_view kpm_id,
                                            const std::vector<FetchGrant>& grants) {
  if (grants.size() > kMaxFetchGrants) return absl::InvalidArgumentError("too many fetch grants");
  for (const FetchGrant& g : grants) {
    absl::Status v = ValidateFetchGrant(g);
    if (!v.ok()) return v;
  }
  const std::string id(kpm_id);
  return pool_->Run([&](pqxx::connection& c) -> absl::Status {
    try {
      pqxx::work w(c);
      // Lock the enrolee so a concurrent delete cannot interleave with the replacement.
      if (w.exec_params("SELECT 1 FROM enrolees WHERE kpm_id = $1 FOR UPDATE", id).empty()) {
        return absl::NotFoundError("enrolee not found");
      }
      w.exec_params0("DELETE FROM enrolee_fetch_grants WHERE kpm_id = $1", id);
      InsertGrants(w, id, grants);
      w.commit();
      return absl::OkStatus();
    } catch (...) {
      return pg::CurrentExceptionToStatus("set fetch grants");
    }
  });
}

absl::StatusOr<std::vector<FetchGrant>> PgEnroleeStore::GetFetchGrants(absl::string_view kpm_id) {
  const std::string id(kpm_id);
  std::vector<FetchGrant> out;
  absl::Status s = pool_->RunRead([&](pqxx::connection& c) -> absl::Status {
    try {
      pqxx::nontransaction n(c);
      pqxx::result r = n.exec_params(
          "SELECT " GRANT_LINES("e.kpm_id") " FROM enrolees e WHERE e.kpm_id = $1", id);
      if (r.empty()) return absl::NotFoundError("enrolee not found");
      if (r[0][0].is_null()) return absl::OkStatus();
      absl::StatusOr<std::vector<FetchGrant>> grants = ParseGrantLines(r[0][0].as<std::string>());
      if (!grants.ok()) return grants.status();
      out = *std::move(grants);
      return absl::OkStatus();
    } catch (...) {
      return pg::CurrentExceptionToStatus("get fetch grants");
    }
  });
  if (!s.ok()) return s;
  return out;
}

absl::StatusOr<ListEnrolmentsResponse> PgEnroleeStore::ListEnrolments(
    const ListEnrolmentsRequest& request) {
  absl::StatusOr<std::string> after = paging::DecodePageToken(request.page_token, kEnrolmentPages);
  if (!after.ok()) return after.status();
  const int page = paging::ClampPageSize(request.page_size);
  ListEnrolmentsResponse out;
  absl::Status s = pool_->RunRead([&](pqxx::connection& c) -> absl::Status {
    try {
      out = ListEnrolmentsResponse();
      pqxx::nontransaction n(c);
      pqxx::result r =
          request.kpm_id
              ? n.exec_params(absl::StrCat("SELECT ", kEnrolmentCols,
                                           " FROM enrolments en WHERE en.kpm_id = $1"
                                           " AND en.ke_id > $2 ORDER BY en.kpm_id, en.ke_id"
                                           " LIMIT $3"),
                              *request.kpm_id, *after, page + 1)
              : n.exec_params(absl::StrCat("SELECT ", kEnrolmentCols,
                                           " FROM enrolments en WHERE en.ke_id > $1"
                                           " ORDER BY en.ke_id LIMIT $2"),
                              *after, page + 1);
      absl::StatusOr<std::string> next = pg::TakePage(
          r, page, EnrolmentFromRow, [](const Enrolment& e) { return e.ke_id; }, &out.enrolments);
      if (!next.ok()) return next.status();
      if (!next->empty()) out.next_page_token = paging::EncodePageToken(kEnrolmentPages, *next);
      return absl::OkStatus();
    } catch (...) {
      return pg::CurrentExceptionToStatus("list enrolments");
    }
  });
  if (!s.ok()) return s;
  return out;
}

absl::Status PgEnroleeStore::RevokeEnrolment(absl::string_view ke_id_view) {
  const std::string ke_id(ke_id_view);
  return pool_->Run([&](pqxx::connection& c) -> absl::Status {
    try {
      pqxx::work w(c);
      int64_t seq = LockCounter(w);
      pqxx::result r = w.exec_params(
          "SELECT kpm_id, revoked FROM enrolments WHERE ke_id = $1 FOR UPDATE", ke_id);
      if (r.empty()) return absl::NotFoundError("enrolment not found");
      if (!r[0][1].as<bool>()) {
        const std::string kpm_id = r[0][0].as<std::string>();
        w.exec_params0("UPDATE enrolments SET revoked = true WHERE ke_id = $1", ke_id);
        w.exec_params0(
            "INSERT INTO state_changes (seq, kind, kpm_id, ke_id) VALUES ($1, 'enrolment_revoked',"
            " $2, $3)",
            ++seq, kpm_id, ke_id);
        StoreCounter(w, seq);
      }
      w.commit();
      return absl::OkStatus();
    } catch (...) {
      return pg::CurrentExceptionToStatus("revoke enrolment");
    }
  });
}

absl::StatusOr<std::vector<StateChange>> PgEnroleeStore::ListStateChangesSince(int64_t after_seq,
                                                                               int limit) {
  limit = std::clamp(limit, 1, 10000);
  std::vector<StateChange> out;
  absl::Status s = pool_
                       ->RunRead([&](pqxx::connection& c) -> absl::Status {
                         try {
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
                             if (!row[3].is_null()) ch.ke_id = row[3].as<std::string>();
                             if (!row[4].is_null())
                               ParseEnroleeState(row[4].as<std::string>(), &ch.state);
                             ch.changed_at = FromMicros(row[5]);
                             out.push_back(std::move(ch));
                           }
                           return absl::OkStatus();
                         } catch (...) {
                           return pg::CurrentExceptionToStatus("list state changes");
                         }
                       });
  if (!s.ok()) return s;
  return out;
}

absl::StatusOr<int64_t> PgEnroleeStore::LatestChangeSeq() {
  int64_t seq = 0;
  absl::Status s = pool_->RunRead([&](pqxx::connection& c) -> absl::Status {
    try {
      pqxx::nontransaction n(c);
      seq = n.exec1("SELECT seq FROM change_counter")[0].as<int64_t>();
      return absl::OkStatus();
    } catch (...) {
      return pg::CurrentExceptionToStatus("read change seq");
    }
  });
  if (!s.ok()) return s;
  return seq;
}

absl::Status PgEnroleeStore::CheckHealth() { return pool_->Ping(); }

}  // namespace mef
}  // namespace onem2m

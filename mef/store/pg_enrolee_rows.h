// File: mef/store/pg_enrolee_rows.h
//
// The PostgreSQL enrolee store's SQL text and row mapping, shared by its files
// (pg_enrolee_store.cc: enrolees and enrolment reads; pg_enrolment_writer.cc: the grouped commit
// writer; pg_enrolee_changes.cc: the change feed and KEK rewrap). Internal to mef/store.
#ifndef ONEM2M_MEF_STORE_PG_ENROLEE_ROWS_H_
#define ONEM2M_MEF_STORE_PG_ENROLEE_ROWS_H_

#include <algorithm>
#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
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
#include "common/pg/pool.h"
#include "common/pg/status.h"
#include "mef/store/enrolee_store.h"
#include "mef/store/mef_migrations.h"
#include "pqxx/nontransaction"
#include "pqxx/pqxx"
#include "pqxx/transaction"

namespace onem2m::mef::pg_rows {

// Times travel as integer microseconds since the Unix epoch, which is exact both ways (timestamptz
// has microsecond resolution; floating-point epochs are not exact).
#define US(col) "(extract(epoch from " col ") * 1000000)::bigint"
#define TS(param) "(timestamptz 'epoch' + " param "::bigint * interval '1 microsecond')"

inline constexpr const char* kEnroleeCols =
    "kpm_id, kpm_sealed, kpm_kek_version, enrolee_id, maf_id, maf_uri, enrolment_lifetime_us, " US(
        "not_after") ", state, " US("created_at") ", " US("updated_at") ", revision";

inline constexpr const char* kEnrolmentCols =
    "en.ke_id, en.kpm_id, en.ke_sealed, en.ke_kek_version, en.enrolee_id, en.maf_id, " US(
        "en.expires_at") ", en.transport, en.peer_address, " US("en.created_at") ", en.revoked";

// Prepared statement names; hot paths only.
inline constexpr const char* kGetEnrolee = "mef_get_enrolee";
inline constexpr const char* kGetEnrolees = "mef_get_enrolees";
inline constexpr const char* kGetEnrolmentViews = "mef_get_enrolment_views";
inline constexpr const char* kInsertEnrolment = "mef_insert_enrolment";
inline constexpr const char* kInsertEnrolments = "mef_insert_enrolments";

inline constexpr const char* kInsertEnrolmentSql =
    "INSERT INTO enrolments (ke_id, kpm_id, ke_sealed, ke_kek_version, enrolee_id, maf_id, "
    "expires_at, transport, peer_address, created_at) VALUES ($1, $2, $3, $4, $5, $6, " TS(
        "$7") ", $8, $9, coalesce(" TS("$10") ", now()))";

// The PSK lookup's batch read (docs/protocol.md 2: an unknown KpmID must take as long to refuse
// as a known one). Every asked KpmID yields one row of the same shape: the stored row, or for an
// unknown KpmID a decoy with a 65-byte sealed blob (a 32-byte Kpm sealed: what most rows hold),
// disabled; column 12 tells them apart. So the database sends, and this process decodes, the same
// amount for a hit and a miss.
inline constexpr const char* kGetEnroleesSql =
    "SELECT coalesce(e.kpm_id, k.id), coalesce(e.kpm_sealed, decode(repeat('00', 65), 'hex')), "
    "coalesce(e.kpm_kek_version, 1), coalesce(e.enrolee_id, 'C-' || k.id), "
    "coalesce(e.maf_id, 'decoy.invalid'), e.maf_uri, e.enrolment_lifetime_us, " US("e.not_after")
    ", coalesce(e.state, 'disabled'), coalesce(" US("e.created_at") ", " US("now()") "), "
    "coalesce(" US("e.updated_at") ", " US("now()") "), coalesce(e.revision, 0), "
    "e.kpm_id IS NOT NULL "
    "FROM unnest($1::text[]) AS k(id) LEFT JOIN enrolees e ON e.kpm_id = k.id";

inline absl::Time FromMicros(const pqxx::field& f) { return absl::FromUnixMicros(f.as<int64_t>()); }

inline std::string Bytes(const pqxx::field& f) { return pqxx::binarystring(f).str(); }

inline absl::StatusOr<Enrolee> EnroleeFromRow(const pqxx::row& r) {
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

inline absl::StatusOr<Enrolment> EnrolmentFromRow(const pqxx::row& r) {
  Enrolment e;
  absl::StatusOr<crypto::KeyId> ke_id = crypto::KeyId::Parse(r[0].as<std::string>());
  if (!ke_id.ok()) return absl::InternalError("enrolment row has a malformed ke_id");
  e.ke_id = *std::move(ke_id);
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

inline absl::StatusOr<std::vector<FetchGrant>> ParseGrantLines(absl::string_view text) {
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
inline void InsertGrants(pqxx::work& w, const std::string& kpm_id,
                         const std::vector<FetchGrant>& grants) {
  for (const FetchGrant& g : grants) {
    w.exec_params0(
        "INSERT INTO enrolee_fetch_grants (kpm_id, target_id, suid) VALUES ($1, $2, $3::bigint)"
        " ON CONFLICT DO NOTHING",
        kpm_id, g.target_id, absl::StrCat(g.suid));
  }
}

// EnrolmentViewFromRow reads a kGetEnrolmentViews row: the enrolment, then its enrolee's state
// and not_after.
inline absl::StatusOr<EnrolmentView> EnrolmentViewFromRow(const pqxx::row& r) {
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
  return pool.RunRead(what, [&](pqxx::connection& c) -> absl::Status {
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
  });
}

// Nullable parameters: libpqxx 6 sends a null `const char*` as SQL NULL.
inline const char* OrNull(const std::optional<std::string>& s) { return s ? s->c_str() : nullptr; }

inline std::optional<std::string> LifetimeUs(const Enrolee& e) {
  if (!e.enrolment_lifetime) return std::nullopt;
  return absl::StrCat(absl::ToInt64Microseconds(*e.enrolment_lifetime));
}
inline std::optional<std::string> NotAfterUs(const Enrolee& e) {
  if (!e.not_after) return std::nullopt;
  return absl::StrCat(absl::ToUnixMicros(*e.not_after));
}

// LockCounter takes the change-feed lock (see 0001_init.sql) and returns the current seq.
inline int64_t LockCounter(pqxx::work& w) {
  return w.exec1("SELECT seq FROM change_counter FOR UPDATE")[0].as<int64_t>();
}
inline void StoreCounter(pqxx::work& w, int64_t seq) {
  w.exec_params0("UPDATE change_counter SET seq = $1", seq);
}

inline absl::StatusOr<Enrolee> SelectEnrolee(pqxx::work& w, const std::string& kpm_id) {
  pqxx::result r = w.exec_prepared(kGetEnrolee, kpm_id);
  if (r.empty()) return absl::NotFoundError("enrolee not found");
  return EnroleeFromRow(r[0]);
}

// The group commit's one statement: each column travels as one array parameter, so the statement
// is prepared once per connection whatever the batch size (no per-batch SQL to build or parse).
// $10 holds created_at in microseconds, or -1 for the database's now().
inline constexpr const char* kInsertEnrolmentsSql =
    "INSERT INTO enrolments (ke_id, kpm_id, ke_sealed, ke_kek_version, enrolee_id, maf_id, "
    "expires_at, transport, peer_address, created_at) "
    "SELECT k, p, s, v, e, m, " TS("x") ", t, a, CASE WHEN c < 0 THEN now() ELSE " TS("c") " END "
    "FROM unnest($1::text[], $2::text[], $3::bytea[], $4::int[], $5::text[], $6::text[], "
    "$7::bigint[], $8::text[], $9::text[], $10::bigint[]) AS u(k, p, s, v, e, m, x, t, a, c) "
    "ON CONFLICT (ke_id) DO NOTHING RETURNING ke_id";

}  // namespace onem2m::mef::pg_rows

#endif  // ONEM2M_MEF_STORE_PG_ENROLEE_ROWS_H_

// File: maf/store/pg_maf_rows.h
//
// The PostgreSQL MAF store's SQL text and row mapping, shared by its files (pg_maf_store.cc:
// credentials; pg_maf_clients.cc: client registrations; pg_maf_keys.cc: keys;
// pg_maf_queries.cc: the admin listings; pg_maf_kek_rewrap.cc: KEK counts and rewrap). Internal to
// maf/store.
#ifndef ONEM2M_MAF_STORE_PG_MAF_ROWS_H_
#define ONEM2M_MAF_STORE_PG_MAF_ROWS_H_

#include <algorithm>
#include <optional>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "common/crypto/key_id.h"
#include "common/pg/status.h"
#include "maf/store/maf_store.h"
#include "pqxx/pqxx"

namespace onem2m::maf::pg_rows {

// Times travel as whole microseconds since the epoch, so nothing is lost to floating point:
// TS(n) turns parameter $n into a timestamptz; US(col) turns a column back into microseconds.
inline std::string TS(int n) {
  return absl::StrCat("('epoch'::timestamptz + $", n, "::bigint * interval '1 microsecond')");
}
inline std::string US(absl::string_view col) {
  return absl::StrCat("(extract(epoch from ", col, ") * 1000000)::bigint");
}
inline int64_t Micros(absl::Time t) { return absl::ToUnixMicros(t); }
inline absl::Time FromMicros(const pqxx::field& f) { return absl::FromUnixMicros(f.as<int64_t>()); }

// StoredKeyId parses a KeID or KmID column (canonical text, written from a crypto::KeyId). A row
// that does not parse throws, so the store call fails with kInternal (common/pg/status.h) instead
// of handing on an identifier nobody can match.
inline crypto::KeyId StoredKeyId(const pqxx::field& f) {
  absl::StatusOr<crypto::KeyId> id = crypto::KeyId::Parse(f.as<std::string>());
  if (!id.ok()) throw std::runtime_error("stored key identifier is malformed");
  return *std::move(id);
}

// Ciphertexts travel as hex (decode($n,'hex') / encode(col,'hex')): no binary-parameter handling in
// libpqxx 6 to get wrong. Target IDs travel newline-joined: ValidateTargetIds forbids whitespace.
inline std::string Hex(const std::string& bytes) { return crypto::HexUpper(bytes); }
inline std::string Unhex(const pqxx::field& f) {
  absl::StatusOr<std::string> raw = crypto::ParseHex(f.as<std::string>());
  return raw.ok() ? *raw : std::string();
}
inline std::string JoinTargets(const std::vector<std::string>& t) { return absl::StrJoin(t, "\n"); }
inline std::vector<std::string> SplitTargets(const pqxx::field& f) {
  return absl::StrSplit(f.as<std::string>(), '\n', absl::SkipEmpty());
}

inline const std::string& CredentialColumns() {
  static const std::string* const s = new std::string(absl::StrCat(
      "km_id, ke_id, encode(km_ciphertext, 'hex'), kek_version, enrolee_id, mef_fqdn, ",
      US("expires_at"), ", revoked, ", US("created_at"), ", COALESCE(last_transport, ''), ",
      US("last_handshake_at")));
  return *s;
}

inline MafCredential CredentialFromRow(const pqxx::row& r) {
  MafCredential c;
  c.km_id = StoredKeyId(r[0]);
  c.ke_id = StoredKeyId(r[1]);
  c.km.ciphertext = Unhex(r[2]);
  c.km.kek_version = r[3].as<int32_t>();
  c.enrolee_id = r[4].as<std::string>();
  c.mef_fqdn = r[5].as<std::string>();
  c.expires_at = FromMicros(r[6]);
  c.revoked = r[7].as<bool>();
  c.created_at = FromMicros(r[8]);
  c.last_transport = ParseTransport(r[9].as<std::string>());
  if (!r[10].is_null()) c.last_handshake_at = FromMicros(r[10]);
  return c;
}

inline std::optional<Revocation> RevocationFromRow(const pqxx::row& r, int first) {
  if (r[first + 2].is_null()) return std::nullopt;
  Revocation v;
  v.actor = r[first].is_null() ? "" : r[first].as<std::string>();
  v.reason = r[first + 1].is_null() ? "" : r[first + 1].as<std::string>();
  v.time = FromMicros(r[first + 2]);
  return v;
}

// ClientColumns(now_param): the client columns plus its active key count at $now_param.
inline std::string ClientColumns(int now_param) {
  return absl::StrCat(
      "c.maf_client_reg_id, c.km_id, c.ke_id, c.enrolee_id, ", US("c.expires_at"), ", ",
      US("c.created_at"), ", c.state, c.revoked_by, c.revoke_reason, ", US("c.revoked_at"),
      ", (SELECT count(*) FROM maf_keys k WHERE k.maf_client_reg_id = c.maf_client_reg_id"
      " AND k.state = 'active' AND k.expires_at > ",
      TS(now_param),
      "), (SELECT COALESCE(m.last_transport, '') FROM maf_credentials m WHERE m.km_id = c.km_id),"
      " (SELECT ",
      US("m.last_handshake_at"), " FROM maf_credentials m WHERE m.km_id = c.km_id),",
      " array_to_string(c.labels, E'\\n')");
}

inline MafClient ClientFromRow(const pqxx::row& r) {
  MafClient c;
  c.maf_client_reg_id = r[0].as<std::string>();
  c.km_id = StoredKeyId(r[1]);
  c.ke_id = StoredKeyId(r[2]);
  c.enrolee_id = r[3].as<std::string>();
  c.expires_at = FromMicros(r[4]);
  c.created_at = FromMicros(r[5]);
  ParseClientState(r[6].as<std::string>(), &c.state);
  c.revocation = RevocationFromRow(r, 7);
  c.active_key_count = r[10].as<int>();
  if (!r[11].is_null()) c.last_transport = ParseTransport(r[11].as<std::string>());
  if (!r[12].is_null()) c.last_handshake_at = FromMicros(r[12]);
  c.labels = SplitTargets(r[13]);
  return c;
}

inline const std::string& KeyColumns() {
  static const std::string* const s = new std::string(
      absl::StrCat("key_id, relative_id, encode(key_ciphertext, 'hex'), kek_version, suid, ",
                   "array_to_string(target_ids, E'\\n'), maf_client_reg_id, km_id, client_id, ",
                   US("expires_at"), ", ", US("created_at"), ", ", US("updated_at"),
                   ", state, revoked_by, revoke_reason, ", US("revoked_at"),
                   ", array_to_string(labels, E'\\n')"));
  return *s;
}

inline MafKey KeyFromRow(const pqxx::row& r) {
  MafKey k;
  k.key_id = r[0].as<std::string>();
  k.relative_id = r[1].as<std::string>();
  k.key.ciphertext = Unhex(r[2]);
  k.key.kek_version = r[3].as<int32_t>();
  k.suid = static_cast<uint32_t>(r[4].as<int64_t>());
  k.target_ids = SplitTargets(r[5]);
  k.maf_client_reg_id = r[6].as<std::string>();
  k.km_id = StoredKeyId(r[7]);
  k.client_id = r[8].as<std::string>();
  k.expires_at = FromMicros(r[9]);
  k.created_at = FromMicros(r[10]);
  k.updated_at = FromMicros(r[11]);
  ParseKeyState(r[12].as<std::string>(), &k.state);
  k.revocation = RevocationFromRow(r, 13);
  k.labels = SplitTargets(r[16]);
  return k;
}

// StateName maps a filter to the text the SQL state conditions below test ("" = no filter).
inline std::string StateFilter(const std::optional<EffectiveState>& s) {
  if (!s.has_value()) return "";
  switch (*s) {
    case EffectiveState::kActive:
      return "active";
    case EffectiveState::kExpired:
      return "expired";
    case EffectiveState::kDeregistered:
      return "deregistered";
    case EffectiveState::kRevoked:
      return "revoked";
  }
  return "";
}

// StateCondition: rows of alias `a` in effective state $state_param at time $now_param.
inline std::string StateCondition(absl::string_view a, int state_param, int now_param) {
  const std::string st = absl::StrCat("$", state_param, "::text");
  return absl::StrCat("(", st, " = '' OR (", st, " = 'active' AND ", a, ".state = 'active' AND ", a,
                      ".expires_at > ", TS(now_param), ") OR (", st, " = 'expired' AND ", a,
                      ".state = 'active' AND ", a, ".expires_at <= ", TS(now_param), ") OR (", st,
                      " IN ('deregistered', 'revoked') AND ", a, ".state = ", st, "))");
}

// CredentialLookupSql: the handshake's credential read by `key` (km_id or ke_id). It always
// returns one row of the same shape (docs/protocol.md 7, "Identity privacy"): the stored row, or
// for an unknown identity a decoy with a 65-byte sealed blob (a 32-byte Km sealed, what every row
// holds); the last column tells them apart. So the database sends, and this process decodes, the
// same for a known and an unknown identity.
// `source` names the looked-up identities as rows of k(id): one parameter by default, or an
// array of them for the batched reads (pg_maf_batch_sql.h), which add k.id as a last column.
inline std::string CredentialLookupSql(absl::string_view key,
                                       absl::string_view source = "(SELECT $1::text AS id) AS k",
                                       absl::string_view extra_columns = "") {
  return absl::StrCat(
      "SELECT coalesce(c.km_id, k.id), coalesce(c.ke_id, k.id), ",
      "coalesce(encode(c.km_ciphertext, 'hex'), repeat('00', 65)), coalesce(c.kek_version, 1), ",
      "coalesce(c.enrolee_id, 'C-decoy'), coalesce(c.mef_fqdn, 'decoy.invalid'), coalesce(",
      US("c.expires_at"), ", ", US("now()"), "), coalesce(c.revoked, false), coalesce(",
      US("c.created_at"), ", ", US("now()"), "), COALESCE(c.last_transport, ''), ",
      US("c.last_handshake_at"), ", c.km_id IS NOT NULL", extra_columns, " FROM ", source,
      " LEFT JOIN maf_credentials c ON c.", key, " = k.id");
}
inline constexpr int kCredentialFoundColumn = 11;

// Prepared statements of the first-contact path (PutCredential, RegisterClient).
inline constexpr const char* kPutCredential = "maf_put_credential";
inline constexpr const char* kRegisterClient = "maf_register_client";
inline constexpr const char* kDecoyCredential = "maf_put_decoy_credential";
inline constexpr int kUsableColumn =
    14;  // RegisterClient: usable credentials (0 or 1), after the client

// CredentialInsertSql: insert into `table`, or return the row a racing replica stored under this
// km_id, keeping its revoked flag. DO NOTHING on any conflict; a ke_id taken by another km_id
// shows up as no row.
inline std::string CredentialInsertSql(absl::string_view table) {
  return absl::StrCat("WITH ins AS (INSERT INTO ", table,
                      " (km_id, ke_id, km_ciphertext, kek_version, enrolee_id, mef_fqdn, "
                      "expires_at, created_at) VALUES ($1, $2, decode($3, 'hex'), $4, $5, $6, ",
                      TS(7), ", ", TS(8), ") ON CONFLICT DO NOTHING RETURNING ",
                      CredentialColumns(), ") SELECT * FROM ins UNION ALL SELECT ",
                      CredentialColumns(), " FROM ", table,
                      " WHERE km_id = $1 AND NOT EXISTS (SELECT 1 FROM ins)");
}

inline const std::string& PutCredentialSql() {
  static const std::string* const s = new std::string(CredentialInsertSql("maf_credentials"));
  return *s;
}

inline const std::string& RegisterClientSql() {
  // $1 km_id, $2 now, $3 new registration id, $4 requested expiry.
  static const std::string* const s = new std::string(absl::StrCat(
      "WITH cred AS (SELECT ke_id, enrolee_id, expires_at FROM maf_credentials "
      "WHERE km_id = $1 AND NOT revoked AND expires_at > ",
      TS(2),
      " FOR SHARE), "
      "ins AS (INSERT INTO maf_clients (maf_client_reg_id, km_id, ke_id, enrolee_id, expires_at, "
      "created_at, state) SELECT $3, $1, ke_id, enrolee_id, LEAST(expires_at, ",
      TS(4), "), ", TS(2),
      ", 'active' FROM cred ON CONFLICT (km_id) WHERE state = 'active' DO NOTHING "
      "RETURNING maf_client_reg_id, km_id, ke_id, enrolee_id, expires_at, created_at, state, "
      "revoked_by, revoke_reason, revoked_at, labels), "
      "c AS (SELECT * FROM ins UNION ALL SELECT maf_client_reg_id, km_id, ke_id, enrolee_id, "
      "expires_at, created_at, state, revoked_by, revoke_reason, revoked_at, labels FROM "
      "maf_clients "
      "WHERE km_id = $1 AND state = 'active' AND NOT EXISTS (SELECT 1 FROM ins)) "
      "SELECT ",
      ClientColumns(2), ", (SELECT count(*) FROM cred) FROM c"));
  return *s;
}

// DecoyCredentialSql: the decoy write of WriteDecoyCredential (docs/protocol.md 7, "Identity
// privacy"): PutCredentialSql's statement aimed at maf_decoy_credentials, migration 0006's twin of
// maf_credentials (same columns, constraints and indexes), so a decoy costs the database (heap,
// indexes, WAL flushed at commit) and this process (one row decoded) what a stored credential
// costs, and stores nothing anybody reads (PgMafStore sweeps the twin). $1 and $2 are random
// identifiers of the real ones' length.
inline const std::string& DecoyCredentialSql() {
  static const std::string* const s = new std::string(CredentialInsertSql("maf_decoy_credentials"));
  return *s;
}

}  // namespace onem2m::maf::pg_rows

#endif  // ONEM2M_MAF_STORE_PG_MAF_ROWS_H_

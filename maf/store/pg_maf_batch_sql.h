// File: maf/store/pg_maf_batch_sql.h
//
// The group-committed first-contact writes of PgMafStore (pg_maf_writes.cc): one committer thread
// writes every queued PutCredential, WriteDecoyCredential and RegisterClient in one transaction,
// each kind with one statement over parallel arrays (unnest). Internal to maf/store.
#ifndef ONEM2M_MAF_STORE_PG_MAF_BATCH_SQL_H_
#define ONEM2M_MAF_STORE_PG_MAF_BATCH_SQL_H_

#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "maf/store/pg_maf_rows.h"

namespace onem2m::maf::pg_rows {

inline constexpr const char* kWriteCredentials = "maf_write_credentials";
inline constexpr const char* kCredentialsByKmIds = "maf_credentials_by_km_ids";
inline constexpr const char* kRegisterClients = "maf_register_clients";
inline constexpr const char* kActiveClientsByKmIds = "maf_active_clients_by_km_ids";
inline constexpr const char* kCredentialsLookupByKmId = "maf_credentials_lookup_by_km_id";
inline constexpr const char* kCredentialsLookupByKeId = "maf_credentials_lookup_by_ke_id";

// CredentialsLookupSql: the handshake's credential read (CredentialLookupSql) for an array of
// identities ($1) at once, one row per identity, stored or decoy alike (docs/protocol.md 7,
// "Identity privacy"); the looked-up identity is the last column.
inline std::string CredentialsLookupSql(absl::string_view key) {
  return CredentialLookupSql(key, "unnest($1::text[]) AS k(id)", ", k.id");
}
inline constexpr int kLookupKeyColumn = kCredentialFoundColumn + 1;

// TsColumn turns a column of whole microseconds into a timestamptz (TS does it for a parameter).
inline std::string TsColumn(absl::string_view col) {
  return absl::StrCat("('epoch'::timestamptz + ", col, " * interval '1 microsecond')");
}

// WriteCredentialsSql stores the batch's credentials and makes its decoy writes in one statement
// (docs/protocol.md 7, "Identity privacy"): every row, real or decoy, travels in the same arrays
// with the same fields; a real row ($9 false) is inserted, a decoy row is inserted and deleted
// again by maf_decoy_credential (see DecoyCredentialSql), so both cost a row insert. The input is
// MATERIALIZED so every decoy row is evaluated (a CTE row nobody reads is never computed). Real
// rows' conflicts do nothing: the rows stored under the km_ids are read afterwards
// (CredentialsByKmIdsSql), which tells "stored, or already there" from "ke_id under another
// km_id". Real rows are inserted in km_id order so two replicas' batches take their index locks in
// one order.
inline const std::string& WriteCredentialsSql() {
  static const std::string* const s = new std::string(absl::StrCat(
      "WITH input AS MATERIALIZED (SELECT t.*, CASE WHEN t.decoy THEN (SELECT count(*) FROM "
      "maf_decoy_credential(t.km_id, t.ke_id, decode(t.km_hex, 'hex'), t.kek_version, "
      "t.enrolee_id, t.mef_fqdn, ",
      TsColumn("t.expires_us"), ", ", TsColumn("t.created_us"),
      ")) END AS decoyed FROM unnest($1::text[], $2::text[], $3::text[], $4::int[], $5::text[], "
      "$6::text[], $7::bigint[], $8::bigint[], $9::bool[]) AS t(km_id, ke_id, km_hex, "
      "kek_version, enrolee_id, mef_fqdn, expires_us, created_us, decoy)), "
      "ins AS (INSERT INTO maf_credentials (km_id, ke_id, km_ciphertext, kek_version, "
      "enrolee_id, mef_fqdn, expires_at, created_at) SELECT km_id, ke_id, decode(km_hex, 'hex'), "
      "kek_version, enrolee_id, mef_fqdn, ",
      TsColumn("expires_us"), ", ", TsColumn("created_us"),
      " FROM input WHERE NOT decoy ORDER BY km_id ON CONFLICT DO NOTHING RETURNING 1) "
      "SELECT (SELECT count(*) FROM ins), (SELECT count(decoyed) FROM input)"));
  return *s;
}

// CredentialsByKmIdsSql reads the rows stored under $1's km_ids (every row of the batch's, decoy
// km_ids included: they match nothing but cost the same lookup).
inline const std::string& CredentialsByKmIdsSql() {
  static const std::string* const s = new std::string(absl::StrCat(
      "SELECT ", CredentialColumns(), " FROM maf_credentials WHERE km_id = ANY($1::text[])"));
  return *s;
}

// RegisterClientsSql registers, per row (km_id, new registration id, now, requested expiry), a
// client against a usable credential unless the km_id has an active registration (as
// RegisterClientSql does for one), and returns the km_ids whose credential was usable. The
// credentials are share-locked in km_id order (revocation locks them for update first, then the
// clients: the same order as everywhere). The registrations, new or existing, are read afterwards
// (ActiveClientsByKmIdsSql), since this statement's snapshot cannot see its own inserts.
inline const std::string& RegisterClientsSql() {
  static const std::string* const s = new std::string(absl::StrCat(
      "WITH input AS (SELECT * FROM unnest($1::text[], $2::text[], $3::bigint[], $4::bigint[]) "
      "AS t(km_id, reg_id, now_us, requested_us)), "
      "cred AS (SELECT i.km_id, i.reg_id, i.now_us, i.requested_us, m.ke_id, m.enrolee_id, "
      "m.expires_at FROM input i JOIN maf_credentials m ON m.km_id = i.km_id WHERE NOT m.revoked "
      "AND m.expires_at > ",
      TsColumn("i.now_us"),
      " ORDER BY i.km_id FOR SHARE OF m), "
      "ins AS (INSERT INTO maf_clients (maf_client_reg_id, km_id, ke_id, enrolee_id, expires_at, "
      "created_at, state) SELECT reg_id, km_id, ke_id, enrolee_id, LEAST(expires_at, ",
      TsColumn("requested_us"), "), ", TsColumn("now_us"),
      ", 'active' FROM cred ORDER BY km_id ON CONFLICT (km_id) WHERE state = 'active' DO NOTHING "
      "RETURNING 1) "
      "SELECT DISTINCT km_id, (SELECT count(*) FROM ins) FROM cred"));
  return *s;
}

// ActiveClientsByKmIdsSql: the active registrations of $1's km_ids, key counts at $2.
inline const std::string& ActiveClientsByKmIdsSql() {
  static const std::string* const s = new std::string(
      absl::StrCat("SELECT ", ClientColumns(2),
                   " FROM maf_clients c WHERE c.km_id = ANY($1::text[]) AND c.state = 'active'"));
  return *s;
}

}  // namespace onem2m::maf::pg_rows

#endif  // ONEM2M_MAF_STORE_PG_MAF_BATCH_SQL_H_

// File: maf/store/pg_maf_batch_sql.h
//
// The group-committed first-contact writes of PgMafStore (pg_maf_writes.cc): one committer thread
// writes every queued PutCredential, WriteDecoyCredential and RegisterClient with one call of a
// server-side function over parallel arrays (migration 0006), and the handshake's batched
// credential reads. Internal to maf/store.
#ifndef ONEM2M_MAF_STORE_PG_MAF_BATCH_SQL_H_
#define ONEM2M_MAF_STORE_PG_MAF_BATCH_SQL_H_

#include <string>

#include "absl/strings/string_view.h"
#include "maf/store/pg_maf_rows.h"

namespace onem2m::maf::pg_rows {

inline constexpr const char* kFirstContactWrites = "maf_first_contact_writes";
inline constexpr const char* kCredentialsLookupByKmId = "maf_credentials_lookup_by_km_id";

// CredentialsLookupSql: the handshake's credential read (CredentialLookupSql) for an array of
// identities ($1) at once, one row per identity, stored or decoy alike (docs/protocol.md 7,
// "Identity privacy"); the looked-up identity is the last column.
inline std::string CredentialsLookupSql(absl::string_view key) {
  return CredentialLookupSql(key, "unnest($1::text[]) AS k(id)", ", k.id");
}
inline constexpr int kLookupKeyColumn = kCredentialFoundColumn + 1;

// FirstContactWritesSql calls migration 0006's maf_first_contact_writes: a batch's credentials
// and decoys (parallel arrays $1 to $9, $9 the decoy flags), its registrations ($10 to $13) and
// the time for key counts ($14), in one autocommit statement. Each returned row's first column
// names its kind; the stored credential's columns follow (CredentialColumns' order), then the
// client's (ClientColumns' order).
inline const std::string& FirstContactWritesSql() {
  static const std::string* const s = new std::string(
      "SELECT * FROM maf_first_contact_writes($1::text[], $2::text[], $3::text[], $4::int[], "
      "$5::text[], $6::text[], $7::bigint[], $8::bigint[], $9::bool[], $10::text[], $11::text[], "
      "$12::bigint[], $13::bigint[], $14::bigint)");
  return *s;
}
inline constexpr int kWriteKindColumn = 0;
inline constexpr int kWriteCredentialFirst = 1;
inline constexpr int kWriteCredentialEnd = kWriteCredentialFirst + 11;
inline constexpr int kWriteClientFirst = kWriteCredentialEnd;
inline constexpr int kWriteClientEnd = kWriteClientFirst + 14;

}  // namespace onem2m::maf::pg_rows

#endif  // ONEM2M_MAF_STORE_PG_MAF_BATCH_SQL_H_

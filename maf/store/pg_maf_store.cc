#include "maf/store/pg_maf_store.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "common/crypto/key_id.h"
#include "common/kek/reseal_rows.h"
#include "common/paging/page_token.h"
#include "common/pg/keyset_page.h"
#include "common/pg/migrations.h"
#include "common/pg/status.h"
#include "maf/store/maf_migrations.h"
#include "pqxx/pqxx"

namespace onem2m {
namespace maf {
namespace {

// Times travel as whole microseconds since the epoch, so nothing is lost to floating point:
// TS(n) turns parameter $n into a timestamptz; US(col) turns a column back into microseconds.
std::string TS(int n) {
  return absl::StrCat("('epoch'::timestamptz + $", n, "::bigint * interval '1 microsecond')");
}
std::string US(absl::string_view col) {
  return absl::StrCat("(extract(epoch from ", col, ") * 1000000)::bigint");
}
int64_t Micros(absl::Time t) { return absl::ToUnixMicros(t); }
absl::Time FromMicros(const pqxx::field& f) { return absl::FromUnixMicros(f.as<int64_t>()); }

// Ciphertexts travel as hex (decode($n,'hex') / encode(col,'hex')): no binary-parameter handling in
// libpqxx 6 to get wrong. Target IDs travel newline-joined: ValidateTargetIds forbids whitespace.
std::string Hex(const std::string& bytes) { return crypto::HexUpper(bytes); }
std::string Unhex(const pqxx::field& f) {
  absl::StatusOr<std::string> raw = crypto::ParseHex(f.as<std::string>());
  return raw.ok() ? *raw : std::string();
}
std::string JoinTargets(const std::vector<std::string>& t) { return absl::StrJoin(t, "\n"); }
std::vector<std::string> SplitTargets(const pqxx::field& f) {
  return absl::StrSplit(f.as<std::string>(), '\n', absl::SkipEmpty());
}

const std::string& CredentialColumns() {
  static const std::string* const s = new std::string(absl::StrCat(
      "km_id, ke_id, encode(km_ciphertext, 'hex'), kek_version, enrolee_id, mef_fqdn, ",
      US("expires_at"), ", revoked, ", US("created_at"), ", COALESCE(last_transport, ''), ",
      US("last_handshake_at")));
  return *s;
}

MafCredential CredentialFromRow(const pqxx::row& r) {
  MafCredential c;
  c.km_id = r[0].as<std::string>();
  c.ke_id = r[1].as<std::string>();
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

std::optional<Revocation> RevocationFromRow(const pqxx::row& r, int first) {
  if (r[first + 2].is_null()) return std::nullopt;
  Revocation v;
  v.actor = r[first].is_null() ? "" : r[first].as<std::string>();
  v.reason = r[first + 1].is_null() ? "" : r[first + 1].as<std::string>();
  v.time = FromMicros(r[first + 2]);
  return v;
}

// ClientColumns(now_param): the client columns plus its active key count at $now_param.
std::string ClientColumns(int now_param) {
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

MafClient ClientFromRow(const pqxx::row& r) {
  MafClient c;
  c.maf_client_reg_id = r[0].as<std::string>();
  c.km_id = r[1].as<std::string>();
  c.ke_id = r[2].as<std::string>();
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

const std::string& KeyColumns() {
  static const std::string* const s = new std::string(
      absl::StrCat("key_id, relative_id, encode(key_ciphertext, 'hex'), kek_version, suid, ",
                   "array_to_string(target_ids, E'\\n'), maf_client_reg_id, km_id, client_id, ",
                   US("expires_at"), ", ", US("created_at"), ", ", US("updated_at"),
                   ", state, revoked_by, revoke_reason, ", US("revoked_at"),
                   ", array_to_string(labels, E'\\n')"));
  return *s;
}

MafKey KeyFromRow(const pqxx::row& r) {
  MafKey k;
  k.key_id = r[0].as<std::string>();
  k.relative_id = r[1].as<std::string>();
  k.key.ciphertext = Unhex(r[2]);
  k.key.kek_version = r[3].as<int32_t>();
  k.suid = static_cast<uint32_t>(r[4].as<int64_t>());
  k.target_ids = SplitTargets(r[5]);
  k.maf_client_reg_id = r[6].as<std::string>();
  k.km_id = r[7].as<std::string>();
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
std::string StateFilter(const std::optional<EffectiveState>& s) {
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
std::string StateCondition(absl::string_view a, int state_param, int now_param) {
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
std::string CredentialLookupSql(absl::string_view key) {
  return absl::StrCat(
      "SELECT coalesce(c.km_id, k.id), coalesce(c.ke_id, k.id), ",
      "coalesce(encode(c.km_ciphertext, 'hex'), repeat('00', 65)), coalesce(c.kek_version, 1), ",
      "coalesce(c.enrolee_id, 'C-decoy'), coalesce(c.mef_fqdn, 'decoy.invalid'), coalesce(",
      US("c.expires_at"), ", ", US("now()"), "), coalesce(c.revoked, false), coalesce(",
      US("c.created_at"), ", ", US("now()"), "), COALESCE(c.last_transport, ''), ",
      US("c.last_handshake_at"), ", c.km_id IS NOT NULL FROM (SELECT $1::text AS id) AS k ",
      "LEFT JOIN maf_credentials c ON c.", key, " = k.id");
}
constexpr int kCredentialFoundColumn = 11;

// Prepared statements of the first-contact path (PutCredential, RegisterClient).
constexpr const char* kPutCredential = "maf_put_credential";
constexpr const char* kRegisterClient = "maf_register_client";
constexpr const char* kDecoyCredential = "maf_decoy_credential";
constexpr int kUsableColumn = 14;  // RegisterClient: usable credentials (0 or 1), after the client

const std::string& PutCredentialSql() {
  // Insert, or return the row a racing replica stored under this km_id, keeping its revoked flag.
  // DO NOTHING on any conflict; a ke_id taken by another km_id shows up as no row.
  static const std::string* const s = new std::string(absl::StrCat(
      "WITH ins AS (INSERT INTO maf_credentials (km_id, ke_id, km_ciphertext, kek_version, "
      "enrolee_id, mef_fqdn, expires_at, created_at) VALUES ($1, $2, decode($3, 'hex'), $4, $5, "
      "$6, ",
      TS(7), ", ", TS(8), ") ON CONFLICT DO NOTHING RETURNING ", CredentialColumns(),
      ") SELECT * FROM ins UNION ALL SELECT ", CredentialColumns(),
      " FROM maf_credentials WHERE km_id = $1 AND NOT EXISTS (SELECT 1 FROM ins)"));
  return *s;
}

const std::string& RegisterClientSql() {
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

// DecoyCredentialSql: a transactional logical-decoding message carrying as many bytes as a new
// credential row (docs/protocol.md 7, "Identity privacy"). Like PutCredential's insert it takes a
// transaction id and commits a WAL record of about the row's size, flushed at commit; no table
// changes and no logical decoding plugin needs to read it (PostgreSQL drops the record then).
constexpr const char* kDecoyCredentialSql =
    "SELECT pg_logical_emit_message(true, 'onem2m-maf-decoy', decode($1, 'hex'))";

template <typename Fn>
absl::Status Guard(absl::string_view what, Fn&& fn) {
  try {
    return fn();
  } catch (...) {
    return pg::CurrentExceptionToStatus(what);
  }
}

}  // namespace

absl::StatusOr<std::unique_ptr<PgMafStore>> PgMafStore::Create(PgMafStoreOptions options) {
  if (!options.clock) options.clock = [] { return absl::Now(); };
  // The handshake path (credential by KmID / KeID) and Key Retrieval (key by id) are prepared on
  // every connection: they run for every device connection and every Target call. libpqxx 6
  // prepares lazily on first use, so the connection that runs the migrations is unaffected.
  options.pool.prepare.emplace_back("maf_credential_by_km_id", CredentialLookupSql("km_id"));
  options.pool.prepare.emplace_back("maf_credential_by_ke_id", CredentialLookupSql("ke_id"));
  options.pool.prepare.emplace_back(kPutCredential, PutCredentialSql());
  options.pool.prepare.emplace_back(kRegisterClient, RegisterClientSql());
  options.pool.prepare.emplace_back(kDecoyCredential, kDecoyCredentialSql);
  options.pool.prepare.emplace_back(
      "maf_key_by_id", absl::StrCat("SELECT ", KeyColumns(), " FROM maf_keys WHERE key_id = $1"));
  absl::StatusOr<std::unique_ptr<pg::ConnectionPool>> pool =
      pg::ConnectionPool::Create(std::move(options.pool));
  if (!pool.ok()) return pool.status();
  if (options.run_migrations) {
    absl::Status s = pg::RunMigrations(**pool, "maf", pg::MafMigrations());
    if (!s.ok()) return s;
  }
  return std::unique_ptr<PgMafStore>(new PgMafStore(std::move(*pool), std::move(options.clock)));
}

absl::Status PgMafStore::CheckHealth() { return pool_->Ping(); }

absl::StatusOr<MafCredential> PgMafStore::PutCredential(const MafCredential& credential) {
  absl::Status s = ValidateCredential(credential);
  if (!s.ok()) return s;
  MafCredential out;
  s = pool_->Run([&](pqxx::connection& c) {
    return Guard("put credential", [&]() -> absl::Status {
      // One autocommit statement (a first contact is on the handshake path); see PutCredentialSql.
      pqxx::nontransaction n(c);
      pqxx::result r = n.exec_prepared(kPutCredential, credential.km_id, credential.ke_id,
                                       Hex(credential.km.ciphertext), credential.km.kek_version,
                                       credential.enrolee_id, credential.mef_fqdn,
                                       Micros(credential.expires_at), Micros(clock_()));
      if (r.empty()) {
        // The statement's snapshot may predate a racing replica's commit: look once more.
        r = n.exec_params(
            absl::StrCat("SELECT ", CredentialColumns(), " FROM maf_credentials WHERE km_id = $1"),
            credential.km_id);
      }
      if (r.empty()) return absl::AlreadyExistsError("ke_id is stored under another km_id");
      out = CredentialFromRow(r[0]);
      return absl::OkStatus();
    });
  });
  if (!s.ok()) return s;
  return out;
}

absl::Status PgMafStore::WriteDecoyCredential(const MafCredential& decoy) {
  absl::Status s = ValidateCredential(decoy);
  if (!s.ok()) return s;
  // The row's fields as PutCredential sends them (hex ciphertext), so the payload is as large.
  const std::string payload =
      Hex(absl::StrCat(decoy.km_id, decoy.ke_id, Hex(decoy.km.ciphertext), decoy.enrolee_id,
                       decoy.mef_fqdn, Micros(decoy.expires_at), Micros(clock_())));
  return pool_->Run([&](pqxx::connection& c) {
    return Guard("put credential", [&]() -> absl::Status {
      pqxx::nontransaction n(c);
      n.exec_prepared(kDecoyCredential, payload);
      return absl::OkStatus();
    });
  });
}

absl::StatusOr<MafCredential> PgMafStore::GetCredential(const char* statement,
                                                        absl::string_view value) {
  std::optional<MafCredential> out;
  absl::Status s = pool_->RunRead([&](pqxx::connection& c) {
    return Guard("get credential", [&]() -> absl::Status {
      pqxx::nontransaction n(c);
      pqxx::result r = n.exec_prepared(statement, std::string(value));
      if (r.empty()) return absl::OkStatus();
      // A decoy row (see CredentialLookupSql) is decoded like a stored one, then dropped.
      MafCredential c = CredentialFromRow(r[0]);
      if (r[0][kCredentialFoundColumn].as<bool>()) out = std::move(c);
      return absl::OkStatus();
    });
  });
  if (!s.ok()) return s;
  if (!out.has_value() || out->expires_at <= clock_()) {
    return absl::NotFoundError("no such credential");
  }
  if (out->revoked) return absl::FailedPreconditionError("credential revoked");
  return *std::move(out);
}

absl::StatusOr<MafCredential> PgMafStore::GetCredentialByKmId(absl::string_view km_id) {
  return GetCredential("maf_credential_by_km_id", km_id);
}

absl::StatusOr<MafCredential> PgMafStore::GetCredentialByKeId(absl::string_view ke_id) {
  return GetCredential("maf_credential_by_ke_id", ke_id);
}

absl::Status PgMafStore::RecordHandshake(absl::string_view km_id, Transport transport) {
  const absl::Time now = clock_();
  return pool_->Run([&](pqxx::connection& c) {
    return Guard("record handshake", [&]() -> absl::Status {
      pqxx::work w(c);
      // The interval test in the WHERE clause makes most calls read-only (no row version).
      pqxx::result r =
          w.exec_params(absl::StrCat("UPDATE maf_credentials SET last_transport = NULLIF($2, ''), "
                                     "last_handshake_at = ",
                                     TS(3), " WHERE km_id = $1 AND (last_handshake_at IS NULL OR ",
                                     "last_handshake_at <= ", TS(4), ") RETURNING 1"),
                        std::string(km_id), std::string(TransportName(transport)), Micros(now),
                        Micros(now - kHandshakeRecordInterval));
      if (r.empty()) {
        pqxx::result exists =
            w.exec_params("SELECT 1 FROM maf_credentials WHERE km_id = $1", std::string(km_id));
        if (exists.empty()) return absl::NotFoundError("no such credential");
      }
      w.commit();
      return absl::OkStatus();
    });
  });
}

absl::StatusOr<std::vector<std::string>> PgMafStore::Revoke(const char* where,
                                                            absl::string_view value,
                                                            const Revocation& why) {
  std::vector<std::string> km_ids;
  const int64_t now = Micros(clock_());
  absl::Status s = pool_->Run([&](pqxx::connection& c) {
    return Guard("revoke", [&]() -> absl::Status {
      km_ids.clear();
      pqxx::work w(c);
      // Credential rows first (their row locks serialise with RegisterClient's FOR SHARE), then
      // the clients, then the keys: the same order everywhere, so no deadlocks.
      pqxx::result r = w.exec_params(
          absl::StrCat("UPDATE maf_credentials SET revoked = true, km_ciphertext = ''::bytea, "
                       "revoked_by = CASE WHEN revoked THEN revoked_by ELSE $3 END, "
                       "revoke_reason = CASE WHEN revoked THEN revoke_reason ELSE $4 END, "
                       "revoked_at = COALESCE(revoked_at, ",
                       TS(2), ") WHERE ", where, " = $1 RETURNING km_id"),
          std::string(value), now, why.actor, why.reason);
      for (const pqxx::row& row : r) km_ids.push_back(row[0].as<std::string>());
      if (km_ids.empty()) {
        w.commit();
        return absl::OkStatus();
      }
      const std::string joined = absl::StrJoin(km_ids, "\n");
      w.exec_params(absl::StrCat("UPDATE maf_clients SET state = 'revoked', revoked_by = $3, "
                                 "revoke_reason = $4, revoked_at = ",
                                 TS(2),
                                 " WHERE km_id = ANY(string_to_array($1, E'\\n')) AND state <> "
                                 "'revoked'"),
                    joined, now, why.actor, why.reason);
      w.exec_params(absl::StrCat("UPDATE maf_keys SET state = 'revoked', revoked_by = $3, "
                                 "revoke_reason = $4, revoked_at = ",
                                 TS(2), ", updated_at = ", TS(2),
                                 " WHERE km_id = ANY(string_to_array($1, E'\\n')) AND state <> "
                                 "'revoked'"),
                    joined, now, why.actor, why.reason);
      w.commit();
      return absl::OkStatus();
    });
  });
  if (!s.ok()) return s;
  return km_ids;
}

absl::StatusOr<std::vector<std::string>> PgMafStore::RevokeByKeId(absl::string_view ke_id,
                                                                  const Revocation& why) {
  return Revoke("ke_id", ke_id, why);
}

absl::StatusOr<std::vector<std::string>> PgMafStore::RevokeByEnroleeId(absl::string_view enrolee_id,
                                                                       const Revocation& why) {
  return Revoke("enrolee_id", enrolee_id, why);
}

absl::StatusOr<MafClient> PgMafStore::RegisterClient(absl::string_view km_id,
                                                     absl::Time requested_expiry) {
  std::optional<MafClient> out;
  const absl::Time now_t = clock_();
  if (requested_expiry <= now_t) return absl::InvalidArgumentError("expiry must be in the future");
  const int64_t now = Micros(now_t);
  // Far-future expiry requests are capped so the timestamp arithmetic stays in range.
  const int64_t requested =
      Micros(std::min(requested_expiry, absl::FromUnixSeconds(253402300799)));  // 9999-12-31
  absl::Status s = pool_->Run([&](pqxx::connection& c) {
    return Guard("register client", [&]() -> absl::Status {
      // One autocommit statement registers (idempotently per KmID) against a usable credential and
      // returns the active registration, new or existing, with the count of usable credentials.
      pqxx::nontransaction n(c);
      pqxx::result r =
          n.exec_prepared(kRegisterClient, std::string(km_id), now, NewClientRegId(), requested);
      if (!r.empty() && r[0][kUsableColumn].as<int64_t>() == 0) {
        return absl::FailedPreconditionError("no usable credential for this KmID");
      }
      if (r.empty()) {
        // No usable credential, or the statement's snapshot predates a racing replica's
        // registration: look once more.
        r = n.exec_params(
            absl::StrCat("SELECT ", ClientColumns(2),
                         " FROM maf_clients c WHERE c.km_id = $1 AND c.state = 'active'"),
            std::string(km_id), now);
        if (r.empty()) return absl::FailedPreconditionError("no usable credential for this KmID");
      }
      out = ClientFromRow(r[0]);
      return absl::OkStatus();
    });
  });
  if (!s.ok()) return s;
  return *std::move(out);
}

absl::StatusOr<MafClient> PgMafStore::GetClientWhere(const std::string& where,
                                                     absl::string_view value, bool active_only) {
  std::optional<MafClient> out;
  const int64_t now = Micros(clock_());
  absl::Status s = pool_->RunRead([&](pqxx::connection& c) {
    return Guard("get client", [&]() -> absl::Status {
      pqxx::nontransaction n(c);
      std::string sql =
          absl::StrCat("SELECT ", ClientColumns(2), " FROM maf_clients c WHERE ", where);
      if (active_only) absl::StrAppend(&sql, " AND c.state = 'active' AND c.expires_at > ", TS(2));
      absl::StrAppend(&sql, " ORDER BY c.created_at DESC, c.maf_client_reg_id DESC LIMIT 1");
      pqxx::result r = n.exec_params(sql, std::string(value), now);
      if (!r.empty()) out = ClientFromRow(r[0]);
      return absl::OkStatus();
    });
  });
  if (!s.ok()) return s;
  if (!out.has_value()) {
    return absl::NotFoundError(active_only ? "no active client registration" : "no such client");
  }
  return *std::move(out);
}

absl::StatusOr<MafClient> PgMafStore::GetActiveClientByKmId(absl::string_view km_id) {
  return GetClientWhere("c.km_id = $1", km_id, /*active_only=*/true);
}

absl::StatusOr<MafClient> PgMafStore::GetClient(absl::string_view maf_client_reg_id) {
  return GetClientWhere("c.maf_client_reg_id = $1", maf_client_reg_id, false);
}

absl::StatusOr<MafClient> PgMafStore::GetLatestClientByKmId(absl::string_view km_id) {
  return GetClientWhere("c.km_id = $1", km_id, false);
}

absl::StatusOr<MafClient> PgMafStore::UpdateClient(absl::string_view maf_client_reg_id,
                                                   absl::string_view km_id,
                                                   const ClientUpdate& update) {
  if (update.labels.has_value()) {
    absl::Status s = ValidateLabels(*update.labels);
    if (!s.ok()) return s;
  }
  const absl::Time now_t = clock_();
  if (update.expires_at.has_value() && *update.expires_at <= now_t) {
    return absl::InvalidArgumentError("expiry must be in the future");
  }
  const int64_t now = Micros(now_t);
  absl::Status s = pool_->Run([&](pqxx::connection& c) {
    return Guard("update client", [&]() -> absl::Status {
      pqxx::work w(c);
      // FOR UPDATE serialises with key registration's FOR SHARE on the same row.
      pqxx::result r = w.exec_params(
          absl::StrCat("SELECT c.km_id, ", US("m.expires_at"),
                       " FROM maf_clients c JOIN maf_credentials m ON m.km_id = c.km_id "
                       "WHERE c.maf_client_reg_id = $1 AND c.state = 'active' AND c.expires_at > ",
                       TS(2), " FOR UPDATE OF c"),
          std::string(maf_client_reg_id), now);
      if (r.empty()) return absl::NotFoundError("no active client registration");
      if (r[0][0].as<std::string>() != km_id) {
        return absl::PermissionDeniedError("registration of another Km");
      }
      if (update.expires_at.has_value()) {
        const int64_t cap =
            std::min(r[0][1].as<int64_t>(),
                     Micros(std::min(*update.expires_at, absl::FromUnixSeconds(253402300799))));
        w.exec_params(absl::StrCat("UPDATE maf_clients SET expires_at = ", TS(2),
                                   " WHERE maf_client_reg_id = $1"),
                      std::string(maf_client_reg_id), cap);
        w.exec_params(
            absl::StrCat("UPDATE maf_keys SET expires_at = ", TS(2), ", updated_at = ", TS(3),
                         " WHERE maf_client_reg_id = $1 AND state = 'active' AND "
                         "expires_at > ",
                         TS(2)),
            std::string(maf_client_reg_id), cap, now);
      }
      if (update.labels.has_value()) {
        w.exec_params(
            "UPDATE maf_clients SET labels = string_to_array($2, E'\\n') "
            "WHERE maf_client_reg_id = $1",
            std::string(maf_client_reg_id), JoinTargets(*update.labels));
      }
      w.commit();
      return absl::OkStatus();
    });
  });
  if (!s.ok()) return s;
  return GetClient(maf_client_reg_id);
}

absl::Status PgMafStore::DeregisterClient(absl::string_view maf_client_reg_id) {
  const int64_t now = Micros(clock_());
  return pool_->Run([&](pqxx::connection& c) {
    return Guard("deregister client", [&]() -> absl::Status {
      pqxx::work w(c);
      pqxx::result r = w.exec_params(
          "UPDATE maf_clients SET state = 'deregistered' WHERE maf_client_reg_id = $1 AND state = "
          "'active' RETURNING 1",
          std::string(maf_client_reg_id));
      if (r.empty()) return absl::NotFoundError("no active client registration");
      w.exec_params(absl::StrCat("UPDATE maf_keys SET state = 'deregistered', updated_at = ", TS(2),
                                 " WHERE maf_client_reg_id = $1 AND state = 'active'"),
                    std::string(maf_client_reg_id), now);
      w.commit();
      return absl::OkStatus();
    });
  });
}

absl::StatusOr<MafClient> PgMafStore::RevokeClient(absl::string_view maf_client_reg_id,
                                                   const Revocation& why) {
  absl::StatusOr<MafClient> client = GetClient(maf_client_reg_id);
  if (!client.ok()) return client.status();
  // Revoking the client's credential revokes every registration of that Km and their keys.
  absl::StatusOr<std::vector<std::string>> revoked = Revoke("km_id", client->km_id, why);
  if (!revoked.ok()) return revoked.status();
  return GetClient(maf_client_reg_id);
}

absl::StatusOr<MafKey> PgMafStore::RegisterKey(const MafKey& key) {
  absl::Status s = ValidateNewKey(key);
  if (!s.ok()) return s;
  std::optional<MafKey> out;
  const int64_t now = Micros(clock_());
  s = pool_->Run([&](pqxx::connection& c) {
    return Guard("register key", [&]() -> absl::Status {
      pqxx::work w(c);
      // FOR SHARE holds off a concurrent revocation or de-registration of the client until this
      // key is in, so the revocation then catches it.
      pqxx::result cl = w.exec_params(
          absl::StrCat("SELECT km_id, enrolee_id, ", US("expires_at"),
                       " FROM maf_clients WHERE maf_client_reg_id = $1 AND state = 'active' AND "
                       "expires_at > ",
                       TS(2), " FOR SHARE"),
          key.maf_client_reg_id, now);
      if (cl.empty()) return absl::FailedPreconditionError("client is not registered");
      if (Micros(key.expires_at) > cl[0][2].as<int64_t>()) {
        return absl::InvalidArgumentError("key expiry after the client's expiry");
      }
      pqxx::result r = w.exec_params(
          absl::StrCat("INSERT INTO maf_keys (key_id, relative_id, key_ciphertext, kek_version, "
                       "suid, target_ids, maf_client_reg_id, km_id, client_id, expires_at, "
                       "created_at, updated_at, state, labels) VALUES ($1, $2, decode($3, 'hex'), "
                       "$4, $5, string_to_array($6, E'\\n'), $7, $8, $9, ",
                       TS(10), ", ", TS(11), ", ", TS(11),
                       ", 'active', string_to_array($12, E'\\n')) ON CONFLICT (key_id) DO NOTHING "
                       "RETURNING ",
                       KeyColumns()),
          key.key_id, key.relative_id, Hex(key.key.ciphertext), key.key.kek_version,
          static_cast<int64_t>(key.suid), JoinTargets(key.target_ids), key.maf_client_reg_id,
          cl[0][0].as<std::string>(), cl[0][1].as<std::string>(), Micros(key.expires_at), now,
          JoinTargets(key.labels));
      if (r.empty()) return absl::AlreadyExistsError("key_id already registered");
      w.commit();
      out = KeyFromRow(r[0]);
      return absl::OkStatus();
    });
  });
  if (!s.ok()) return s;
  return *std::move(out);
}

absl::StatusOr<MafKey> PgMafStore::GetKey(absl::string_view key_id) {
  std::optional<MafKey> out;
  absl::Status s = pool_->RunRead([&](pqxx::connection& c) {
    return Guard("get key", [&]() -> absl::Status {
      pqxx::nontransaction n(c);
      pqxx::result r = n.exec_prepared("maf_key_by_id", std::string(key_id));
      if (!r.empty()) out = KeyFromRow(r[0]);
      return absl::OkStatus();
    });
  });
  if (!s.ok()) return s;
  if (!out.has_value()) return absl::NotFoundError("no such key");
  return *std::move(out);
}

absl::StatusOr<MafKey> PgMafStore::GetActiveKey(absl::string_view key_id) {
  absl::StatusOr<MafKey> k = GetKey(key_id);
  if (!k.ok()) return k.status();
  if (EffectiveKeyState(*k, clock_()) != EffectiveState::kActive) {
    return absl::NotFoundError("no such key");
  }
  return k;
}

absl::StatusOr<MafKey> PgMafStore::ChangeOwnedKey(absl::string_view key_id,
                                                  absl::string_view reg_id,
                                                  const KeyUpdate* update) {
  if (update != nullptr && update->target_ids.has_value()) {
    absl::Status s = ValidateTargetIds(*update->target_ids);
    if (!s.ok()) return s;
  }
  if (update != nullptr && update->labels.has_value()) {
    absl::Status s = ValidateLabels(*update->labels);
    if (!s.ok()) return s;
  }
  if (update != nullptr && update->key.has_value() && update->key->ciphertext.empty()) {
    return absl::InvalidArgumentError("sealed key must not be empty");
  }
  std::optional<MafKey> out;
  const absl::Time now_t = clock_();
  const int64_t now = Micros(now_t);
  absl::Status s = pool_->Run([&](pqxx::connection& c) {
    return Guard("change key", [&]() -> absl::Status {
      pqxx::work w(c);
      pqxx::result r = w.exec_params(
          absl::StrCat("SELECT ", KeyColumns(), ", (SELECT ", US("c.expires_at"),
                       " FROM maf_clients c WHERE c.maf_client_reg_id = maf_keys.maf_client_reg_id)"
                       " FROM maf_keys WHERE key_id = $1 FOR UPDATE"),
          std::string(key_id));
      if (r.empty()) return absl::NotFoundError("no such key");
      MafKey k = KeyFromRow(r[0]);
      if (EffectiveKeyState(k, now_t) != EffectiveState::kActive) {
        return absl::NotFoundError("no such key");
      }
      if (k.maf_client_reg_id != reg_id) {
        return absl::PermissionDeniedError("key registered by another client");
      }
      if (update == nullptr) {
        w.exec_params(absl::StrCat("UPDATE maf_keys SET state = 'deregistered', updated_at = ",
                                   TS(2), " WHERE key_id = $1"),
                      std::string(key_id), now);
        w.commit();
        return absl::OkStatus();
      }
      if (update->expires_at.has_value()) {
        if (*update->expires_at == absl::InfinitePast() ||
            Micros(*update->expires_at) > r[0][17].as<int64_t>()) {
          return absl::InvalidArgumentError("key expiry after the client's expiry");
        }
        k.expires_at = *update->expires_at;
      }
      if (update->target_ids.has_value()) k.target_ids = *update->target_ids;
      if (update->suid.has_value()) k.suid = *update->suid;
      if (update->key.has_value()) k.key = *update->key;
      if (update->labels.has_value()) k.labels = *update->labels;
      pqxx::result u = w.exec_params(
          absl::StrCat("UPDATE maf_keys SET key_ciphertext = decode($2, 'hex'), kek_version = $3, "
                       "suid = $4, target_ids = string_to_array($5, E'\\n'), expires_at = ",
                       TS(6), ", updated_at = ", TS(7),
                       ", labels = string_to_array($8, E'\\n') WHERE key_id = $1 RETURNING ",
                       KeyColumns()),
          std::string(key_id), Hex(k.key.ciphertext), k.key.kek_version,
          static_cast<int64_t>(k.suid), JoinTargets(k.target_ids), Micros(k.expires_at), now,
          JoinTargets(k.labels));
      w.commit();
      out = KeyFromRow(u[0]);
      return absl::OkStatus();
    });
  });
  if (!s.ok()) return s;
  if (!out.has_value()) return MafKey();
  return *std::move(out);
}

absl::StatusOr<MafKey> PgMafStore::UpdateKey(absl::string_view key_id,
                                             absl::string_view maf_client_reg_id,
                                             const KeyUpdate& update) {
  return ChangeOwnedKey(key_id, maf_client_reg_id, &update);
}

absl::Status PgMafStore::DeregisterKey(absl::string_view key_id,
                                       absl::string_view maf_client_reg_id) {
  return ChangeOwnedKey(key_id, maf_client_reg_id, nullptr).status();
}

absl::StatusOr<MafKey> PgMafStore::RevokeKey(absl::string_view key_id, const Revocation& why) {
  const int64_t now = Micros(clock_());
  absl::Status s = pool_->Run([&](pqxx::connection& c) {
    return Guard("revoke key", [&]() -> absl::Status {
      pqxx::work w(c);
      w.exec_params(absl::StrCat("UPDATE maf_keys SET state = 'revoked', revoked_by = $3, "
                                 "revoke_reason = $4, revoked_at = ",
                                 TS(2), ", updated_at = ", TS(2),
                                 " WHERE key_id = $1 AND state <> 'revoked'"),
                    std::string(key_id), now, why.actor, why.reason);
      w.commit();
      return absl::OkStatus();
    });
  });
  if (!s.ok()) return s;
  return GetKey(key_id);
}

absl::StatusOr<ListClientsResponse> PgMafStore::ListClients(const ListClientsRequest& request) {
  const std::string state = StateFilter(request.state);
  const std::string filter = absl::StrCat("clients|", state, "|", request.client_id);
  absl::StatusOr<std::string> after = paging::DecodePageToken(request.page_token, filter);
  if (!after.ok()) return after.status();
  const int limit = paging::ClampPageSize(request.page_size);
  const int64_t now = Micros(clock_());
  ListClientsResponse out;
  absl::Status s = pool_->RunRead([&](pqxx::connection& c) {
    return Guard("list clients", [&]() -> absl::Status {
      out.clients.clear();
      out.next_page_token.clear();
      pqxx::nontransaction n(c);
      pqxx::result r = n.exec_params(
          absl::StrCat("SELECT ", ClientColumns(2),
                       " FROM maf_clients c WHERE c.maf_client_reg_id > $1 AND ($3 = '' OR "
                       "c.enrolee_id = $3) AND ",
                       StateCondition("c", 4, 2), " ORDER BY c.maf_client_reg_id LIMIT $5"),
          *after, now, request.client_id, state, limit + 1);
      absl::StatusOr<std::string> next = pg::TakePage(
          r, limit, ClientFromRow, [](const MafClient& c) { return c.maf_client_reg_id; },
          &out.clients);
      if (!next.ok()) return next.status();
      out.next_page_token = paging::EncodePageToken(filter, *next);
      return absl::OkStatus();
    });
  });
  if (!s.ok()) return s;
  return out;
}

absl::StatusOr<ListKeysResponse> PgMafStore::ListKeys(const ListKeysRequest& request) {
  const std::string state = StateFilter(request.state);
  const std::string filter =
      absl::StrCat("keys|", state, "|", request.maf_client_reg_id, "|", request.target_id);
  absl::StatusOr<std::string> after = paging::DecodePageToken(request.page_token, filter);
  if (!after.ok()) return after.status();
  const int limit = paging::ClampPageSize(request.page_size);
  const int64_t now = Micros(clock_());
  ListKeysResponse out;
  absl::Status s = pool_->RunRead([&](pqxx::connection& c) {
    return Guard("list keys", [&]() -> absl::Status {
      out.keys.clear();
      out.next_page_token.clear();
      pqxx::nontransaction n(c);
      pqxx::result r = n.exec_params(
          absl::StrCat(
              "SELECT ", KeyColumns(),
              " FROM maf_keys k WHERE k.key_id > $1 AND ($3 = '' OR "
              "k.maf_client_reg_id = $3) AND ($4 = '' OR k.target_ids @> ARRAY[$4]::text[])"
              " AND ",
              StateCondition("k", 5, 2), " ORDER BY k.key_id LIMIT $6"),
          *after, now, request.maf_client_reg_id, request.target_id, state, limit + 1);
      absl::StatusOr<std::string> next = pg::TakePage(
          r, limit, KeyFromRow, [](const MafKey& k) { return k.key_id; }, &out.keys);
      if (!next.ok()) return next.status();
      out.next_page_token = paging::EncodePageToken(filter, *next);
      return absl::OkStatus();
    });
  });
  if (!s.ok()) return s;
  return out;
}

// Rows with a sealed value: a revoked credential's Km is wiped to '' and has nothing to re-seal.
constexpr const char* kCountKekVersionsSql =
    "SELECT 0, kek_version, count(*) FROM maf_credentials WHERE octet_length(km_ciphertext) > 0 "
    "GROUP BY kek_version UNION ALL SELECT 1, kek_version, count(*) FROM maf_keys "
    "WHERE octet_length(key_ciphertext) > 0 GROUP BY kek_version ORDER BY 1, 2";

absl::StatusOr<std::vector<KekVersionCount>> PgMafStore::CountKekVersions() {
  std::vector<KekVersionCount> out;
  absl::Status s = pool_->RunRead([&](pqxx::connection& c) {
    return Guard("count kek versions", [&]() -> absl::Status {
      out.clear();
      pqxx::read_transaction w(c);  // one snapshot for both tables
      for (const pqxx::row& row : w.exec(kCountKekVersionsSql)) {
        out.push_back(KekVersionCount{
            row[0].as<int>() == 0 ? SealedColumn::kCredentialKm : SealedColumn::kKeyValue,
            row[1].as<int32_t>(), row[2].as<int64_t>()});
      }
      w.commit();
      return absl::OkStatus();
    });
  });
  if (!s.ok()) return s;
  return out;
}

absl::StatusOr<RewrapResult> PgMafStore::RewrapBatch(int32_t target_version, int limit,
                                                     const Resealer& reseal) {
  limit = std::clamp(limit, 1, 10000);
  std::vector<kek::PendingRow<SealedColumn, SealedKey>> batch;
  // Read the batch in autocommit mode: no transaction is held while re-sealing. The kek_version
  // indexes of 0001_create_maf_tables.sql keep the scan short.
  absl::Status s = pool_->Run([&](pqxx::connection& c) {
    return Guard("rewrap: read batch", [&]() -> absl::Status {
      batch.clear();
      pqxx::nontransaction w(c);
      pqxx::result r = w.exec_params(
          "SELECT km_id, encode(km_ciphertext, 'hex'), kek_version FROM maf_credentials "
          "WHERE kek_version <> $1 AND octet_length(km_ciphertext) > 0 LIMIT $2",
          target_version, limit);
      for (const pqxx::row& row : r) {
        batch.push_back({SealedColumn::kCredentialKm, row[0].as<std::string>(),
                         SealedKey{Unhex(row[1]), row[2].as<int32_t>()}});
      }
      const int rest = limit - static_cast<int>(batch.size());
      if (rest > 0) {
        r = w.exec_params(
            "SELECT key_id, encode(key_ciphertext, 'hex'), kek_version FROM maf_keys "
            "WHERE kek_version <> $1 AND octet_length(key_ciphertext) > 0 LIMIT $2",
            target_version, rest);
        for (const pqxx::row& row : r) {
          batch.push_back({SealedColumn::kKeyValue, row[0].as<std::string>(),
                           SealedKey{Unhex(row[1]), row[2].as<int32_t>()}});
        }
      }
      return absl::OkStatus();
    });
  });
  if (!s.ok()) return s;
  absl::StatusOr<kek::RewrapCounts> n = kek::ResealRows(
      batch, reseal,
      [this](const kek::PendingRow<SealedColumn, SealedKey>& p,
             const SealedKey& fresh) -> absl::StatusOr<bool> {
        int64_t updated = 0;
        absl::Status s = pool_->Run([&](pqxx::connection& c) {
          return Guard("rewrap: update row", [&]() -> absl::Status {
            pqxx::nontransaction w(c);
            // Optimistic check: only if the row still holds the blob that was re-sealed.
            pqxx::result r = w.exec_params(
                p.column == SealedColumn::kCredentialKm
                    ? "UPDATE maf_credentials SET km_ciphertext = decode($2, 'hex'), "
                      "kek_version = $3 WHERE km_id = $1 AND km_ciphertext = decode($4, 'hex')"
                    : "UPDATE maf_keys SET key_ciphertext = decode($2, 'hex'), kek_version = $3 "
                      "WHERE key_id = $1 AND key_ciphertext = decode($4, 'hex')",
                p.id, Hex(fresh.ciphertext), fresh.kek_version, Hex(p.old.ciphertext));
            updated = r.affected_rows();
            return absl::OkStatus();
          });
        });
        if (!s.ok()) return s;
        return updated == 1;
      });
  if (!n.ok()) return n.status();
  RewrapResult result;
  result.rewrapped = n->rewrapped;
  result.raced = n->raced;
  absl::StatusOr<std::vector<KekVersionCount>> counts = CountKekVersions();
  if (!counts.ok()) return counts.status();
  for (const KekVersionCount& c : *counts) {
    if (c.kek_version != target_version) result.left += c.rows;
  }
  return result;
}

}  // namespace maf
}  // namespace onem2m

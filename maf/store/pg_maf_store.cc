// PgMafStore: creation, health and the handshake's credentials (docs/protocol.md 7).
#include "maf/store/pg_maf_store.h"

#include <pthread.h>

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/synchronization/notification.h"
#include "common/crypto/key_id.h"
#include "common/kek/reseal_rows.h"
#include "common/paging/page_token.h"
#include "common/pg/array_literal.h"
#include "common/pg/keyset_page.h"
#include "common/pg/migrations.h"
#include "common/pg/status.h"
#include "maf/store/maf_migrations.h"
#include "maf/store/pg_maf_batch_sql.h"
#include "maf/store/pg_maf_rows.h"
#include "pqxx/pqxx"

namespace onem2m {
namespace maf {

using namespace pg_rows;  // NOLINT(build/namespaces): this store's own SQL and row helpers

absl::StatusOr<std::unique_ptr<PgMafStore>> PgMafStore::Create(PgMafStoreOptions options) {
  if (options.clock == nullptr) options.clock = Clock::Real();
  // The handshake path (credential by KmID) and Key Retrieval (key by id) are prepared on every
  // connection: they run for every device connection and every Target call. libpqxx 6 prepares
  // lazily on first use, so the connection that runs the migrations is unaffected.
  options.pool.prepare.emplace_back("maf_credential_by_km_id", CredentialLookupSql("km_id"));
  options.pool.prepare.emplace_back("maf_credential_by_ke_id", CredentialLookupSql("ke_id"));
  options.pool.prepare.emplace_back(kPutCredential, PutCredentialSql());
  options.pool.prepare.emplace_back(kRegisterClient, RegisterClientSql());
  options.pool.prepare.emplace_back(kDecoyCredential, DecoyCredentialSql());
  options.pool.prepare.emplace_back(kCredentialsLookupByKmId, CredentialsLookupSql("km_id"));
  options.pool.prepare.emplace_back(kFirstContactWrites, FirstContactWritesSql());
  options.pool.prepare.emplace_back(
      "maf_key_by_id", absl::StrCat("SELECT ", KeyColumns(), " FROM maf_keys WHERE key_id = $1"));
  absl::StatusOr<std::unique_ptr<pg::ConnectionPool>> pool =
      pg::ConnectionPool::Create(std::move(options.pool));
  if (!pool.ok()) return pool.status();
  if (options.run_migrations) {
    absl::Status s = pg::RunMigrations(**pool, "maf", pg::MafMigrations());
    if (!s.ok()) return s;
  }
  return std::unique_ptr<PgMafStore>(new PgMafStore(std::move(*pool), options.clock, options));
}

PgMafStore::PgMafStore(std::unique_ptr<pg::ConnectionPool> pool, const Clock* clock,
                       const PgMafStoreOptions& options)
    : pool_(std::move(pool)), clock_(clock), batch_lone_writes_(options.batch_lone_writes) {
  if (options.group_commit) {
    pg::GroupCommitOptions writes = options.writes;
    writes.thread_name = "maf-commit";
    writer_ =
        std::make_unique<Writer>(writes, [this](std::vector<Write>& b) { return WriteBatch(b); });
  }
  if (options.batch_reads) {
    auto fetch = [this](const char* statement) {
      return [this, statement](const std::vector<std::string>& keys,
                               absl::flat_hash_map<std::string, LookedUp>* found) {
        return FetchCredentials(statement, keys, found);
      };
    };
    pg::AsyncBatchReaderOptions reads = options.credential_reads;
    reads.thread_name = "maf-read-kmid";
    by_km_id_ = std::make_unique<Reader>(reads, fetch(kCredentialsLookupByKmId));
    // No batched reader by KeID: since the resolver stopped reading the store before a KeID's
    // fetch (km_resolver_flights.cc), only admin and tests read by KeID, one SELECT per call.
  }
  if (options.decoy_retention > absl::ZeroDuration()) {
    const absl::Duration retention = options.decoy_retention;
    sweeper_ = std::thread([this, retention] {
      pthread_setname_np(pthread_self(), "maf-decoy-sweep");
      const absl::Duration every = std::min(retention / 2, absl::Minutes(1));
      while (!stop_sweeping_.WaitForNotificationWithTimeout(every)) {
        // A failure (the database away) is retried at the next turn; the rows only wait longer.
        (void)SweepDecoyCredentials(clock_->Now() - retention);
      }
    });
  }
}

PgMafStore::~PgMafStore() {
  stop_sweeping_.Notify();
  if (sweeper_.joinable()) sweeper_.join();
}

absl::StatusOr<int64_t> PgMafStore::SweepDecoyCredentials(absl::Time cutoff) {
  int64_t deleted = 0;
  absl::Status s = pool_->Run("sweep decoy credentials", [&](pqxx::connection& c) -> absl::Status {
    pqxx::nontransaction n(c);
    pqxx::result r =
        n.exec_params(absl::StrCat("DELETE FROM maf_decoy_credentials WHERE created_at < ", TS(1)),
                      Micros(cutoff));
    deleted = r.affected_rows();
    return absl::OkStatus();
  });
  if (!s.ok()) return s;
  return deleted;
}

absl::Status PgMafStore::CheckHealth() { return pool_->Ping(); }

absl::StatusOr<MafCredential> PgMafStore::GetCredential(const char* statement,
                                                        absl::string_view value) {
  std::optional<MafCredential> out;
  Reader* reader =
      statement == std::string_view("maf_credential_by_km_id") ? by_km_id_.get() : nullptr;
  if (reader != nullptr) {
    absl::StatusOr<std::optional<MafCredential>> read = ReadCredential(*reader, value);
    if (!read.ok()) return read.status();
    out = *std::move(read);
  } else {
    absl::Status s = pool_->RunRead("get credential", [&](pqxx::connection& c) -> absl::Status {
      pqxx::nontransaction n(c);
      pqxx::result r = n.exec_prepared(statement, std::string(value));
      if (r.empty()) return absl::OkStatus();
      // A decoy row (see CredentialLookupSql) is decoded like a stored one, then dropped.
      MafCredential row = CredentialFromRow(r[0]);
      if (r[0][kCredentialFoundColumn].as<bool>()) out = std::move(row);
      return absl::OkStatus();
    });
    if (!s.ok()) return s;
  }
  if (!out.has_value() || out->expires_at <= clock_->Now()) {
    return absl::NotFoundError("no such credential");
  }
  if (out->revoked) return absl::FailedPreconditionError("credential revoked");
  return *std::move(out);
}

absl::StatusOr<std::optional<MafCredential>> PgMafStore::ReadCredential(Reader& reader,
                                                                        absl::string_view key) {
  absl::Notification answered;
  absl::StatusOr<std::optional<LookedUp>> got;
  reader.Get(key, [&](absl::StatusOr<std::optional<LookedUp>> r) {
    got = std::move(r);
    answered.Notify();
  });
  answered.WaitForNotification();
  if (!got.ok()) return got.status();
  // Every identity comes back with a row, the decoys too (CredentialsLookupSql).
  if (!got->has_value() || !(*got)->found) return std::optional<MafCredential>();
  return std::optional<MafCredential>(std::move((*got)->credential));
}

absl::Status PgMafStore::FetchCredentials(const char* statement,
                                          const std::vector<std::string>& keys,
                                          absl::flat_hash_map<std::string, LookedUp>* found) {
  const std::string array = pg::TextArrayLiteral(keys);
  return pool_->RunRead("get credentials", [&](pqxx::connection& c) -> absl::Status {
    found->clear();
    pqxx::nontransaction n(c);
    pqxx::result r = n.exec_prepared(statement, array);
    for (const pqxx::row& row : r) {
      // Stored rows and decoys are decoded alike; the caller drops the decoys.
      LookedUp v;
      v.credential = CredentialFromRow(row);
      v.found = row[kCredentialFoundColumn].as<bool>();
      (*found)[row[kLookupKeyColumn].as<std::string>()] = std::move(v);
    }
    return absl::OkStatus();
  });
}

absl::StatusOr<MafCredential> PgMafStore::GetCredentialByKmId(const crypto::KeyId& km_id) {
  return GetCredential("maf_credential_by_km_id", km_id.ToString());
}

absl::StatusOr<MafCredential> PgMafStore::GetCredentialByKeId(const crypto::KeyId& ke_id) {
  return GetCredential("maf_credential_by_ke_id", ke_id.ToString());
}

absl::Status PgMafStore::RecordHandshake(const crypto::KeyId& km_id, Transport transport) {
  absl::StatusOr<int64_t> noted = WriteHandshakeNotes({{km_id, transport, clock_->Now()}});
  if (!noted.ok()) return noted.status();
  if (*noted > 0) return absl::OkStatus();
  // Nothing written: within the interval of the stored note (OK), or no such credential.
  bool exists = false;
  absl::Status s = pool_->Run("record handshake", [&](pqxx::connection& c) -> absl::Status {
    pqxx::nontransaction n(c);
    exists =
        !n.exec_params("SELECT 1 FROM maf_credentials WHERE km_id = $1", km_id.ToString()).empty();
    return absl::OkStatus();
  });
  if (!s.ok()) return s;
  return exists ? absl::OkStatus() : absl::NotFoundError("no such credential");
}

absl::Status PgMafStore::RecordHandshakes(const std::vector<HandshakeRecord>& records) {
  return WriteHandshakeNotes(records).status();
}

absl::StatusOr<int64_t> PgMafStore::WriteHandshakeNotes(
    const std::vector<HandshakeRecord>& records) {
  if (records.empty()) return 0;
  std::vector<std::string> km_ids, transports, at_us;
  km_ids.reserve(records.size());
  transports.reserve(records.size());
  at_us.reserve(records.size());
  for (const HandshakeRecord& r : records) {
    km_ids.push_back(r.km_id.ToString());
    transports.push_back(std::string(TransportName(r.transport)));
    at_us.push_back(absl::StrCat(Micros(r.at)));
  }
  const int64_t interval_us = absl::ToInt64Microseconds(kHandshakeRecordInterval);
  int64_t written = 0;
  absl::Status s = pool_->Run("record handshakes", [&](pqxx::connection& c) -> absl::Status {
    pqxx::nontransaction n(c);
    // Rows due a note are locked in km_id order, skipping any a revocation or another replica
    // holds (maf_store.h): one statement, never a wait and never a deadlock.
    pqxx::result r = n.exec_params(
        "WITH input AS (SELECT * FROM unnest($1::text[], $2::text[], $3::bigint[]) "
        "    AS t(km_id, transport, at_us)), "
        "due AS (SELECT m.km_id, i.transport, i.at_us FROM maf_credentials m "
        "    JOIN input i ON m.km_id = i.km_id "
        "    WHERE m.last_handshake_at IS NULL OR m.last_handshake_at <= "
        "      'epoch'::timestamptz + (i.at_us - $4) * interval '1 microsecond' "
        "    ORDER BY m.km_id FOR UPDATE OF m SKIP LOCKED) "
        "UPDATE maf_credentials m SET last_transport = NULLIF(due.transport, ''), "
        "    last_handshake_at = 'epoch'::timestamptz + due.at_us * interval '1 microsecond' "
        "FROM due WHERE m.km_id = due.km_id",
        pg::TextArrayLiteral(km_ids), pg::TextArrayLiteral(transports), pg::TextArrayLiteral(at_us),
        interval_us);
    written = r.affected_rows();
    return absl::OkStatus();
  });
  if (!s.ok()) return s;
  return written;
}

absl::StatusOr<std::vector<crypto::KeyId>> PgMafStore::Revoke(const char* where,
                                                              absl::string_view value,
                                                              const Revocation& why) {
  std::vector<std::string> km_ids;
  std::vector<crypto::KeyId> revoked;
  const int64_t now = Micros(clock_->Now());
  absl::Status s = pool_->Run("revoke", [&](pqxx::connection& c) -> absl::Status {
    km_ids.clear();
    revoked.clear();
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
    for (const pqxx::row& row : r) {
      km_ids.push_back(row[0].as<std::string>());
      revoked.push_back(StoredKeyId(row[0]));
    }
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
  if (!s.ok()) return s;
  return revoked;
}

absl::StatusOr<std::vector<crypto::KeyId>> PgMafStore::RevokeByKeId(const crypto::KeyId& ke_id,
                                                                    const Revocation& why) {
  return Revoke("ke_id", ke_id.ToString(), why);
}

absl::StatusOr<std::vector<crypto::KeyId>> PgMafStore::RevokeByEnroleeId(
    absl::string_view enrolee_id, const Revocation& why) {
  return Revoke("enrolee_id", enrolee_id, why);
}

}  // namespace maf
}  // namespace onem2m

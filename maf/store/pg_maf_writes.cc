// PgMafStore: the first contact's writes (PutCredential, WriteDecoyCredential, RegisterClient),
// group-committed (pg_maf_store.h, PgMafStoreOptions::group_commit; SQL in pg_maf_batch_sql.h).
#include <algorithm>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "common/crypto/key_id.h"
#include "common/pg/array_literal.h"
#include "common/secret_bytes.h"
#include "maf/store/pg_maf_batch_sql.h"
#include "maf/store/pg_maf_rows.h"
#include "maf/store/pg_maf_store.h"
#include "pqxx/pqxx"

namespace onem2m {
namespace maf {

using namespace pg_rows;  // NOLINT(build/namespaces): this store's own SQL and row helpers

namespace {
constexpr char kUnusable[] = "no usable credential for this KmID";
constexpr char kKeIdTaken[] = "ke_id is stored under another km_id";

// DecoyId is a random Key Identifier as long as `id` (same FQDN): a decoy row never meets another
// decoy's (or a stored row's) unique-index entries, which would make it wait or skip its insert.
std::string DecoyId(const crypto::KeyId& id) {
  SecretBytes relative = SecretBytes::Random(crypto::kRelativeIdLen);
  absl::StatusOr<crypto::KeyId> random = crypto::KeyId::FromParts(relative.Reveal(), id.fqdn);
  return random.ok() ? random->ToString() : id.ToString();
}
}  // namespace

absl::StatusOr<MafCredential> PgMafStore::PutCredential(const MafCredential& credential) {
  absl::Status s = ValidateCredential(credential);
  if (!s.ok()) return s;
  MafCredential stored;
  Write w;
  w.kind = Write::Kind::kPut;
  w.credential = &credential;
  w.stored = &stored;
  w.now_us = Micros(clock_->Now());
  s = Commit(w);
  if (!s.ok()) return s;
  return stored;
}

absl::Status PgMafStore::WriteDecoyCredential(const MafCredential& decoy) {
  absl::Status s = ValidateCredential(decoy);
  if (!s.ok()) return s;
  // The same queue, batch and transaction as PutCredential (docs/protocol.md 7).
  Write w;
  w.kind = Write::Kind::kDecoy;
  w.credential = &decoy;
  w.now_us = Micros(clock_->Now());
  return Commit(w);
}

absl::StatusOr<MafClient> PgMafStore::RegisterClient(const crypto::KeyId& km_id,
                                                     absl::Time requested_expiry) {
  const absl::Time now = clock_->Now();
  if (requested_expiry <= now) return absl::InvalidArgumentError("expiry must be in the future");
  MafClient client;
  absl::Status s = Commit(RegisterWrite(&km_id, now, requested_expiry, &client));
  if (!s.ok()) return s;
  return client;
}

void PgMafStore::RegisterClientAsync(const crypto::KeyId& km_id, absl::Time requested_expiry,
                                     RegisterDone done) {
  if (writer_ == nullptr) return done(RegisterClient(km_id, requested_expiry));
  const absl::Time now = clock_->Now();
  if (requested_expiry <= now) {
    return done(absl::InvalidArgumentError("expiry must be in the future"));
  }
  // The queued write points into this holder, which the answer keeps alive until it has run.
  struct Pending {
    crypto::KeyId km_id;
    MafClient client;
  };
  auto pending = std::make_shared<Pending>(Pending{km_id, MafClient{}});
  writer_->CommitAsync(RegisterWrite(&pending->km_id, now, requested_expiry, &pending->client),
                       [pending, done = std::move(done)](absl::Status s) {
                         if (!s.ok()) return done(s);
                         done(std::move(pending->client));
                       });
}

PgMafStore::Write PgMafStore::RegisterWrite(const crypto::KeyId* km_id, absl::Time now,
                                            absl::Time requested_expiry, MafClient* client) {
  Write w;
  w.kind = Write::Kind::kRegister;
  w.km_id = km_id;
  w.now_us = Micros(now);
  // Far-future expiry requests are capped so the timestamp arithmetic stays in range.
  w.requested_us =
      Micros(std::min(requested_expiry, absl::FromUnixSeconds(253402300799)));  // 9999-12-31
  w.client = client;
  return w;
}

absl::Status PgMafStore::Commit(const Write& w) {
  return writer_ ? writer_->Commit(w) : WriteOne(w);
}

absl::Status PgMafStore::WriteOne(const Write& w) {
  switch (w.kind) {
    case Write::Kind::kPut:
      return PutOne(*w.credential, w.now_us, w.stored);
    case Write::Kind::kDecoy:
      return DecoyOne(*w.credential, w.now_us);
    case Write::Kind::kRegister:
      return RegisterOne(*w.km_id, w.now_us, w.requested_us, w.client);
  }
  return absl::InternalError("unknown write");
}

std::vector<absl::Status> PgMafStore::WriteBatch(std::vector<Write>& batch) {
  std::vector<absl::Status> results(batch.size());
  if (batch.size() == 1 && !batch_lone_writes_) {
    // Alone: one autocommit statement is fewer round trips than a transaction.
    results[0] = WriteOne(batch[0]);
    return results;
  }
  // Credentials and decoys travel in the same arrays (migration 0006); registrations in their
  // own.
  std::vector<std::string> km_ids, ke_ids, km_hex, versions, enrolee_ids, fqdns, expiries, created,
      decoys;
  std::vector<std::string> reg_km_ids, reg_ids, reg_now, reg_requested;
  for (const Write& w : batch) {
    if (w.kind == Write::Kind::kRegister) {
      reg_km_ids.push_back(w.km_id->ToString());
      reg_ids.push_back(NewClientRegId());
      reg_now.push_back(absl::StrCat(w.now_us));
      reg_requested.push_back(absl::StrCat(w.requested_us));
      continue;
    }
    const MafCredential& c = *w.credential;
    const bool decoy = w.kind == Write::Kind::kDecoy;
    km_ids.push_back(decoy ? DecoyId(c.km_id) : c.km_id.ToString());
    ke_ids.push_back(decoy ? DecoyId(c.ke_id) : c.ke_id.ToString());
    km_hex.push_back(Hex(c.km.ciphertext));
    versions.push_back(absl::StrCat(c.km.kek_version));
    enrolee_ids.push_back(c.enrolee_id);
    fqdns.push_back(c.mef_fqdn);
    expiries.push_back(absl::StrCat(Micros(c.expires_at)));
    created.push_back(absl::StrCat(w.now_us));
    decoys.push_back(decoy ? "t" : "f");
  }
  const int64_t now = Micros(clock_->Now());
  absl::flat_hash_map<std::string, MafCredential> stored;  // by km_id as stored
  absl::flat_hash_set<std::string> usable;                 // km_ids with a usable credential
  absl::flat_hash_map<std::string, MafClient> clients;     // active registrations by km_id
  absl::Status s = pool_->Run("first contact writes", [&](pqxx::connection& conn) -> absl::Status {
    stored.clear();
    usable.clear();
    clients.clear();
    // One autocommit statement (migration 0006): one round trip for the whole batch.
    pqxx::nontransaction n(conn);
    pqxx::result r = n.exec_prepared(
        kFirstContactWrites, pg::TextArrayLiteral(km_ids), pg::TextArrayLiteral(ke_ids),
        pg::TextArrayLiteral(km_hex), pg::TextArrayLiteral(versions),
        pg::TextArrayLiteral(enrolee_ids), pg::TextArrayLiteral(fqdns),
        pg::TextArrayLiteral(expiries), pg::TextArrayLiteral(created), pg::TextArrayLiteral(decoys),
        pg::TextArrayLiteral(reg_km_ids), pg::TextArrayLiteral(reg_ids),
        pg::TextArrayLiteral(reg_now), pg::TextArrayLiteral(reg_requested), now);
    for (const pqxx::row& row : r) {
      const std::string kind = row[kWriteKindColumn].as<std::string>();
      if (kind == "credential") {
        stored.emplace(row[kWriteCredentialFirst].as<std::string>(),
                       CredentialFromRow(row.slice(kWriteCredentialFirst, kWriteCredentialEnd)));
      } else if (kind == "usable") {
        usable.insert(row[kWriteCredentialFirst].as<std::string>());
      } else if (kind == "client") {
        // Keyed by the km_id column as stored (ClientColumns' second).
        clients.emplace(row[kWriteClientFirst + 1].as<std::string>(),
                        ClientFromRow(row.slice(kWriteClientFirst, kWriteClientEnd)));
      }
    }
    return absl::OkStatus();
  });
  if (s.code() == absl::StatusCode::kUnavailable ||
      s.code() == absl::StatusCode::kDeadlineExceeded) {
    // The database is unreachable or the commit's fate unknown: nobody in the batch is told
    // "done".
    std::fill(results.begin(), results.end(), s);
    return results;
  }
  if (!s.ok()) {
    // A data error in some row (or a deadlock with another replica's batch) aborted the whole
    // transaction: each write on its own, so one bad row fails only itself.
    for (size_t i = 0; i < batch.size(); ++i) results[i] = WriteOne(batch[i]);
    return results;
  }
  size_t cred = 0, reg = 0;
  for (size_t i = 0; i < batch.size(); ++i) {
    const Write& w = batch[i];
    switch (w.kind) {
      case Write::Kind::kDecoy:
        ++cred;
        break;
      case Write::Kind::kPut: {
        auto it = stored.find(km_ids[cred++]);
        if (it == stored.end()) {
          results[i] = absl::AlreadyExistsError(kKeIdTaken);
        } else {
          *w.stored = it->second;
        }
        break;
      }
      case Write::Kind::kRegister: {
        const std::string& km_id = reg_km_ids[reg++];
        auto it = clients.find(km_id);
        if (!usable.contains(km_id) || it == clients.end()) {
          results[i] = absl::FailedPreconditionError(kUnusable);
        } else {
          *w.client = it->second;
        }
        break;
      }
    }
  }
  return results;
}

absl::Status PgMafStore::PutOne(const MafCredential& credential, int64_t now_us,
                                MafCredential* stored) {
  const std::string km_id = credential.km_id.ToString();
  return pool_->Run("put credential", [&](pqxx::connection& c) -> absl::Status {
    // One autocommit statement (a first contact is on the handshake path); see PutCredentialSql.
    pqxx::nontransaction n(c);
    pqxx::result r = n.exec_prepared(kPutCredential, km_id, credential.ke_id.ToString(),
                                     Hex(credential.km.ciphertext), credential.km.kek_version,
                                     credential.enrolee_id, credential.mef_fqdn,
                                     Micros(credential.expires_at), now_us);
    if (r.empty()) {
      // The statement's snapshot may predate a racing replica's commit: look once more.
      r = n.exec_params(
          absl::StrCat("SELECT ", CredentialColumns(), " FROM maf_credentials WHERE km_id = $1"),
          km_id);
    }
    if (r.empty()) return absl::AlreadyExistsError(kKeIdTaken);
    *stored = CredentialFromRow(r[0]);
    return absl::OkStatus();
  });
}

absl::Status PgMafStore::DecoyOne(const MafCredential& decoy, int64_t now_us) {
  // The statement, parameters and decoded row of PutOne, aimed at the twin table nobody reads.
  const std::string km_id = DecoyId(decoy.km_id);
  const std::string ke_id = DecoyId(decoy.ke_id);
  return pool_->Run("put credential", [&](pqxx::connection& c) -> absl::Status {
    pqxx::nontransaction n(c);
    pqxx::result r = n.exec_prepared(kDecoyCredential, km_id, ke_id, Hex(decoy.km.ciphertext),
                                     decoy.km.kek_version, decoy.enrolee_id, decoy.mef_fqdn,
                                     Micros(decoy.expires_at), now_us);
    if (!r.empty()) (void)CredentialFromRow(r[0]);
    return absl::OkStatus();
  });
}

absl::Status PgMafStore::RegisterOne(const crypto::KeyId& km_id_parsed, int64_t now,
                                     int64_t requested, MafClient* client) {
  const std::string km_id = km_id_parsed.ToString();
  return pool_->Run("register client", [&](pqxx::connection& c) -> absl::Status {
    // One autocommit statement registers (idempotently per KmID) against a usable credential and
    // returns the active registration, new or existing, with the count of usable credentials.
    pqxx::nontransaction n(c);
    pqxx::result r = n.exec_prepared(kRegisterClient, km_id, now, NewClientRegId(), requested);
    if (!r.empty() && r[0][kUsableColumn].as<int64_t>() == 0) {
      return absl::FailedPreconditionError(kUnusable);
    }
    if (r.empty()) {
      // No usable credential, or the statement's snapshot predates a racing replica's
      // registration: look once more.
      r = n.exec_params(
          absl::StrCat("SELECT ", ClientColumns(2),
                       " FROM maf_clients c WHERE c.km_id = $1 AND c.state = 'active'"),
          km_id, now);
      if (r.empty()) return absl::FailedPreconditionError(kUnusable);
    }
    *client = ClientFromRow(r[0]);
    return absl::OkStatus();
  });
}

}  // namespace maf
}  // namespace onem2m

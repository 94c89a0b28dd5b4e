// PgMafStore: keys registered by clients for Targets (Key Registration, Key Retrieval).
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
#include "maf/store/pg_maf_rows.h"
#include "maf/store/pg_maf_store.h"
#include "pqxx/pqxx"

namespace onem2m {
namespace maf {

using namespace pg_rows;  // NOLINT(build/namespaces): this store's own SQL and row helpers

absl::StatusOr<MafKey> PgMafStore::RegisterKey(const MafKey& key) {
  absl::Status s = ValidateNewKey(key);
  if (!s.ok()) return s;
  std::optional<MafKey> out;
  const int64_t now = Micros(clock_->Now());
  s = pool_->Run("register key", [&](pqxx::connection& c) -> absl::Status {
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
  if (!s.ok()) return s;
  return *std::move(out);
}

absl::StatusOr<MafKey> PgMafStore::GetKey(absl::string_view key_id) {
  std::optional<MafKey> out;
  absl::Status s = pool_->RunRead("get key", [&](pqxx::connection& c) -> absl::Status {
    pqxx::nontransaction n(c);
    pqxx::result r = n.exec_prepared("maf_key_by_id", std::string(key_id));
    if (!r.empty()) out = KeyFromRow(r[0]);
    return absl::OkStatus();
  });
  if (!s.ok()) return s;
  if (!out.has_value()) return absl::NotFoundError("no such key");
  return *std::move(out);
}

absl::StatusOr<MafKey> PgMafStore::GetActiveKey(absl::string_view key_id) {
  absl::StatusOr<MafKey> k = GetKey(key_id);
  if (!k.ok()) return k.status();
  if (EffectiveKeyState(*k, clock_->Now()) != EffectiveState::kActive) {
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
  const absl::Time now_t = clock_->Now();
  const int64_t now = Micros(now_t);
  absl::Status s = pool_->Run("change key", [&](pqxx::connection& c) -> absl::Status {
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
      w.exec_params(absl::StrCat("UPDATE maf_keys SET state = 'deregistered', updated_at = ", TS(2),
                                 " WHERE key_id = $1"),
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
        std::string(key_id), Hex(k.key.ciphertext), k.key.kek_version, static_cast<int64_t>(k.suid),
        JoinTargets(k.target_ids), Micros(k.expires_at), now, JoinTargets(k.labels));
    w.commit();
    out = KeyFromRow(u[0]);
    return absl::OkStatus();
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
  const int64_t now = Micros(clock_->Now());
  absl::Status s = pool_->Run("revoke key", [&](pqxx::connection& c) -> absl::Status {
    pqxx::work w(c);
    w.exec_params(
        absl::StrCat("UPDATE maf_keys SET state = 'revoked', revoked_by = $3, "
                     "revoke_reason = $4, revoked_at = ",
                     TS(2), ", updated_at = ", TS(2), " WHERE key_id = $1 AND state <> 'revoked'"),
        std::string(key_id), now, why.actor, why.reason);
    w.commit();
    return absl::OkStatus();
  });
  if (!s.ok()) return s;
  return GetKey(key_id);
}

}  // namespace maf
}  // namespace onem2m

// PgMafStore: MAF client registrations (TS-0003 8.8.2.x).
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

absl::StatusOr<MafClient> PgMafStore::GetClientWhere(const std::string& where,
                                                     absl::string_view value, bool active_only) {
  std::optional<MafClient> out;
  const int64_t now = Micros(clock_->Now());
  absl::Status s = pool_->RunRead("get client", [&](pqxx::connection& c) -> absl::Status {
    pqxx::nontransaction n(c);
    std::string sql =
        absl::StrCat("SELECT ", ClientColumns(2), " FROM maf_clients c WHERE ", where);
    if (active_only) absl::StrAppend(&sql, " AND c.state = 'active' AND c.expires_at > ", TS(2));
    absl::StrAppend(&sql, " ORDER BY c.created_at DESC, c.maf_client_reg_id DESC LIMIT 1");
    pqxx::result r = n.exec_params(sql, std::string(value), now);
    if (!r.empty()) out = ClientFromRow(r[0]);
    return absl::OkStatus();
  });
  if (!s.ok()) return s;
  if (!out.has_value()) {
    return absl::NotFoundError(active_only ? "no active client registration" : "no such client");
  }
  return *std::move(out);
}

absl::StatusOr<MafClient> PgMafStore::GetActiveClientByKmId(const crypto::KeyId& km_id) {
  return GetClientWhere("c.km_id = $1", km_id.ToString(), /*active_only=*/true);
}

absl::StatusOr<MafClient> PgMafStore::GetClient(absl::string_view maf_client_reg_id) {
  return GetClientWhere("c.maf_client_reg_id = $1", maf_client_reg_id, false);
}

absl::StatusOr<MafClient> PgMafStore::GetLatestClientByKmId(const crypto::KeyId& km_id) {
  return GetClientWhere("c.km_id = $1", km_id.ToString(), false);
}

absl::StatusOr<MafClient> PgMafStore::UpdateClient(absl::string_view maf_client_reg_id,
                                                   const crypto::KeyId& km_id,
                                                   const ClientUpdate& update) {
  if (update.labels.has_value()) {
    absl::Status s = ValidateLabels(*update.labels);
    if (!s.ok()) return s;
  }
  const absl::Time now_t = clock_->Now();
  if (update.expires_at.has_value() && *update.expires_at <= now_t) {
    return absl::InvalidArgumentError("expiry must be in the future");
  }
  const int64_t now = Micros(now_t);
  absl::Status s = pool_->Run("update client", [&](pqxx::connection& c) -> absl::Status {
    pqxx::work w(c);
    // FOR UPDATE serialises with key registration's FOR SHARE on the same row.
    pqxx::result r = w.exec_params(
        absl::StrCat("SELECT c.km_id, ", US("m.expires_at"),
                     " FROM maf_clients c JOIN maf_credentials m ON m.km_id = c.km_id "
                     "WHERE c.maf_client_reg_id = $1 AND c.state = 'active' AND c.expires_at > ",
                     TS(2), " FOR UPDATE OF c"),
        std::string(maf_client_reg_id), now);
    if (r.empty()) return absl::NotFoundError("no active client registration");
    if (StoredKeyId(r[0][0]) != km_id) {
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
  if (!s.ok()) return s;
  return GetClient(maf_client_reg_id);
}

absl::Status PgMafStore::DeregisterClient(absl::string_view maf_client_reg_id) {
  const int64_t now = Micros(clock_->Now());
  return pool_->Run("deregister client", [&](pqxx::connection& c) -> absl::Status {
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
}

absl::StatusOr<MafClient> PgMafStore::RevokeClient(absl::string_view maf_client_reg_id,
                                                   const Revocation& why) {
  absl::StatusOr<MafClient> client = GetClient(maf_client_reg_id);
  if (!client.ok()) return client.status();
  // Revoking the client's credential revokes every registration of that Km and their keys.
  absl::StatusOr<std::vector<crypto::KeyId>> revoked =
      Revoke("km_id", client->km_id.ToString(), why);
  if (!revoked.ok()) return revoked.status();
  return GetClient(maf_client_reg_id);
}

}  // namespace maf
}  // namespace onem2m

// PgMafStore: KEK version counts and re-sealing rows under a new KEK (docs/operations.md).
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
#include "common/pg/pool.h"
#include "common/pg/status.h"
#include "maf/store/maf_migrations.h"
#include "maf/store/pg_maf_rows.h"
#include "maf/store/pg_maf_store.h"
#include "pqxx/pqxx"

namespace onem2m {
namespace maf {

using namespace pg_rows;  // NOLINT(build/namespaces): this store's own SQL and row helpers

// Rows with a sealed value: a revoked credential's Km is wiped to '' and has nothing to re-seal.
constexpr const char* kCountKekVersionsSql =
    "SELECT 0, kek_version, count(*) FROM maf_credentials WHERE octet_length(km_ciphertext) > 0 "
    "GROUP BY kek_version UNION ALL SELECT 1, kek_version, count(*) FROM maf_keys "
    "WHERE octet_length(key_ciphertext) > 0 GROUP BY kek_version ORDER BY 1, 2";

absl::StatusOr<std::vector<KekVersionCount>> PgMafStore::CountKekVersions() {
  std::vector<KekVersionCount> out;
  absl::Status s = pool_->RunRead("count kek versions", [&](pqxx::connection& c) -> absl::Status {
    out.clear();
    pqxx::read_transaction w(c);  // one snapshot for both tables
    pg::AllowWholeTableScans(w);
    for (const pqxx::row& row : w.exec(kCountKekVersionsSql)) {
      out.push_back(KekVersionCount{
          row[0].as<int>() == 0 ? SealedColumn::kCredentialKm : SealedColumn::kKeyValue,
          row[1].as<int32_t>(), row[2].as<int64_t>()});
    }
    w.commit();
    return absl::OkStatus();
  });
  if (!s.ok()) return s;
  return out;
}

absl::StatusOr<RewrapResult> PgMafStore::RewrapBatch(int32_t target_version, int limit,
                                                     const Resealer& reseal) {
  limit = std::clamp(limit, 1, 10000);
  std::vector<kek::PendingRow<SealedColumn, SealedKey>> batch;
  // Read the batch in a short transaction of its own: none is held while re-sealing. `<>` is no
  // index condition, so this scans until it has `limit` rows.
  absl::Status s = pool_->Run("rewrap: read batch", [&](pqxx::connection& c) -> absl::Status {
    batch.clear();
    pqxx::read_transaction w(c);
    pg::AllowWholeTableScans(w);
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
    w.commit();
    return absl::OkStatus();
  });
  if (!s.ok()) return s;
  absl::StatusOr<kek::RewrapCounts> n = kek::ResealRows(
      batch, reseal,
      [this](const kek::PendingRow<SealedColumn, SealedKey>& p,
             const SealedKey& fresh) -> absl::StatusOr<bool> {
        int64_t updated = 0;
        absl::Status s = pool_->Run("rewrap: update row", [&](pqxx::connection& c) -> absl::Status {
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

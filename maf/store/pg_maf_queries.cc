// PgMafStore: the admin listings of clients and keys (keyset pages).
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

absl::StatusOr<ListClientsResponse> PgMafStore::ListClients(const ListClientsRequest& request) {
  const std::string state = StateFilter(request.state);
  const std::string filter = absl::StrCat("clients|", state, "|", request.client_id);
  absl::StatusOr<std::string> after = paging::DecodePageToken(request.page_token, filter);
  if (!after.ok()) return after.status();
  const int limit = paging::ClampPageSize(request.page_size);
  const int64_t now = Micros(clock_->Now());
  ListClientsResponse out;
  absl::Status s = pool_->RunRead("list clients", [&](pqxx::connection& c) -> absl::Status {
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
  const int64_t now = Micros(clock_->Now());
  ListKeysResponse out;
  absl::Status s = pool_->RunRead("list keys", [&](pqxx::connection& c) -> absl::Status {
    out.keys.clear();
    out.next_page_token.clear();
    pqxx::nontransaction n(c);
    pqxx::result r = n.exec_params(
        absl::StrCat("SELECT ", KeyColumns(),
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
  if (!s.ok()) return s;
  return out;
}

}  // namespace maf
}  // namespace onem2m

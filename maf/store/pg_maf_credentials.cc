// PgMafStore's admin view of credentials (FindCredential, ListCredentials, RevokeCredential): the
// Km credentials the MAF learned from MEFs (docs/protocol.md section 7). The sealed Km is never
// selected here, so no admin read can carry it.
#include <optional>
#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "common/paging/page_token.h"
#include "common/pg/keyset_page.h"
#include "maf/store/pg_maf_rows.h"
#include "maf/store/pg_maf_store.h"
#include "pqxx/pqxx"

namespace onem2m {
namespace maf {
namespace {

// Times travel as whole microseconds since the epoch, as in pg_maf_store.cc.
std::string Ts(int n) {
  return absl::StrCat("('epoch'::timestamptz + $", n, "::bigint * interval '1 microsecond')");
}
std::string Us(absl::string_view col) {
  return absl::StrCat("(extract(epoch from ", col, ") * 1000000)::bigint");
}
absl::Time FromMicros(const pqxx::field& f) { return absl::FromUnixMicros(f.as<int64_t>()); }

// AdminColumns: every credential column but km_ciphertext.
const std::string& AdminColumns() {
  static const std::string* const s = new std::string(absl::StrCat(
      "km_id, ke_id, kek_version, enrolee_id, mef_fqdn, ", Us("expires_at"), ", revoked, ",
      Us("created_at"), ", COALESCE(last_transport, ''), ", Us("last_handshake_at"),
      ", COALESCE(revoked_by, ''), COALESCE(revoke_reason, ''), ", Us("revoked_at")));
  return *s;
}

MafCredential AdminCredentialFromRow(const pqxx::row& r) {
  MafCredential c;
  c.km_id = pg_rows::StoredKeyId(r[0]);
  c.ke_id = pg_rows::StoredKeyId(r[1]);
  c.km.kek_version = r[2].as<int32_t>();
  c.enrolee_id = r[3].as<std::string>();
  c.mef_fqdn = r[4].as<std::string>();
  c.expires_at = FromMicros(r[5]);
  c.revoked = r[6].as<bool>();
  c.created_at = FromMicros(r[7]);
  c.last_transport = ParseTransport(r[8].as<std::string>());
  if (!r[9].is_null()) c.last_handshake_at = FromMicros(r[9]);
  if (c.revoked) {
    Revocation why;
    why.actor = r[10].as<std::string>();
    why.reason = r[11].as<std::string>();
    if (!r[12].is_null()) why.time = FromMicros(r[12]);
    c.revocation = std::move(why);
  }
  return c;
}

// StateText maps a filter to the text StateCondition tests ("" = no filter).
std::string StateText(const std::optional<EffectiveState>& s) {
  if (!s.has_value()) return "";
  switch (*s) {
    case EffectiveState::kActive:
      return "active";
    case EffectiveState::kExpired:
      return "expired";
    case EffectiveState::kRevoked:
      return "revoked";
    case EffectiveState::kDeregistered:
      return "deregistered";  // a credential never is: matches nothing
  }
  return "";
}

// StateCondition: credentials in effective state $state_param at time $now_param
// (EffectiveCredentialState).
std::string StateCondition(int state_param, int now_param) {
  const std::string st = absl::StrCat("$", state_param, "::text");
  return absl::StrCat("(", st, " = '' OR (", st, " = 'revoked' AND revoked) OR (", st,
                      " = 'active' AND NOT revoked AND expires_at > ", Ts(now_param), ") OR (", st,
                      " = 'expired' AND NOT revoked AND expires_at <= ", Ts(now_param), "))");
}

}  // namespace

absl::StatusOr<MafCredential> PgMafStore::FindCredential(CredentialKey key,
                                                         const crypto::KeyId& id) {
  const char* column = key == CredentialKey::kKmId ? "km_id" : "ke_id";
  std::optional<MafCredential> out;
  absl::Status s = pool_->RunRead("find credential", [&](pqxx::connection& c) -> absl::Status {
    pqxx::nontransaction n(c);
    pqxx::result r = n.exec_params(
        absl::StrCat("SELECT ", AdminColumns(), " FROM maf_credentials WHERE ", column, " = $1"),
        id.ToString());
    if (!r.empty()) out = AdminCredentialFromRow(r[0]);
    return absl::OkStatus();
  });
  if (!s.ok()) return s;
  if (!out.has_value()) return absl::NotFoundError("no such credential");
  return *std::move(out);
}

absl::StatusOr<ListCredentialsResponse> PgMafStore::ListCredentials(
    const ListCredentialsRequest& request) {
  const std::string state = StateText(request.state);
  const std::string filter =
      absl::StrCat("credentials|", state, "|", request.enrolee_id, "|", request.mef_fqdn);
  absl::StatusOr<std::string> after = paging::DecodePageToken(request.page_token, filter);
  if (!after.ok()) return after.status();
  const int limit = paging::ClampPageSize(request.page_size);
  const int64_t now = absl::ToUnixMicros(clock_->Now());
  ListCredentialsResponse out;
  absl::Status s = pool_->RunRead("list credentials", [&](pqxx::connection& c) -> absl::Status {
    out.credentials.clear();
    out.next_page_token.clear();
    pqxx::nontransaction n(c);
    // Keyset pagination on the primary key (km_id).
    pqxx::result r = n.exec_params(
        absl::StrCat("SELECT ", AdminColumns(),
                     " FROM maf_credentials WHERE km_id > $1 AND ($3 = '' OR enrolee_id = $3) AND "
                     "($4 = '' OR mef_fqdn = $4) AND ",
                     StateCondition(5, 2), " ORDER BY km_id LIMIT $6"),
        *after, now, request.enrolee_id, request.mef_fqdn, state, limit + 1);
    absl::StatusOr<std::string> next = pg::TakePage(
        r, limit, AdminCredentialFromRow, [](const MafCredential& m) { return m.km_id.ToString(); },
        &out.credentials);
    if (!next.ok()) return next.status();
    out.next_page_token = paging::EncodePageToken(filter, *next);
    return absl::OkStatus();
  });
  if (!s.ok()) return s;
  return out;
}

absl::StatusOr<MafCredential> PgMafStore::RevokeCredential(const crypto::KeyId& km_id,
                                                           const Revocation& why) {
  // The same transaction as every other revocation (credential, then clients, then keys).
  absl::StatusOr<std::vector<crypto::KeyId>> revoked = Revoke("km_id", km_id.ToString(), why);
  if (!revoked.ok()) return revoked.status();
  if (revoked->empty()) return absl::NotFoundError("no such credential");
  return FindCredential(CredentialKey::kKmId, km_id);
}

}  // namespace maf
}  // namespace onem2m

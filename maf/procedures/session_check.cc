#include "maf/procedures/session_check.h"

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/crypto/key_id.h"
#include "common/exchange/rsc.h"

namespace onem2m {
namespace maf {

absl::Status CheckSessionUnexpired(const ProcedureContext& ctx, const MafSession& session) {
  if (ctx.Now() >= session.km_expires_at) {
    return exchange::WithRsc(absl::PermissionDeniedError("Km expired: bootstrap again"),
                             exchange::kRscOriginatorHasNoPrivilege);
  }
  return absl::OkStatus();
}

absl::Status CheckSession(const ProcedureContext& ctx, const MafSession& session) {
  absl::Status unexpired = CheckSessionUnexpired(ctx, session);
  if (!unexpired.ok()) return unexpired;
  absl::StatusOr<MafCredential> c = ctx.store->GetCredentialByKmId(session.km_id);
  if (c.ok()) return absl::OkStatus();
  if (c.status().code() == absl::StatusCode::kUnavailable) return c.status();
  // Revoked (or gone) since the handshake: the session no longer authorises anything.
  return exchange::WithRsc(absl::PermissionDeniedError("credential no longer valid"),
                           exchange::kRscOriginatorHasNoPrivilege);
}

absl::StatusOr<MafClient> RequireRegisteredClient(const ProcedureContext& ctx,
                                                  const MafSession& session) {
  absl::StatusOr<MafClient> c = ctx.store->GetActiveClientByKmId(session.km_id);
  if (c.status().code() == absl::StatusCode::kNotFound) {
    return exchange::WithRsc(absl::PermissionDeniedError("MAF client not registered"),
                             exchange::kRscOriginatorHasNoPrivilege);
  }
  return c;
}

absl::Status CheckMafFqdn(const ProcedureContext& ctx, absl::string_view maf_fqdn) {
  if (!absl::EqualsIgnoreCase(maf_fqdn, ctx.maf_fqdn)) {
    return absl::InvalidArgumentError(absl::StrCat("mafFQDN \"", absl::CHexEscape(maf_fqdn),
                                                   "\" is not this MAF (", ctx.maf_fqdn, ")"));
  }
  return absl::OkStatus();
}

absl::Status CheckAdminFqdn(const ProcedureContext& ctx, absl::string_view admin_fqdn) {
  if (!absl::EqualsIgnoreCase(admin_fqdn, ctx.AdminFqdn())) {
    return exchange::WithRsc(
        absl::PermissionDeniedError(absl::StrCat("adminFQDN \"", absl::CHexEscape(admin_fqdn),
                                                 "\" is not an administrating stakeholder of "
                                                 "this MAF (",
                                                 ctx.AdminFqdn(), ")")),
        exchange::kRscOriginatorHasNoPrivilege);
  }
  return absl::OkStatus();
}

absl::StatusOr<MafClient> RequireOwnRegistration(const ProcedureContext& ctx,
                                                 const MafSession& session,
                                                 absl::string_view maf_client_reg_id) {
  absl::StatusOr<MafClient> client = RequireRegisteredClient(ctx, session);
  if (!client.ok()) return client.status();
  if (client->maf_client_reg_id != maf_client_reg_id) {
    return exchange::WithRsc(absl::PermissionDeniedError("not this client's registration"),
                             exchange::kRscOriginatorHasNoPrivilege);
  }
  return client;
}

absl::StatusOr<std::string> ResolveKeyRef(const ProcedureContext& ctx, const exchange::KeyRef& ref) {
  exchange::KeyRef full = ref;
  if (full.maf_fqdn.empty()) full.maf_fqdn = ctx.maf_fqdn;
  return ParseOwnKeyId(ctx, full.KeyId());
}

absl::StatusOr<std::string> ParseOwnKeyId(const ProcedureContext& ctx, absl::string_view key_id) {
  absl::StatusOr<crypto::KeyId> parsed = crypto::ParseKeyId(key_id);
  if (!parsed.ok()) {
    return absl::InvalidArgumentError(
        "not a Key Identifier: RelativeKeyID must be 32 hex digits (TS-0003 10.3.5)");
  }
  if (!absl::EqualsIgnoreCase(parsed->fqdn, ctx.maf_fqdn)) {
    return absl::InvalidArgumentError(
        absl::StrCat("the key names another MAF (", absl::CHexEscape(parsed->fqdn), ")"));
  }
  parsed->fqdn = ctx.maf_fqdn;
  return crypto::FormatKeyId(parsed->relative_id, parsed->fqdn);
}

}  // namespace maf
}  // namespace onem2m

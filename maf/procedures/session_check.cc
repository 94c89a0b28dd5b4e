#include "maf/procedures/session_check.h"

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

absl::StatusOr<std::string> ParseOwnKeyId(const ProcedureContext& ctx, absl::string_view key_id) {
  absl::StatusOr<crypto::KeyId> parsed = crypto::ParseKeyId(key_id);
  if (!parsed.ok()) return absl::InvalidArgumentError("keyID is not a Key Identifier");
  if (parsed->fqdn != ctx.maf_fqdn) {
    return absl::InvalidArgumentError("keyID names another MAF");
  }
  return crypto::FormatKeyId(parsed->relative_id, parsed->fqdn);
}

}  // namespace maf
}  // namespace onem2m

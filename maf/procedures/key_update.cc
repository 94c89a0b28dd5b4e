#include "maf/procedures/key_update.h"

#include <algorithm>

#include "common/exchange/rsc.h"
#include "maf/procedures/session_check.h"

namespace onem2m {
namespace maf {

absl::StatusOr<exchange::KeyUpdateAnswer> HandleKeyUpdate(
    const ProcedureContext& ctx, const MafSession& session,
    const exchange::KeyUpdateRequest& request) {
  absl::Status s = CheckSession(ctx, session);
  if (!s.ok()) return s;
  absl::StatusOr<MafClient> client = RequireRegisteredClient(ctx, session);
  if (!client.ok()) return client.status();
  absl::StatusOr<std::string> key_id = ParseOwnKeyId(ctx, request.key_id);
  if (!key_id.ok()) return key_id.status();
  if (!request.target_ids.has_value() && !request.expiration_time.has_value()) {
    return absl::InvalidArgumentError("nothing to update");
  }
  KeyUpdate u;
  if (request.target_ids.has_value()) {
    s = ValidateTargetIds(*request.target_ids);
    if (!s.ok()) return s;
    u.target_ids = *request.target_ids;
  }
  if (request.expiration_time.has_value()) {
    if (*request.expiration_time <= ctx.Now()) {
      return absl::InvalidArgumentError("expirationTime is not in the future");
    }
    u.expires_at = std::min(*request.expiration_time, client->expires_at);
  }
  absl::StatusOr<MafKey> k = ctx.store->UpdateKey(*key_id, client->maf_client_reg_id, u);
  if (k.status().code() == absl::StatusCode::kPermissionDenied) {
    return exchange::WithRsc(absl::PermissionDeniedError("key registered by another client"),
                             exchange::kRscOriginatorHasNoPrivilege);
  }
  if (!k.ok()) return k.status();
  return exchange::KeyUpdateAnswer{k->key_id, k->expires_at};
}

}  // namespace maf
}  // namespace onem2m

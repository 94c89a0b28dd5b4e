#include "maf/procedures/key_update.h"

#include <algorithm>

#include "common/exchange/rsc.h"
#include "maf/procedures/session_check.h"

namespace onem2m {
namespace maf {

absl::StatusOr<exchange::KeyUpdateAnswer> HandleKeyUpdate(
    const ProcedureContext& ctx, const MafSession& session,
    const exchange::KeyUpdateRequest& request) {
  if (!request.target_ids.has_value() && !request.expiration_time.has_value() &&
      !request.labels.has_value()) {
    return absl::InvalidArgumentError("nothing to update");
  }
  absl::Status s = CheckSession(ctx, session);
  if (!s.ok()) return s;
  absl::StatusOr<MafClient> client = RequireRegisteredClient(ctx, session);
  if (!client.ok()) return client.status();
  absl::StatusOr<std::string> key_id = ResolveKeyRef(ctx, request.key);
  if (!key_id.ok()) return key_id.status();
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
  u.labels = request.labels;
  absl::StatusOr<MafKey> k = ctx.store->UpdateKey(*key_id, client->maf_client_reg_id, u);
  if (k.status().code() == absl::StatusCode::kPermissionDenied) {
    return exchange::WithRsc(absl::PermissionDeniedError("key registered by another client"),
                             exchange::kRscOriginatorHasNoPrivilege);
  }
  if (!k.ok()) return k.status();
  // Table 8.8.2.9-2 NOTE: only the parameters the request carried, with their current values.
  exchange::KeyUpdateAnswer a;
  if (request.expiration_time.has_value()) a.expiration_time = k->expires_at;
  if (request.labels.has_value()) a.labels = k->labels;
  if (request.target_ids.has_value()) a.target_ids = k->target_ids;
  return a;
}

}  // namespace maf
}  // namespace onem2m

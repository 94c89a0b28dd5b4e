#include "maf/procedures/deregistration.h"

#include "common/exchange/rsc.h"
#include "maf/procedures/session_check.h"

namespace onem2m {
namespace maf {

absl::Status HandleDeregistration(const ProcedureContext& ctx, const MafSession& session,
                                  const exchange::DeregistrationRequest& request) {
  if (request.maf_client_reg_id.has_value() == request.key_id.has_value()) {
    return absl::InvalidArgumentError("exactly one of mafClientRegID and keyID is required");
  }
  absl::Status s = CheckSession(ctx, session);
  if (!s.ok()) return s;
  absl::StatusOr<MafClient> client = RequireRegisteredClient(ctx, session);
  if (!client.ok()) return client.status();
  const absl::Status denied = exchange::WithRsc(
      absl::PermissionDeniedError("not this client's"), exchange::kRscOriginatorHasNoPrivilege);

  if (request.maf_client_reg_id.has_value()) {
    // A client can end only its own registration; someone else's id gets the same answer
    // whether it exists or not.
    if (*request.maf_client_reg_id != client->maf_client_reg_id) return denied;
    return ctx.store->DeregisterClient(client->maf_client_reg_id);
  }
  absl::StatusOr<std::string> key_id = ParseOwnKeyId(ctx, *request.key_id);
  if (!key_id.ok()) return key_id.status();
  s = ctx.store->DeregisterKey(*key_id, client->maf_client_reg_id);
  if (s.code() == absl::StatusCode::kPermissionDenied) return denied;
  return s;
}

}  // namespace maf
}  // namespace onem2m

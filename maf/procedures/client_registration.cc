#include "maf/procedures/client_registration.h"

#include <algorithm>

#include "common/exchange/rsc.h"
#include "maf/procedures/session_check.h"

namespace onem2m {
namespace maf {

absl::StatusOr<exchange::ClientRegistrationAnswer> HandleClientRegistration(
    const ProcedureContext& ctx, const MafSession& session,
    const exchange::ClientRegistrationRequest& request) {
  // No store read here: RegisterClient registers only against a stored, unrevoked, unexpired
  // credential, in the same statement (a revocation since the handshake gives 4103 below).
  absl::Status s = CheckSessionUnexpired(ctx, session);
  if (!s.ok()) return s;
  // Nothing outlives Ke (PROTOCOL.md 5): the session's Km expiry caps whatever was asked for.
  absl::Time expiry = session.km_expires_at;
  if (request.expiration_time.has_value()) {
    if (*request.expiration_time <= ctx.Now()) {
      return absl::InvalidArgumentError("expirationTime is not in the future");
    }
    expiry = std::min(expiry, *request.expiration_time);
  }
  absl::StatusOr<MafClient> client = ctx.store->RegisterClient(session.km_id, expiry);
  if (client.status().code() == absl::StatusCode::kFailedPrecondition) {
    return exchange::WithRsc(absl::PermissionDeniedError("credential no longer valid"),
                             exchange::kRscOriginatorHasNoPrivilege);
  }
  if (!client.ok()) return client.status();
  exchange::ClientRegistrationAnswer a;
  a.maf_client_reg_id = client->maf_client_reg_id;
  a.maf_client_id = client->enrolee_id;
  a.expiration_time = client->expires_at;
  a.assigned_symm_key_id = client->km_id;
  return a;
}

}  // namespace maf
}  // namespace onem2m

#include "maf/procedures/client_config.h"

#include <algorithm>

#include "common/exchange/rsc.h"
#include "maf/procedures/client_registration.h"
#include "maf/procedures/session_check.h"

namespace onem2m {
namespace maf {
namespace {

// OwnRegistration runs the checks both procedures share and returns the registration.
absl::StatusOr<MafClient> OwnRegistration(const ProcedureContext& ctx, const MafSession& session,
                                          absl::string_view maf_fqdn,
                                          absl::string_view maf_client_reg_id) {
  absl::Status s = CheckMafFqdn(ctx, maf_fqdn);
  if (s.ok()) s = CheckSession(ctx, session);
  if (!s.ok()) return s;
  return RequireOwnRegistration(ctx, session, maf_client_reg_id);
}

}  // namespace

absl::StatusOr<exchange::ClientConfigRetrievalAnswer> HandleClientConfigRetrieval(
    const ProcedureContext& ctx, const MafSession& session,
    const exchange::ClientConfigRetrievalRequest& request) {
  absl::StatusOr<MafClient> client =
      OwnRegistration(ctx, session, request.maf_fqdn, request.maf_client_reg_id);
  if (!client.ok()) return client.status();
  exchange::ClientConfigRetrievalAnswer a;
  exchange::MafClientConfig& cfg = a.maf_client_cfg;
  cfg.expiration_time = client->expires_at;
  cfg.labels = LabelsOrNone(client->labels);
  cfg.fqdn = ctx.maf_fqdn;
  cfg.admin_fqdn = ctx.AdminFqdn();
  return a;
}

absl::StatusOr<exchange::ClientRegistrationUpdateAnswer> HandleClientRegistrationUpdate(
    const ProcedureContext& ctx, const MafSession& session,
    const exchange::ClientRegistrationUpdateRequest& request) {
  if (!request.expiration_time.has_value() && !request.labels.has_value()) {
    return absl::InvalidArgumentError("nothing to update");
  }
  absl::StatusOr<MafClient> client =
      OwnRegistration(ctx, session, request.maf_fqdn, request.maf_client_reg_id);
  if (!client.ok()) return client.status();
  ClientUpdate u;
  if (request.expiration_time.has_value()) {
    if (*request.expiration_time <= ctx.Now()) {
      return absl::InvalidArgumentError("expirationTime is not in the future");
    }
    u.expires_at = std::min(*request.expiration_time, session.km_expires_at);
  }
  u.labels = request.labels;
  absl::StatusOr<MafClient> updated =
      ctx.store->UpdateClient(client->maf_client_reg_id, session.km_id, u);
  if (updated.status().code() == absl::StatusCode::kNotFound ||
      updated.status().code() == absl::StatusCode::kPermissionDenied) {
    // Ended or revoked between the check above and the update.
    return exchange::WithRsc(absl::PermissionDeniedError("MAF client not registered"),
                             exchange::kRscOriginatorHasNoPrivilege);
  }
  if (!updated.ok()) return updated.status();
  exchange::ClientRegistrationUpdateAnswer a;
  if (request.expiration_time.has_value()) a.expiration_time = updated->expires_at;
  if (request.labels.has_value()) a.labels = updated->labels;
  return a;
}

}  // namespace maf
}  // namespace onem2m

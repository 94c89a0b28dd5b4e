#include "maf/procedures/client_registration.h"

#include <algorithm>
#include <utility>

#include "common/exchange/rsc.h"
#include "maf/procedures/session_check.h"

namespace onem2m {
namespace maf {

std::optional<exchange::Labels> LabelsOrNone(const std::vector<std::string>& labels) {
  if (labels.empty()) return std::nullopt;
  return labels;
}

absl::StatusOr<absl::Time> CheckClientRegistration(
    const ProcedureContext& ctx, const MafSession& session,
    const exchange::ClientRegistrationRequest& request) {
  absl::Status s = CheckMafFqdn(ctx, request.maf_fqdn);
  if (s.ok()) s = CheckAdminFqdn(ctx, request.admin_fqdn);
  // No store read here: RegisterClient registers only against a stored, unrevoked, unexpired
  // credential, in the same statement (a revocation since the handshake gives 4103 below).
  if (s.ok()) s = CheckSessionUnexpired(ctx, session);
  if (!s.ok()) return s;
  if (request.expiration_time <= ctx.Now()) {
    return absl::InvalidArgumentError("expirationTime is not in the future");
  }
  // Nothing outlives Ke (docs/protocol.md 5): the session's Km expiry caps what was proposed.
  return std::min(session.km_expires_at, request.expiration_time);
}

absl::StatusOr<exchange::ClientRegistrationAnswer> AnswerClientRegistration(
    const ProcedureContext& ctx, const absl::StatusOr<MafClient>& client) {
  if (client.status().code() == absl::StatusCode::kFailedPrecondition) {
    return exchange::WithRsc(absl::PermissionDeniedError("credential no longer valid"),
                             exchange::kRscOriginatorHasNoPrivilege);
  }
  if (!client.ok()) return client.status();
  exchange::ClientRegistrationAnswer a;
  a.maf_client_reg_id = client->maf_client_reg_id;
  a.labels = LabelsOrNone(client->labels);
  a.expiration_time = client->expires_at;
  a.maf_client_id = client->enrolee_id;
  a.admin_fqdn = ctx.AdminFqdn();
  // Km is always remotely provisioned here (8.3.2.1), so the KmID is always assigned.
  a.assigned_symm_key_id = client->km_id.ToString();
  return a;
}

absl::StatusOr<exchange::ClientRegistrationAnswer> HandleClientRegistration(
    const ProcedureContext& ctx, const MafSession& session,
    const exchange::ClientRegistrationRequest& request) {
  absl::StatusOr<absl::Time> expiry = CheckClientRegistration(ctx, session, request);
  if (!expiry.ok()) return expiry.status();
  absl::StatusOr<MafClient> client = ctx.store->RegisterClient(session.km_id, *expiry);
  if (client.ok() && request.labels.has_value()) {
    // Registration is idempotent per Km; a repeated one carrying labels replaces them.
    absl::StatusOr<MafClient> labelled = ctx.store->UpdateClient(
        client->maf_client_reg_id, session.km_id, ClientUpdate{std::nullopt, *request.labels});
    if (!labelled.ok()) return labelled.status();
    client = std::move(labelled);
  }
  return AnswerClientRegistration(ctx, client);
}

}  // namespace maf
}  // namespace onem2m

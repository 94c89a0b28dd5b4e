#include "maf/procedures/deregistration.h"

#include "common/exchange/rsc.h"
#include "maf/procedures/session_check.h"

namespace onem2m {
namespace maf {
namespace {

absl::Status DeregisterOwnClient(const ProcedureContext& ctx, const MafSession& session,
                                 absl::string_view maf_client_reg_id) {
  absl::Status s = CheckSession(ctx, session);
  if (!s.ok()) return s;
  // A client can end only its own registration; someone else's id gets the same answer whether
  // it exists or not.
  absl::StatusOr<MafClient> client = RequireOwnRegistration(ctx, session, maf_client_reg_id);
  if (!client.ok()) return client.status();
  return ctx.store->DeregisterClient(client->maf_client_reg_id);
}

absl::Status DeregisterOwnKey(const ProcedureContext& ctx, const MafSession& session,
                              const exchange::KeyRef& ref) {
  absl::Status s = CheckSession(ctx, session);
  if (!s.ok()) return s;
  absl::StatusOr<MafClient> client = RequireRegisteredClient(ctx, session);
  if (!client.ok()) return client.status();
  absl::StatusOr<std::string> key_id = ResolveKeyRef(ctx, ref);
  if (!key_id.ok()) return key_id.status();
  s = ctx.store->DeregisterKey(*key_id, client->maf_client_reg_id);
  if (s.code() == absl::StatusCode::kPermissionDenied) {
    return exchange::WithRsc(absl::PermissionDeniedError("not this client's"),
                             exchange::kRscOriginatorHasNoPrivilege);
  }
  return s;
}

}  // namespace

absl::Status HandleClientDeregistration(const ProcedureContext& ctx, const MafSession& session,
                                        const exchange::ClientDeregistrationRequest& request) {
  absl::Status s = CheckMafFqdn(ctx, request.maf_fqdn);
  if (!s.ok()) return s;
  return DeregisterOwnClient(ctx, session, request.maf_client_reg_id);
}

absl::Status HandleKeyDeregistration(const ProcedureContext& ctx, const MafSession& session,
                                     const exchange::KeyDeregistrationRequest& request) {
  return DeregisterOwnKey(ctx, session, request.key);
}

absl::Status HandleDeregistration(const ProcedureContext& ctx, const MafSession& session,
                                  const exchange::DeregistrationRequest& request) {
  if (request.maf_client_reg_id.has_value() == request.key_id.has_value()) {
    return absl::InvalidArgumentError("exactly one of mafClientRegID and keyID is required");
  }
  if (request.maf_client_reg_id.has_value()) {
    return DeregisterOwnClient(ctx, session, *request.maf_client_reg_id);
  }
  absl::StatusOr<exchange::KeyRef> ref = exchange::SplitKeyId(*request.key_id);
  if (!ref.ok()) return ref.status();
  return DeregisterOwnKey(ctx, session, *ref);
}

}  // namespace maf
}  // namespace onem2m

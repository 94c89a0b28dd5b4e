// File: maf/procedures/client_config.h
//
// MAF Client Configuration Retrieval (TS-0003 8.8.2.4, Tables 8.8.2.4-1 and -2) and MAF Client
// Registration Update (8.8.2.5, Tables 8.8.2.5-1 and -2), both on the session's own registration.
//
// The MAF Client Configuration a client retrieves is its mafClientRegCfg (8.8.3.2), of data type
// sec:clientRegCfg (12.4.2): this MAF's FQDN, the administrating stakeholder's FQDN, and the
// registration's current expiry and labels (docs/exchange.md 5).
//
//   absl::StatusOr<exchange::ClientConfigRetrievalAnswer> cfg =
//       HandleClientConfigRetrieval(ctx, session, request);
//   absl::StatusOr<exchange::ClientRegistrationUpdateAnswer> upd =
//       HandleClientRegistrationUpdate(ctx, session, update_request);
#ifndef ONEM2M_MAF_PROCEDURES_CLIENT_CONFIG_H_
#define ONEM2M_MAF_PROCEDURES_CLIENT_CONFIG_H_

#include "absl/status/statusor.h"
#include "common/exchange/maf_messages.h"
#include "maf/procedures/maf_session.h"

namespace onem2m {
namespace maf {

// HandleClientConfigRetrieval answers the configuration of the session's registration. Errors:
// InvalidArgument/4000 (mafFQDN names another MAF), PermissionDenied/4103 (not the session's
// registration, client not registered, Km revoked or expired).
absl::StatusOr<exchange::ClientConfigRetrievalAnswer> HandleClientConfigRetrieval(
    const ProcedureContext& ctx, const MafSession& session,
    const exchange::ClientConfigRetrievalRequest& request);

// HandleClientRegistrationUpdate extends or shortens the registration (capped at the Km's expiry;
// the client's keys are capped to a shorter one) and/or replaces its labels. The answer carries
// only what the request carried (Table 8.8.2.5-2 NOTE); assignedSymmKeyID never, since the Km
// does not change here (a new Km comes from a new bootstrap and a new registration). Errors as
// HandleClientConfigRetrieval, plus InvalidArgument/4000 for an expiry not in the future.
absl::StatusOr<exchange::ClientRegistrationUpdateAnswer> HandleClientRegistrationUpdate(
    const ProcedureContext& ctx, const MafSession& session,
    const exchange::ClientRegistrationUpdateRequest& request);

}  // namespace maf
}  // namespace onem2m

#endif  // ONEM2M_MAF_PROCEDURES_CLIENT_CONFIG_H_

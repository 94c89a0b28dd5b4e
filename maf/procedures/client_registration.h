// File: maf/procedures/client_registration.h
//
// MAF Client Registration (TS-0003 8.8.2.3): the Enrolee that completed the MAF handshake registers
// as a MAF client. Idempotent per Km: a second registration on the same Km returns the first.
//
//   absl::StatusOr<exchange::ClientRegistrationAnswer> a =
//       HandleClientRegistration(ctx, session, request);
//   // a->maf_client_reg_id, a->maf_client_id (= Enrolee-ID), a->expiration_time (<= Km expiry),
//   // a->assigned_symm_key_id (= KmID)
#ifndef ONEM2M_MAF_PROCEDURES_CLIENT_REGISTRATION_H_
#define ONEM2M_MAF_PROCEDURES_CLIENT_REGISTRATION_H_

#include "absl/status/statusor.h"
#include "common/exchange/maf_messages.h"
#include "maf/procedures/maf_session.h"

namespace onem2m {
namespace maf {

// HandleClientRegistration registers the session's client. The requested expirationTime, if any,
// is capped at the Km's expiry; one not in the future is InvalidArgument (4000). A revoked or
// expired Km is PermissionDenied (4103).
absl::StatusOr<exchange::ClientRegistrationAnswer> HandleClientRegistration(
    const ProcedureContext& ctx, const MafSession& session,
    const exchange::ClientRegistrationRequest& request);

}  // namespace maf
}  // namespace onem2m

#endif  // ONEM2M_MAF_PROCEDURES_CLIENT_REGISTRATION_H_

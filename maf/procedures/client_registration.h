// File: maf/procedures/client_registration.h
//
// MAF Client Registration (TS-0003 8.8.2.3, Tables 8.8.2.3-1 and -2): the Enrolee that completed
// the MAF handshake registers as a MAF client with the administrating stakeholder (adminFQDN) this
// MAF serves. Idempotent per Km: a second registration on the same Km returns the first (labels
// it carries replace the stored ones).
//
//   absl::StatusOr<exchange::ClientRegistrationAnswer> a =
//       HandleClientRegistration(ctx, session, request);
//   // a->maf_client_reg_id, a->maf_client_id (= Enrolee-ID), a->expiration_time (<= Km expiry),
//   // a->admin_fqdn, a->assigned_symm_key_id (= KmID), a->labels
#ifndef ONEM2M_MAF_PROCEDURES_CLIENT_REGISTRATION_H_
#define ONEM2M_MAF_PROCEDURES_CLIENT_REGISTRATION_H_

#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/exchange/maf_messages.h"
#include "maf/procedures/maf_session.h"

namespace onem2m {
namespace maf {

// HandleClientRegistration registers the session's client. The proposed expirationTime is capped
// at the Km's expiry; one not in the future is InvalidArgument (4000), as is a mafFQDN naming
// another MAF. An adminFQDN other than the MAF's, or a revoked or expired Km, is
// PermissionDenied (4103).
absl::StatusOr<exchange::ClientRegistrationAnswer> HandleClientRegistration(
    const ProcedureContext& ctx, const MafSession& session,
    const exchange::ClientRegistrationRequest& request);

// The procedure in two halves, for a caller that registers without waiting
// (MafStore::RegisterClientAsync; HandleClientRegistration is the two around RegisterClient):
// CheckClientRegistration checks the request against the session and returns the expiry to
// register (the proposal capped at the Km's expiry), and AnswerClientRegistration turns the
// store's answer into the procedure's. A request with labels also needs MafStore::UpdateClient.
absl::StatusOr<absl::Time> CheckClientRegistration(
    const ProcedureContext& ctx, const MafSession& session,
    const exchange::ClientRegistrationRequest& request);
absl::StatusOr<exchange::ClientRegistrationAnswer> AnswerClientRegistration(
    const ProcedureContext& ctx, const absl::StatusOr<MafClient>& client);

// LabelsOrNone maps stored labels to the answers' 0..1 labels parameter (none when empty).
std::optional<exchange::Labels> LabelsOrNone(const std::vector<std::string>& labels);

}  // namespace maf
}  // namespace onem2m

#endif  // ONEM2M_MAF_PROCEDURES_CLIENT_REGISTRATION_H_

// File: maf/procedures/key_registration.h
//
// Key Registration (TS-0003 8.8.2.7, Tables 8.8.2.7-1 and -2): a registered MAF client registers a
// symmetric key for 1..n Targets under this MAF's administrating stakeholder, for SUID 32..35
// (TS-0004 Table 6.3.4.2.39-1: the MAF-distributed symmetric keys). Without a supplied keyValue
// both sides export 48 bytes from the session with label EXPORTER-oneM2M-Connection: KcID =
// bytes 0..15, Kc = bytes 16..47, and the RelativeKeyID is HEX(KcID), so the device can compute
// the Key Identifier RelativeKeyID '@' MAF-FQDN (10.3.5) too. With a keyValue the MAF picks a
// random RelativeKeyID. The key is stored sealed (AAD = Key Identifier); its expiry is capped at
// the client's (hence the Km's). Without targetIDs the list is the Source MAF Client itself.
//
//   absl::StatusOr<exchange::KeyRegistrationAnswer> a = HandleKeyRegistration(ctx, session, req);
//   // a->relative_key_id, a->expiration_time, a->source_maf_client_id, a->target_ids, ...
#ifndef ONEM2M_MAF_PROCEDURES_KEY_REGISTRATION_H_
#define ONEM2M_MAF_PROCEDURES_KEY_REGISTRATION_H_

#include "absl/status/statusor.h"
#include "common/exchange/maf_messages.h"
#include "maf/procedures/maf_session.h"

namespace onem2m {
namespace maf {

// HandleKeyRegistration registers the key. Errors: PermissionDenied/4103 (adminFQDN not this
// MAF's stakeholder, client not registered, Km revoked or expired), InvalidArgument/4000
// (mafFQDN, SUID outside 32..35, targetIDs, expiry in the past, no keyValue and no exporter),
// AlreadyExists/4105 (the session's connection key is already registered).
absl::StatusOr<exchange::KeyRegistrationAnswer> HandleKeyRegistration(
    const ProcedureContext& ctx, const MafSession& session,
    const exchange::KeyRegistrationRequest& request);

}  // namespace maf
}  // namespace onem2m

#endif  // ONEM2M_MAF_PROCEDURES_KEY_REGISTRATION_H_

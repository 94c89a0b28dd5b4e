// File: maf/procedures/deregistration.h
//
// De-Registration (TS-0003 8.8.2.10): a client ends its own registration (and with it all its
// keys), or de-registers one key it registered.
//
//   absl::Status s = HandleDeregistration(ctx, session, req);   // OK -> RSC 2002, no body
#ifndef ONEM2M_MAF_PROCEDURES_DEREGISTRATION_H_
#define ONEM2M_MAF_PROCEDURES_DEREGISTRATION_H_

#include "absl/status/status.h"
#include "common/exchange/maf_messages.h"
#include "maf/procedures/maf_session.h"

namespace onem2m {
namespace maf {

// HandleDeregistration de-registers. Errors: InvalidArgument/4000 (neither or both selectors,
// malformed keyID), NotFound/4004 (no such active key), PermissionDenied/4103 (another client's
// registration or key, client not registered, Km revoked or expired).
absl::Status HandleDeregistration(const ProcedureContext& ctx, const MafSession& session,
                                  const exchange::DeregistrationRequest& request);

}  // namespace maf
}  // namespace onem2m

#endif  // ONEM2M_MAF_PROCEDURES_DEREGISTRATION_H_

// File: maf/procedures/deregistration.h
//
// MAF Client De-Registration (TS-0003 8.8.2.6, Table 8.8.2.6-1): a client ends its own
// registration, and with it all its keys. MAF Key De-Registration (8.8.2.10, Table 8.8.2.10-1):
// a client de-registers one key it registered. Both answer RSC 2002 with no body.
// HandleDeregistration serves the project's earlier combined request (POST /maf/deregistration),
// kept as an alias: {"mafClientRegID"} or {"keyID"}.
//
//   absl::Status s = HandleClientDeregistration(ctx, session, req);   // OK -> RSC 2002
#ifndef ONEM2M_MAF_PROCEDURES_DEREGISTRATION_H_
#define ONEM2M_MAF_PROCEDURES_DEREGISTRATION_H_

#include "absl/status/status.h"
#include "common/exchange/maf_messages.h"
#include "maf/procedures/maf_session.h"

namespace onem2m {
namespace maf {

// HandleClientDeregistration: errors InvalidArgument/4000 (mafFQDN names another MAF),
// PermissionDenied/4103 (another client's registration, client not registered, Km revoked or
// expired).
absl::Status HandleClientDeregistration(const ProcedureContext& ctx, const MafSession& session,
                                        const exchange::ClientDeregistrationRequest& request);

// HandleKeyDeregistration: errors InvalidArgument/4000 (malformed RelativeKeyID, another MAF's),
// NotFound/4004 (no such active key), PermissionDenied/4103 (another client's key, client not
// registered, Km revoked or expired).
absl::Status HandleKeyDeregistration(const ProcedureContext& ctx, const MafSession& session,
                                     const exchange::KeyDeregistrationRequest& request);

// HandleDeregistration: the alias; exactly one selector, then as the two above.
absl::Status HandleDeregistration(const ProcedureContext& ctx, const MafSession& session,
                                  const exchange::DeregistrationRequest& request);

}  // namespace maf
}  // namespace onem2m

#endif  // ONEM2M_MAF_PROCEDURES_DEREGISTRATION_H_

// File: maf/procedures/key_update.h
//
// Key Registration Update (TS-0003 8.8.2.9, Tables 8.8.2.9-1 and -2): the client that registered
// a key changes its targetIDs, labels and/or expiry. Only the registering client may; the new
// expiry is capped at the client's (hence the Km's). The answer carries only the parameters the
// request carried.
//
//   absl::StatusOr<exchange::KeyUpdateAnswer> a = HandleKeyUpdate(ctx, session, req);
#ifndef ONEM2M_MAF_PROCEDURES_KEY_UPDATE_H_
#define ONEM2M_MAF_PROCEDURES_KEY_UPDATE_H_

#include "absl/status/statusor.h"
#include "common/exchange/maf_messages.h"
#include "maf/procedures/maf_session.h"

namespace onem2m {
namespace maf {

// HandleKeyUpdate applies the update. Errors: InvalidArgument/4000 (malformed RelativeKeyID or another MAF's, targetIDs,
// expiry in the past), NotFound/4004 (no such active key), PermissionDenied/4103 (not the
// registering client, client not registered, Km revoked or expired).
absl::StatusOr<exchange::KeyUpdateAnswer> HandleKeyUpdate(const ProcedureContext& ctx,
                                                          const MafSession& session,
                                                          const exchange::KeyUpdateRequest& request);

}  // namespace maf
}  // namespace onem2m

#endif  // ONEM2M_MAF_PROCEDURES_KEY_UPDATE_H_

// File: maf/procedures/key_retrieval.h
//
// Key Retrieval (TS-0003 8.8.2.8, Tables 8.8.2.8-1 and -2) by a device-side Target over its own
// MAF session, by RelativeKeyID (or the joined Key Identifier alias): the key is served only if
// the Target's authenticated identity (its session's Enrolee-ID) is one of the key's targetIDs.
// Backend Targets use MafKeyService over gRPC instead (maf/grpc/).
//
//   absl::StatusOr<exchange::KeyRetrievalAnswer> a = HandleKeyRetrieval(ctx, session, req);
//   // a->key_value (SecretBytes), a->suid, a->expiration_time, a->source_maf_client_id, ...
#ifndef ONEM2M_MAF_PROCEDURES_KEY_RETRIEVAL_H_
#define ONEM2M_MAF_PROCEDURES_KEY_RETRIEVAL_H_

#include "absl/status/statusor.h"
#include "common/exchange/maf_messages.h"
#include "maf/procedures/maf_session.h"

namespace onem2m {
namespace maf {

// HandleKeyRetrieval returns the key. Errors: InvalidArgument/4000 (malformed RelativeKeyID or another
// MAF's), NotFound/4004 (unknown, expired, de-registered or revoked: all alike),
// PermissionDenied/4103 (the session's Enrolee-ID is not a targetID; Km revoked or expired),
// Internal/5000 (the stored key does not unseal). Registration as a MAF client is not required:
// a Target may only ever retrieve.
absl::StatusOr<exchange::KeyRetrievalAnswer> HandleKeyRetrieval(
    const ProcedureContext& ctx, const MafSession& session,
    const exchange::KeyRetrievalRequest& request);

}  // namespace maf
}  // namespace onem2m

#endif  // ONEM2M_MAF_PROCEDURES_KEY_RETRIEVAL_H_

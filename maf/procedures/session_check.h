// File: maf/procedures/session_check.h
//
// Checks every procedure makes first: the session's Km is still valid (not expired, not revoked
// since the handshake), and helpers shared by the procedures. Failures carry the oneM2M RSC the
// peer should see (exchange::WithRsc).
//
//   absl::Status s = CheckSession(ctx, session);
//   if (!s.ok()) return s;                          // 4103: the session no longer authorises
//   absl::StatusOr<MafClient> client = RequireRegisteredClient(ctx, session);
#ifndef ONEM2M_MAF_PROCEDURES_SESSION_CHECK_H_
#define ONEM2M_MAF_PROCEDURES_SESSION_CHECK_H_

#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "maf/procedures/maf_session.h"

namespace onem2m {
namespace maf {

// CheckSession returns OK if the session's Km is unexpired and its credential is still stored and
// not revoked; else PermissionDenied with RSC 4103 (kUnavailable passes through as 5000).
absl::Status CheckSession(const ProcedureContext& ctx, const MafSession& session);

// CheckSessionUnexpired is CheckSession's in-memory half, for a procedure whose own store write
// re-checks the credential atomically (Client Registration: MafStore::RegisterClient).
absl::Status CheckSessionUnexpired(const ProcedureContext& ctx, const MafSession& session);

// RequireRegisteredClient returns the session's active client registration, or PermissionDenied
// (RSC 4103) if the client has not registered (8.8.2.3) or its registration ended.
absl::StatusOr<MafClient> RequireRegisteredClient(const ProcedureContext& ctx,
                                                  const MafSession& session);

// ParseOwnKeyId returns the canonical form of a Key Identifier that names this MAF, or
// InvalidArgument (RSC 4000) for a malformed one or one of another FQDN.
absl::StatusOr<std::string> ParseOwnKeyId(const ProcedureContext& ctx, absl::string_view key_id);

}  // namespace maf
}  // namespace onem2m

#endif  // ONEM2M_MAF_PROCEDURES_SESSION_CHECK_H_

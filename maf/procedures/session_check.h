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
#include "common/exchange/maf_messages.h"
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

// CheckMafFqdn returns OK if a request's MAF-FQDN parameter names this MAF (ASCII case-insensitive:
// DNS names are), else InvalidArgument (RSC 4000).
absl::Status CheckMafFqdn(const ProcedureContext& ctx, absl::string_view maf_fqdn);

// CheckAdminFqdn returns OK if a request's adminFQDN is the administrating stakeholder this MAF
// serves (ctx.AdminFqdn()), else PermissionDenied (RSC 4103): the MAF has no authorisation from
// that stakeholder to register anything (TS-0003 8.8.1, 8.8.3.2).
absl::Status CheckAdminFqdn(const ProcedureContext& ctx, absl::string_view admin_fqdn);

// RequireOwnRegistration returns the session's active registration if `maf_client_reg_id` names
// it; another client's id, or none, is PermissionDenied (RSC 4103) whether it exists or not.
absl::StatusOr<MafClient> RequireOwnRegistration(const ProcedureContext& ctx,
                                                 const MafSession& session,
                                                 absl::string_view maf_client_reg_id);

// ResolveKeyRef returns the canonical Key Identifier of a RelativeKeyID (+ MAF-FQDN, this MAF's
// when the request carried none), or InvalidArgument (RSC 4000) as ParseOwnKeyId.
absl::StatusOr<std::string> ResolveKeyRef(const ProcedureContext& ctx, const exchange::KeyRef& ref);

// ParseOwnKeyId returns the canonical form of a Key Identifier that names this MAF, or
// InvalidArgument (RSC 4000) for a malformed one or one of another FQDN.
absl::StatusOr<std::string> ParseOwnKeyId(const ProcedureContext& ctx, absl::string_view key_id);

}  // namespace maf
}  // namespace onem2m

#endif  // ONEM2M_MAF_PROCEDURES_SESSION_CHECK_H_

// File: maf/mef_client/revocation_events.h
//
// ApplyRevocationEvent turns one event of a MEF's WatchRevocations stream (docs/protocol.md 6) into
// the KmResolver's revocation calls: the listed KeIDs, or every credential of the Enrolee-ID. Every
// kind but heartbeats revokes for good at this MAF (a re-enabled enrolee bootstraps again).
//
//   wo.on_event = [r, fqdn](const rsp::v1::RevocationEvent& e) {
//     return ApplyRevocationEvent(*r, fqdn, e);
//   };
#ifndef ONEM2M_MAF_MEF_CLIENT_REVOCATION_EVENTS_H_
#define ONEM2M_MAF_MEF_CLIENT_REVOCATION_EVENTS_H_

#include <string>

#include "absl/status/status.h"
#include "maf/km_resolver/km_resolver.h"
#include "proto/onem2m/rsp/v1/mef_credential.pb.h"

namespace onem2m::maf {

// Revokes is false for events that revoke nothing (heartbeats, unspecified).
bool Revokes(const rsp::v1::RevocationEvent& event);

// ApplyRevocationEvent returns OK once every revocation of `event` is written (OK at once for an
// event that revokes nothing), else the first store error: the caller offers the event again
// (RevocationWatcher does), which is safe because revoking is idempotent.
absl::Status ApplyRevocationEvent(KmResolver& resolver, const std::string& mef_fqdn,
                                  const rsp::v1::RevocationEvent& event);

}  // namespace onem2m::maf

#endif  // ONEM2M_MAF_MEF_CLIENT_REVOCATION_EVENTS_H_

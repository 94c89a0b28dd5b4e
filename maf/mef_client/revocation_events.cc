#include "maf/mef_client/revocation_events.h"

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/crypto/key_id.h"

namespace onem2m::maf {

bool Revokes(const rsp::v1::RevocationEvent& event) {
  using K = rsp::v1::RevocationEvent;
  return event.kind() != K::KIND_HEARTBEAT && event.kind() != K::KIND_UNSPECIFIED;
}

absl::Status ApplyRevocationEvent(KmResolver& resolver, const std::string& mef_fqdn,
                                  const rsp::v1::RevocationEvent& event) {
  if (!Revokes(event)) return absl::OkStatus();
  Revocation why{absl::StrCat("mef:", mef_fqdn), rsp::v1::RevocationEvent::Kind_Name(event.kind()),
                 absl::Now()};
  if (event.ke_ids_size() == 0) return resolver.OnRevokedEnrolee(event.enrolee_id(), why);
  // Every KeID is tried even after a failure (each drops its cached Km at once); the first error
  // is returned so the whole event is offered again.
  absl::Status first;
  for (const std::string& text : event.ke_ids()) {
    // The event is an edge: each KeID is parsed here. One that does not parse names nothing this
    // MAF can hold (its caches and store key only valid KeIDs), so there is nothing to revoke.
    absl::StatusOr<crypto::KeyId> ke_id = crypto::KeyId::Parse(text);
    if (!ke_id.ok()) continue;
    absl::Status s = resolver.OnRevokedKeId(*ke_id, why);
    if (first.ok()) first = s;
  }
  return first;
}

}  // namespace onem2m::maf

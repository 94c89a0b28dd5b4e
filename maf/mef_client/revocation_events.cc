#include "maf/mef_client/revocation_events.h"

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"

namespace onem2m::maf {

bool ApplyRevocationEvent(KmResolver& resolver, const std::string& mef_fqdn,
                          const rsp::v1::RevocationEvent& event) {
  using K = rsp::v1::RevocationEvent;
  if (event.kind() == K::KIND_HEARTBEAT || event.kind() == K::KIND_UNSPECIFIED) return false;
  Revocation why{absl::StrCat("mef:", mef_fqdn), K::Kind_Name(event.kind()), absl::Now()};
  if (event.ke_ids_size() == 0) {
    (void)resolver.OnRevokedEnrolee(event.enrolee_id(), why);
  } else {
    for (const std::string& ke_id : event.ke_ids()) (void)resolver.OnRevokedKeId(ke_id, why);
  }
  return true;
}

}  // namespace onem2m::maf

#include "maf/server/maf_psk_resolver.h"

#include <string>
#include <utility>

namespace onem2m::maf {
namespace {

// Answer pairs Km with the credential's metadata, for the session the key opens.
tls::ResolvedPsk Answer(absl::string_view identity, ResolvedKm km) {
  auto id = std::make_shared<ResolvedIdentity>();
  id->identity = std::string(identity);
  id->km_id = km.km_id;
  id->ke_id = km.ke_id;
  id->enrolee_id = km.enrolee_id;
  id->mef_fqdn = km.mef_fqdn;
  id->expires_at = km.expires_at;
  return tls::ResolvedPsk(std::move(km.km), std::move(id));
}

}  // namespace

absl::StatusOr<tls::ResolvedPsk> MafPskResolver::Resolve(absl::string_view identity) {
  absl::StatusOr<ResolvedKm> km = resolver_->Resolve(identity, absl::Now() + fetch_timeout_);
  if (!km.ok()) return km.status();
  return Answer(identity, *std::move(km));
}

void MafPskResolver::ResolveAsync(absl::string_view identity, ResolveDone done) {
  resolver_->ResolveAsync(
      identity, absl::Now() + fetch_timeout_,
      [identity = std::string(identity), done = std::move(done)](absl::StatusOr<ResolvedKm> km) {
        if (!km.ok()) {
          done(km.status());
          return;
        }
        done(Answer(identity, *std::move(km)));
      });
}

}  // namespace onem2m::maf

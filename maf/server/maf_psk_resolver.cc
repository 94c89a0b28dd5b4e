#include "maf/server/maf_psk_resolver.h"

#include <string>
#include <utility>

#include "common/handoff_table.h"

namespace onem2m::maf {
namespace {

thread_local std::optional<ResolvedIdentity> t_last;

HandoffTable<ResolvedIdentity>& Recent() {
  static HandoffTable<ResolvedIdentity>* table = new HandoffTable<ResolvedIdentity>(8192);
  return *table;
}

}  // namespace

ResolvedIdentity MafPskResolver::FromResolved(absl::string_view identity, const ResolvedKm& km) {
  ResolvedIdentity r;
  r.identity = std::string(identity);
  r.km_id = km.km_id;
  r.ke_id = km.ke_id;
  r.enrolee_id = km.enrolee_id;
  r.mef_fqdn = km.mef_fqdn;
  r.expires_at = km.expires_at;
  return r;
}

absl::StatusOr<SecretBytes> MafPskResolver::Resolve(absl::string_view identity) {
  t_last.reset();
  absl::StatusOr<ResolvedKm> km = resolver_->Resolve(identity, absl::Now() + fetch_timeout_);
  if (!km.ok()) return km.status();
  t_last = FromResolved(identity, *km);
  return std::move(km->km);
}

void MafPskResolver::ResolveAsync(absl::string_view identity, ResolveDone done) {
  t_last.reset();
  resolver_->ResolveAsync(
      identity, absl::Now() + fetch_timeout_,
      [identity = std::string(identity), done = std::move(done)](absl::StatusOr<ResolvedKm> km) {
        if (!km.ok()) {
          done(km.status());
          return;
        }
        Recent().Put(identity, FromResolved(identity, *km));
        done(std::move(km->km));
      });
}

std::optional<ResolvedIdentity> MafPskResolver::LastResolved(absl::string_view identity) {
  if (t_last.has_value() && t_last->identity == identity) return t_last;
  return Recent().Take(identity);
}

}  // namespace onem2m::maf

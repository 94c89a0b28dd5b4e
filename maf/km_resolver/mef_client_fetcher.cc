#include "maf/km_resolver/mef_client_fetcher.h"

namespace onem2m {
namespace maf {

absl::StatusOr<FetchedCredential> MefClientFetcher::Fetch(absl::string_view ke_id,
                                                           absl::Time deadline) {
  absl::StatusOr<mef::FetchedCredential> c = client_.FetchCredential(ke_id, deadline);
  if (!c.ok()) return c.status();
  if (c->maf_id != maf_fqdn_) {
    return absl::InternalError("MEF returned a Km derived for another MAF-ID");
  }
  FetchedCredential out;
  out.km = std::move(c->km);
  out.ke_id = std::move(c->ke_id);
  out.enrolee_id = std::move(c->enrolee_id);
  out.expires_at = c->expires_at;
  return out;
}

}  // namespace maf
}  // namespace onem2m

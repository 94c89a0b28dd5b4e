#include "mef/admin/admin_authorizer.h"

#include "absl/status/status.h"

namespace onem2m {
namespace mef {

absl::StatusOr<std::string> AdminAuthorizer::Authorize(
    const std::vector<std::string>& peer_dns_names) const {
  if (peer_dns_names.empty()) {
    return absl::UnauthenticatedError("no verified client certificate with a DNS name");
  }
  for (const std::string& name : peer_dns_names) {
    if (admins_.count(name) != 0) return name;
  }
  // The caller's own names are safe to echo: they come from its certificate.
  return absl::PermissionDeniedError("caller " + peer_dns_names.front() +
                                     " is not an MEF administrator");
}

}  // namespace mef
}  // namespace onem2m

// File: mef/admin/admin_authorizer.h
//
// AdminAuthorizer decides whether an mTLS caller may use MefAdminService: one of the DNS names in
// its verified client certificate must be in the configured admin allow-list (mef_admin.proto).
// It is separate from the service so the rule is testable without gRPC and the same check can
// guard other admin ports.
//
//   AdminAuthorizer auth({"ops.example.com", "import.example.com"});
//   absl::StatusOr<std::string> who = auth.Authorize(PeerDnsNames(*context));
//   if (!who.ok()) return ToGrpcStatus(who.status());   // UNAUTHENTICATED / PERMISSION_DENIED
#ifndef ONEM2M_MEF_ADMIN_ADMIN_AUTHORIZER_H_
#define ONEM2M_MEF_ADMIN_ADMIN_AUTHORIZER_H_

#include <set>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace onem2m {
namespace mef {

class AdminAuthorizer {
 public:
  explicit AdminAuthorizer(std::set<std::string> admin_identities)
      : admins_(std::move(admin_identities)) {}

  // Authorize returns the first peer name that is an admin (the identity recorded in audits);
  // UNAUTHENTICATED when `peer_dns_names` is empty (no verified client certificate);
  // PERMISSION_DENIED otherwise. Names compare exactly (DNS names in certificates are lower case
  // by this project's rules).
  absl::StatusOr<std::string> Authorize(const std::vector<std::string>& peer_dns_names) const;

 private:
  const std::set<std::string> admins_;
};

}  // namespace mef
}  // namespace onem2m

#endif  // ONEM2M_MEF_ADMIN_ADMIN_AUTHORIZER_H_

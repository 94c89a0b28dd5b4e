#include "services/common/mef_fqdn.h"

#include "absl/strings/str_cat.h"

namespace onem2m::services {

absl::Status CheckMefFqdnFitsKeyId(absl::string_view fqdn) {
  if (fqdn.size() <= kMaxMefFqdnBytes) return absl::OkStatus();
  return absl::InvalidArgumentError(absl::StrCat("is ", fqdn.size(), " bytes; at most ",
                                                 kMaxMefFqdnBytes,
                                                 " so that a KeID fits OpenSSL's 256-byte "
                                                 "psk_identity"));
}

}  // namespace onem2m::services

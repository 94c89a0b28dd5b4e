// File: services/common/mef_fqdn.h
//
// A KeID is 32 hex digits, '@' and the MEF-FQDN (docs/protocol.md 2), and a device sends it to the
// MAF as its psk_identity, which OpenSSL caps at 256 bytes. CheckMefFqdnFitsKeyId refuses a
// --mef_fqdn that would make every enrolment unusable at the MAF.
//
//   if (absl::Status s = CheckMefFqdnFitsKeyId(fqdn); !s.ok()) setup.Die("mef_fqdn", s);
#ifndef ONEM2M_SERVICES_COMMON_MEF_FQDN_H_
#define ONEM2M_SERVICES_COMMON_MEF_FQDN_H_

#include <cstddef>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace onem2m::services {

// kMaxMefFqdnBytes is 256 - len("<32 hex digits>@").
inline constexpr size_t kMaxMefFqdnBytes = 256 - 33;

// CheckMefFqdnFitsKeyId returns OK if `fqdn` is at most kMaxMefFqdnBytes long, else
// kInvalidArgument giving its length and the limit. It does not check the FQDN's syntax
// (ServiceSetup::RequireFqdn does).
absl::Status CheckMefFqdnFitsKeyId(absl::string_view fqdn);

}  // namespace onem2m::services

#endif  // ONEM2M_SERVICES_COMMON_MEF_FQDN_H_

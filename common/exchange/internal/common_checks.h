// File: common/exchange/internal/common_checks.h
//
// Checks shared by the HTTP and CoAP adapters, so both bindings accept exactly the same requests.
#ifndef ONEM2M_COMMON_EXCHANGE_INTERNAL_COMMON_CHECKS_H_
#define ONEM2M_COMMON_EXCHANGE_INTERNAL_COMMON_CHECKS_H_

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "common/exchange/message.h"

namespace onem2m {
namespace exchange {
namespace internal {

// CheckRequestId requires 1..kMaxRequestIdLength printable ASCII bytes.
absl::Status CheckRequestId(absl::string_view request_id);

// CheckOriginator allows empty, else 1..256 printable ASCII bytes.
absl::Status CheckOriginator(absl::string_view originator);

// CheckReleaseVersion refuses a Release Version Indicator outside IsSupportedReleaseVersion
// with RSC 4001 RELEASE_VERSION_NOT_SUPPORTED (TS-0004 7.3.2.1).
absl::Status CheckReleaseVersion(absl::string_view release_version);

// IsJsonMediaType accepts "application/json" in any case, optionally followed by parameters.
bool IsJsonMediaType(absl::string_view content_type);

// ResponseBodyFromText parses a response body: empty -> null, else a strict JSON object.
absl::StatusOr<nlohmann::json> ResponseBodyFromText(absl::string_view text);

}  // namespace internal
}  // namespace exchange
}  // namespace onem2m

#endif  // ONEM2M_COMMON_EXCHANGE_INTERNAL_COMMON_CHECKS_H_

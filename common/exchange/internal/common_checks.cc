#include "common/exchange/internal/common_checks.h"

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/exchange/http_adapter.h"
#include "common/exchange/internal/json_fields.h"
#include "common/exchange/rsc.h"

namespace onem2m {
namespace exchange {
namespace internal {
namespace {

bool IsPrintableAscii(absl::string_view s) {
  for (char c : s) {
    if (c < 0x21 || c > 0x7e) return false;
  }
  return true;
}

}  // namespace

absl::Status CheckRequestId(absl::string_view request_id) {
  if (request_id.empty()) {
    return absl::InvalidArgumentError("request identifier (X-M2M-RI / oneM2M-RQI) is required");
  }
  if (request_id.size() > kMaxRequestIdLength || !IsPrintableAscii(request_id)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "request identifier must be 1..", kMaxRequestIdLength, " printable ASCII characters"));
  }
  return absl::OkStatus();
}

absl::Status CheckOriginator(absl::string_view originator) {
  if (originator.empty()) return absl::OkStatus();
  if (originator.size() > kMaxIdLength || !IsPrintableAscii(originator)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "originator (X-M2M-Origin / oneM2M-FR) must be 1..", kMaxIdLength,
        " printable ASCII characters"));
  }
  return absl::OkStatus();
}

absl::Status CheckReleaseVersion(absl::string_view release_version) {
  if (IsSupportedReleaseVersion(release_version)) return absl::OkStatus();
  return WithRsc(absl::InvalidArgumentError(absl::StrCat(
                     "release version \"", absl::CHexEscape(release_version.substr(0, 16)),
                     "\" is not supported; this service serves 1, 2, 2a and 3")),
                 kRscReleaseVersionNotSupported);
}

bool IsJsonMediaType(absl::string_view content_type) {
  absl::string_view media = content_type.substr(0, content_type.find(';'));
  return absl::EqualsIgnoreCase(absl::StripAsciiWhitespace(media), kJsonMediaType);
}

absl::StatusOr<nlohmann::json> ResponseBodyFromText(absl::string_view text) {
  if (text.empty()) return nlohmann::json();
  return ParseStrictJson(text);
}

}  // namespace internal
}  // namespace exchange
}  // namespace onem2m

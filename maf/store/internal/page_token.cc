#include "maf/store/internal/page_token.h"

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"

namespace onem2m {
namespace maf {
namespace internal {
namespace {

// FilterTag is stable within one build; tokens are short-lived, so a hash that changes across
// releases only makes an old token fail cleanly with kInvalidArgument.
std::string FilterTag(absl::string_view filter) {
  uint64_t h = 1469598103934665603ULL;  // FNV-1a: stable across processes, unlike absl::Hash
  for (char c : filter) {
    h ^= static_cast<unsigned char>(c);
    h *= 1099511628211ULL;
  }
  return absl::StrCat(h);
}

}  // namespace

std::string EncodePageToken(absl::string_view filter, absl::string_view last_key) {
  return absl::WebSafeBase64Escape(absl::StrCat("v1\n", FilterTag(filter), "\n", last_key));
}

absl::StatusOr<std::string> DecodePageToken(absl::string_view token, absl::string_view filter) {
  if (token.empty()) return std::string();
  std::string raw;
  if (!absl::WebSafeBase64Unescape(token, &raw)) {
    return absl::InvalidArgumentError("malformed page token");
  }
  const std::string prefix = absl::StrCat("v1\n", FilterTag(filter), "\n");
  if (raw.size() <= prefix.size() || raw.compare(0, prefix.size(), prefix) != 0) {
    return absl::InvalidArgumentError("page token does not match this request");
  }
  return raw.substr(prefix.size());
}

}  // namespace internal
}  // namespace maf
}  // namespace onem2m

#include "mef/admin/page_token.h"

#include "absl/status/status.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"

namespace onem2m {
namespace mef {
namespace {
// The version prefix lets a later format be told apart from this one.
constexpr absl::string_view kVersion = "a1";
}  // namespace

std::string EncodePageToken(absl::string_view filter_key, absl::string_view store_token) {
  if (store_token.empty()) return "";
  return absl::WebSafeBase64Escape(
      absl::StrCat(kVersion, "\n", filter_key.size(), "\n", filter_key, store_token));
}

absl::StatusOr<std::string> DecodePageToken(absl::string_view token,
                                            absl::string_view filter_key) {
  if (token.empty()) return std::string();
  std::string raw;
  if (!absl::WebSafeBase64Unescape(token, &raw)) {
    return absl::InvalidArgumentError("page_token: malformed");
  }
  const std::string head = absl::StrCat(kVersion, "\n", filter_key.size(), "\n", filter_key);
  if (raw.size() <= head.size() || raw.compare(0, head.size(), head) != 0) {
    return absl::InvalidArgumentError(
        "page_token: malformed, or made for a different filter (pass it back with the same "
        "filter)");
  }
  return raw.substr(head.size());
}

}  // namespace mef
}  // namespace onem2m

#include "common/paging/page_token.h"

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"

namespace onem2m::paging {
namespace {

// The version prefix lets a later format be told apart; the filter's length makes the boundary
// between filter and key unambiguous.
std::string Head(absl::string_view filter) {
  return absl::StrCat("p1\n", filter.size(), "\n", filter);
}

}  // namespace

std::string EncodePageToken(absl::string_view filter, absl::string_view last_key) {
  if (last_key.empty()) return "";
  return absl::WebSafeBase64Escape(absl::StrCat(Head(filter), last_key));
}

absl::StatusOr<std::string> DecodePageToken(absl::string_view token, absl::string_view filter) {
  if (token.empty()) return std::string();
  std::string raw;
  if (!absl::WebSafeBase64Unescape(token, &raw)) {
    return absl::InvalidArgumentError("page_token: malformed");
  }
  const std::string head = Head(filter);
  if (raw.size() <= head.size() || raw.compare(0, head.size(), head) != 0) {
    return absl::InvalidArgumentError(
        "page_token: malformed, or made for a different filter (pass it back with the same "
        "filter)");
  }
  return raw.substr(head.size());
}

int ClampPageSize(int requested) {
  if (requested <= 0) return 100;
  return requested > 1000 ? 1000 : requested;
}

}  // namespace onem2m::paging

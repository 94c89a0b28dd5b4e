// File: common/paging/page_token.h
//
// Keyset pagination shared by the list APIs (MEF admin, MAF store and admin). A page token carries
// the last key of the previous page bound to the request's filter, so a token replayed with another
// filter is refused (common.proto: "a malformed or mismatched token is INVALID_ARGUMENT") instead
// of silently skipping rows. Tokens are opaque, web-safe and short-lived: a format change only
// makes old tokens fail cleanly.
//
//   std::string token = EncodePageToken("clients|state=active", last.maf_client_reg_id);
//   absl::StatusOr<std::string> after = DecodePageToken(request.page_token, "clients|state=active");
#ifndef ONEM2M_COMMON_PAGING_PAGE_TOKEN_H_
#define ONEM2M_COMMON_PAGING_PAGE_TOKEN_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace onem2m::paging {

// EncodePageToken returns "" for an empty `last_key` (no further page), else the token binding
// `filter` and `last_key`.
std::string EncodePageToken(absl::string_view filter, absl::string_view last_key);

// DecodePageToken returns "" for an empty token (first page), the last key for a token made with
// the same `filter`, else kInvalidArgument "page_token: ...".
absl::StatusOr<std::string> DecodePageToken(absl::string_view token, absl::string_view filter);

// ClampPageSize maps a requested page size to 1..1000 (0 or less: 100).
int ClampPageSize(int requested);

}  // namespace onem2m::paging

#endif  // ONEM2M_COMMON_PAGING_PAGE_TOKEN_H_

// File: mef/admin/page_token.h
//
// The admin API's page tokens wrap the store's keyset token together with the request's filter,
// so a token replayed with a different filter is refused (common.proto: "a malformed or
// mismatched token is INVALID_ARGUMENT") instead of silently skipping rows.
//
//   std::string token = EncodePageToken("state=1;maf=", store_response.next_page_token);
//   absl::StatusOr<std::string> store_token = DecodePageToken(request.page_token(), "state=1;maf=");
#ifndef ONEM2M_MEF_ADMIN_PAGE_TOKEN_H_
#define ONEM2M_MEF_ADMIN_PAGE_TOKEN_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace onem2m {
namespace mef {

// EncodePageToken returns "" for an empty `store_token` (last page), else an opaque web-safe
// token binding `filter_key` and `store_token`.
std::string EncodePageToken(absl::string_view filter_key, absl::string_view store_token);

// DecodePageToken returns "" for an empty token (first page), the store token for a token made
// with the same `filter_key`, else INVALID_ARGUMENT "page_token: ...".
absl::StatusOr<std::string> DecodePageToken(absl::string_view token, absl::string_view filter_key);

}  // namespace mef
}  // namespace onem2m

#endif  // ONEM2M_MEF_ADMIN_PAGE_TOKEN_H_

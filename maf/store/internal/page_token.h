// File: maf/store/internal/page_token.h
//
// Opaque keyset-pagination tokens for MafStore list calls. A token carries the last primary key of
// the page and a fingerprint of the filter it was made for, so a token reused with another filter
// is rejected (common.proto: "a malformed or mismatched token is INVALID_ARGUMENT").
//
//   std::string t = EncodePageToken("clients|active|", last_reg_id);
//   absl::StatusOr<std::string> after = DecodePageToken(t, "clients|active|");
#ifndef ONEM2M_MAF_STORE_INTERNAL_PAGE_TOKEN_H_
#define ONEM2M_MAF_STORE_INTERNAL_PAGE_TOKEN_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace onem2m {
namespace maf {
namespace internal {

// EncodePageToken returns a web-safe token for (filter, last_key).
std::string EncodePageToken(absl::string_view filter, absl::string_view last_key);

// DecodePageToken returns the last key, or kInvalidArgument if `token` is malformed or was made for
// another filter. An empty token decodes to "" (first page).
absl::StatusOr<std::string> DecodePageToken(absl::string_view token, absl::string_view filter);

}  // namespace internal
}  // namespace maf
}  // namespace onem2m

#endif  // ONEM2M_MAF_STORE_INTERNAL_PAGE_TOKEN_H_

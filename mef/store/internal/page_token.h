// File: mef/store/internal/page_token.h
//
// Page tokens for keyset pagination, shared by the store implementations. A token is the last key
// of the previous page, hex-encoded so it is opaque to callers and safe in any transport.
//
//   std::string token = EncodePageToken(last.kpm_id);
//   std::string after;
//   absl::Status s = DecodePageToken(request.page_token, &after);  // kInvalidArgument if garbled
#ifndef ONEM2M_MEF_STORE_INTERNAL_PAGE_TOKEN_H_
#define ONEM2M_MEF_STORE_INTERNAL_PAGE_TOKEN_H_

#include <string>

#include "absl/status/status.h"
#include "absl/strings/escaping.h"
#include "absl/strings/string_view.h"
#include "common/paging/page_token.h"

namespace onem2m {
namespace mef {
namespace internal {

inline std::string EncodePageToken(absl::string_view last_key) {
  return absl::BytesToHexString(last_key);
}

// DecodePageToken sets `out_after` to the key after which the next page starts ("" for none).
inline absl::Status DecodePageToken(absl::string_view token, std::string* out_after) {
  out_after->clear();
  if (token.empty()) return absl::OkStatus();
  if (token.size() % 2 != 0 || token.find_first_not_of("0123456789abcdefABCDEF") !=
                                   absl::string_view::npos) {
    return absl::InvalidArgumentError("invalid page token");
  }
  *out_after = absl::HexStringToBytes(token);
  return absl::OkStatus();
}

// ClampPageSize: the one page-size rule of every list API (common/paging).
using paging::ClampPageSize;

}  // namespace internal
}  // namespace mef
}  // namespace onem2m

#endif  // ONEM2M_MEF_STORE_INTERNAL_PAGE_TOKEN_H_

// File: common/http/parse_result.h
//
// FeedResult is what an incremental parser reports after each chunk of input.
//
//   absl::StatusOr<FeedResult> r = parser.Feed(bytes);
//   if (!r.ok()) { /* answer parser.error_http_status() and close */ }
//   else if (r->state == ParseState::kComplete) { /* bytes.substr(r->consumed) belong to the next message */ }
#ifndef ONEM2M_COMMON_HTTP_PARSE_RESULT_H_
#define ONEM2M_COMMON_HTTP_PARSE_RESULT_H_

#include <cstddef>

namespace onem2m {
namespace http {

enum class ParseState {
  kNeedMore,  // the message is not complete yet; feed more bytes
  kComplete,  // a whole message is available
};

struct FeedResult {
  ParseState state = ParseState::kNeedMore;
  // consumed counts the input bytes that belong to this message. When state is kComplete, the
  // rest of the input (a pipelined message, or garbage) was not looked at.
  size_t consumed = 0;
};

}  // namespace http
}  // namespace onem2m

#endif  // ONEM2M_COMMON_HTTP_PARSE_RESULT_H_

// File: common/http/response_parser.h
//
// ResponseParser is the client side's incremental HTTP/1.1 response parser, built on http-parser.
// Unlike requests, responses may be chunked or delimited by the end of the stream (call
// FinishAtEof() when the peer closes); the same HttpLimits apply to the head and decoded body.
//
//   ResponseParser parser;
//   while (true) {
//     absl::StatusOr<FeedResult> r = n > 0 ? parser.Feed(chunk) : parser.FinishAtEof();
//     if (!r.ok()) return r.status();
//     if (r->state == ParseState::kComplete) break;
//   }
//   absl::StatusOr<HttpResponse> response = parser.TakeResponse();
//
// Thread-compatible: one parser per connection.
#ifndef ONEM2M_COMMON_HTTP_RESPONSE_PARSER_H_
#define ONEM2M_COMMON_HTTP_RESPONSE_PARSER_H_

#include <memory>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "common/http/http_message.h"
#include "common/http/parse_result.h"

namespace onem2m {
namespace http {

namespace internal {
class MessageParser;
}  // namespace internal

class ResponseParser {
 public:
  explicit ResponseParser(HttpLimits limits = HttpLimits());
  ~ResponseParser();
  ResponseParser(ResponseParser&&) noexcept;
  ResponseParser& operator=(ResponseParser&&) noexcept;

  // Feed parses `bytes`; see RequestParser::Feed. Errors are sticky.
  absl::StatusOr<FeedResult> Feed(absl::string_view bytes);

  // FinishAtEof tells the parser the peer closed the stream. It completes a response whose body
  // runs to the end of the stream and fails with kInvalidArgument for a truncated one.
  absl::StatusOr<FeedResult> FinishAtEof();

  // TakeResponse moves out the parsed response; kFailedPrecondition unless complete.
  absl::StatusOr<HttpResponse> TakeResponse();

  // Reset forgets everything, keeping the limits.
  void Reset();

 private:
  HttpLimits limits_;
  std::unique_ptr<internal::MessageParser> impl_;
};

}  // namespace http
}  // namespace onem2m

#endif  // ONEM2M_COMMON_HTTP_RESPONSE_PARSER_H_

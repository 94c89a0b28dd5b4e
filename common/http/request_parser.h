// File: common/http/request_parser.h
//
// RequestParser is the server side's incremental HTTP/1.1 request parser, built on http-parser.
// Feed it bytes as they come out of TLS; it says "need more", "complete" or fails with a Status and
// the HTTP status to answer before closing.
//
// Rules (see docs/exchange.md): the head (request line and headers) is at most
// HttpLimits::max_header_bytes (8 KiB); a body needs Content-Length and is at most
// HttpLimits::max_body_bytes (64 KiB); Transfer-Encoding (chunked) on a request is refused with 411,
// CONNECT and Upgrade with 501, non-1.x versions with 505. A request without Content-Length has an
// empty body.
//
//   RequestParser parser;
//   absl::StatusOr<FeedResult> r = parser.Feed(chunk);
//   if (!r.ok()) { SendStatus(parser.error_http_status()); Close(); }
//   else if (r->state == ParseState::kComplete) {
//     absl::StatusOr<HttpRequest> request = parser.TakeRequest();
//     ...
//   }
//
// Thread-compatible: one parser per connection.
#ifndef ONEM2M_COMMON_HTTP_REQUEST_PARSER_H_
#define ONEM2M_COMMON_HTTP_REQUEST_PARSER_H_

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

class RequestParser {
 public:
  explicit RequestParser(HttpLimits limits = HttpLimits());
  ~RequestParser();
  RequestParser(RequestParser&&) noexcept;
  RequestParser& operator=(RequestParser&&) noexcept;

  // Feed parses `bytes`, which follow whatever was fed before. After kComplete it consumes nothing
  // more; call Reset() to parse a pipelined next request from the unconsumed tail. Errors are
  // sticky: every later call returns the same Status.
  absl::StatusOr<FeedResult> Feed(absl::string_view bytes);

  // TakeRequest moves out the parsed request. It fails with kFailedPrecondition unless Feed
  // reported kComplete.
  absl::StatusOr<HttpRequest> TakeRequest();

  // error_http_status is the HTTP status that fits the last Feed error (400, 411, 413, 431, 501,
  // 505), or 0 when there was none.
  int error_http_status() const;

  // Reset forgets everything, keeping the limits.
  void Reset();

 private:
  HttpLimits limits_;
  std::unique_ptr<internal::MessageParser> impl_;
};

}  // namespace http
}  // namespace onem2m

#endif  // ONEM2M_COMMON_HTTP_REQUEST_PARSER_H_

// File: common/http/internal/message_parser.h
//
// MessageParser drives one http-parser (nodejs http-parser 2.9) instance for either a request or a
// response and enforces HttpLimits. It is the shared engine behind RequestParser and
// ResponseParser; use those instead.
//
// It pauses http-parser when the head ends (to measure the head exactly) and when the message ends
// (so bytes of a pipelined next message are left unconsumed for the caller).
#ifndef ONEM2M_COMMON_HTTP_INTERNAL_MESSAGE_PARSER_H_
#define ONEM2M_COMMON_HTTP_INTERNAL_MESSAGE_PARSER_H_

#include <http_parser.h>

#include <cstddef>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "common/http/http_message.h"
#include "common/http/parse_result.h"

namespace onem2m {
namespace http {
namespace internal {

class MessageParser {
 public:
  // `type` is HTTP_REQUEST or HTTP_RESPONSE. Requests must frame bodies with Content-Length;
  // responses may also be chunked or delimited by end of stream.
  MessageParser(http_parser_type type, HttpLimits limits);
  // http_parser keeps a pointer to this object.
  MessageParser(const MessageParser&) = delete;
  MessageParser& operator=(const MessageParser&) = delete;

  absl::StatusOr<FeedResult> Feed(absl::string_view bytes);
  absl::StatusOr<FeedResult> FinishAtEof();

  bool complete() const { return message_complete_; }
  int error_http_status() const { return error_http_status_; }

  const std::string& url() const { return url_; }
  const std::string& reason() const { return reason_; }
  std::vector<HttpHeader>& headers() { return headers_; }
  std::string& body() { return body_; }
  const http_parser& raw() const { return parser_; }

 private:
  static int OnUrl(http_parser* p, const char* at, size_t len);
  static int OnStatus(http_parser* p, const char* at, size_t len);
  static int OnHeaderField(http_parser* p, const char* at, size_t len);
  static int OnHeaderValue(http_parser* p, const char* at, size_t len);
  static int OnHeadersComplete(http_parser* p);
  static int OnBody(http_parser* p, const char* at, size_t len);
  static int OnMessageComplete(http_parser* p);

  // Fail records the first error; later calls keep it, so Feed reports the root cause.
  int Fail(absl::Status status, int http_status);
  bool AddHeadBytes(size_t len);
  int CheckHead();

  http_parser parser_;
  http_parser_settings settings_;
  const bool is_request_;
  const HttpLimits limits_;

  absl::Status error_;
  int error_http_status_ = 0;
  bool headers_complete_ = false;
  bool message_complete_ = false;
  size_t head_bytes_ = 0;       // bytes consumed by http_parser before the head ended
  size_t head_data_bytes_ = 0;  // bytes delivered to head callbacks (bounds memory within one Feed)
  bool in_header_value_ = false;

  std::string url_;
  std::string reason_;
  std::vector<HttpHeader> headers_;
  std::string body_;
};

}  // namespace internal
}  // namespace http
}  // namespace onem2m

#endif  // ONEM2M_COMMON_HTTP_INTERNAL_MESSAGE_PARSER_H_

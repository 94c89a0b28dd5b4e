// File: common/http/http_message.h
//
// Plain HTTP/1.1 message structs shared by the parsers (request_parser.h, response_parser.h) and the
// serializer (serializer.h). They carry no I/O and no oneM2M meaning; common/exchange maps them to
// oneM2M requests and responses.
//
//   HttpRequest request;
//   request.method = "POST";
//   request.target = "/enrolment";
//   request.headers.push_back({"X-M2M-Origin", "C-device-1"});
//   if (const std::string* ri = FindHeader(request.headers, "x-m2m-ri")) { ... }
#ifndef ONEM2M_COMMON_HTTP_HTTP_MESSAGE_H_
#define ONEM2M_COMMON_HTTP_HTTP_MESSAGE_H_

#include <cstddef>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"

namespace onem2m {
namespace http {

// HttpLimits bounds what a parser buffers, so a peer inside an authenticated session still cannot
// make the server hold more than a few tens of KiB per connection.
struct HttpLimits {
  // Request or status line plus all header lines, including their CRLFs.
  size_t max_header_bytes = 8 * 1024;
  // Decoded body bytes.
  size_t max_body_bytes = 64 * 1024;
};

// HttpHeader keeps the name as received; lookups are case-insensitive (RFC 9110 5.1).
struct HttpHeader {
  std::string name;
  std::string value;
};

struct HttpRequest {
  std::string method;  // upper case, e.g. "POST"
  std::string target;  // request-target as sent, e.g. "/maf/keys"
  std::vector<HttpHeader> headers;
  std::string body;
  // keep_alive is false when the client asked the server to close the connection after the
  // answer: "Connection: close", or HTTP/1.0 without "Connection: keep-alive" (RFC 9112 9.3,
  // 9.6). Set by RequestParser; the serializer ignores it.
  bool keep_alive = true;
};

struct HttpResponse {
  int status = 200;
  // reason is optional when serialising: empty means the standard phrase for `status`, or none
  // at all with omit_reason.
  std::string reason;
  std::vector<HttpHeader> headers;
  std::string body;
  // omit_reason writes the status line with an empty reason phrase, "HTTP/1.1 201 " (RFC 9112 4
  // allows it; TS-0009 V3.9.1 6.3.3 requires it of oneM2M answers). Needs an empty `reason`.
  bool omit_reason = false;
};

// FindHeader returns the value of the first header called `name` (case-insensitive), or nullptr.
// The pointer is valid while `headers` is unchanged.
const std::string* FindHeader(const std::vector<HttpHeader>& headers, absl::string_view name);

// CountHeader returns how many headers are called `name`, so callers can reject duplicates of
// headers that must be unique (X-M2M-Origin, X-M2M-RI).
size_t CountHeader(const std::vector<HttpHeader>& headers, absl::string_view name);

}  // namespace http
}  // namespace onem2m

#endif  // ONEM2M_COMMON_HTTP_HTTP_MESSAGE_H_

// File: common/http/serializer.h
//
// Serialises HttpRequest (client side) and HttpResponse (server side) to HTTP/1.1 bytes. The
// serializer writes Content-Length itself, so callers must not set Content-Length or
// Transfer-Encoding; it refuses names and values that could split a header (CR, LF, NUL) rather
// than escaping them.
//
//   HttpResponse response{201, "", {{"X-M2M-RSC", "2001"}, {"Content-Type", "application/json"}},
//                         body};
//   absl::StatusOr<std::string> bytes = SerializeResponse(response);
#ifndef ONEM2M_COMMON_HTTP_SERIALIZER_H_
#define ONEM2M_COMMON_HTTP_SERIALIZER_H_

#include <string>

#include "absl/status/statusor.h"
#include "common/http/http_message.h"

namespace onem2m {
namespace http {

// SerializeRequest returns "METHOD target HTTP/1.1", the headers, Content-Length and the body.
// kInvalidArgument names the bad method, target or header. Content-Length is written for every
// request, even an empty body, so the server never waits for more.
absl::StatusOr<std::string> SerializeRequest(const HttpRequest& request);

// SerializeResponse returns "HTTP/1.1 status reason", the headers, Content-Length and the body.
// An empty reason is replaced by the standard phrase, unless omit_reason asks for none (the
// status line then ends "HTTP/1.1 201 \r\n", the space kept as RFC 9112 4 requires).
// kInvalidArgument for a status outside 100..599, a bad header, or omit_reason with a reason.
absl::StatusOr<std::string> SerializeResponse(const HttpResponse& response);

}  // namespace http
}  // namespace onem2m

#endif  // ONEM2M_COMMON_HTTP_SERIALIZER_H_

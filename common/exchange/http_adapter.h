// File: common/exchange/http_adapter.h
//
// Maps oneM2M requests and responses to and from HTTP/1.1 (TS-0009 binding): X-M2M-Origin,
// X-M2M-RI, X-M2M-RSC, Content-Type application/json. Server side: RequestFromHttp and
// ResponseToHttp; client side: RequestToHttp and ResponseFromHttp.
//
//   absl::StatusOr<Request> request = RequestFromHttp(http_request);
//   Response response = request.ok() ? Handle(*request) : ErrorResponse(request.status());
//   const std::string* ri = http::FindHeader(http_request.headers, kHeaderRequestId);
//   absl::StatusOr<std::string> bytes =
//       http::SerializeResponse(ResponseToHttp(response, ri ? *ri : ""));
#ifndef ONEM2M_COMMON_EXCHANGE_HTTP_ADAPTER_H_
#define ONEM2M_COMMON_EXCHANGE_HTTP_ADAPTER_H_

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "common/exchange/message.h"
#include "common/http/http_message.h"

namespace onem2m {
namespace exchange {

inline constexpr absl::string_view kHeaderOrigin = "X-M2M-Origin";
inline constexpr absl::string_view kHeaderRequestId = "X-M2M-RI";
inline constexpr absl::string_view kHeaderRsc = "X-M2M-RSC";
inline constexpr size_t kMaxRequestIdLength = 128;

// RequestFromHttp validates and converts a parsed HTTP request. kInvalidArgument (RSC 4000) for a
// missing or repeated X-M2M-RI, a repeated X-M2M-Origin, a query string, a body without
// Content-Type application/json (parameters such as charset=utf-8 are accepted); RSC 4005 for a
// method other than GET, POST, PUT, DELETE.
absl::StatusOr<Request> RequestFromHttp(const http::HttpRequest& request);

// ResponseToHttp builds the HTTP response: status from HttpStatusForRsc, X-M2M-RSC, X-M2M-RI
// (when `request_id` is non-empty and printable) and, with a body, Content-Type.
http::HttpResponse ResponseToHttp(const Response& response, absl::string_view request_id);

// RequestToHttp builds the client's HTTP request with Host `host`. kInvalidArgument when the
// request id is empty or too long.
absl::StatusOr<http::HttpRequest> RequestToHttp(const Request& request, absl::string_view host);

// ResponseFromHttp reads a server's answer: RSC from X-M2M-RSC (else guessed from the status) and
// the body as a strict JSON object (null when empty). kInvalidArgument for a malformed X-M2M-RSC,
// a non-JSON Content-Type, or a bad body.
absl::StatusOr<Response> ResponseFromHttp(const http::HttpResponse& response);

}  // namespace exchange
}  // namespace onem2m

#endif  // ONEM2M_COMMON_EXCHANGE_HTTP_ADAPTER_H_

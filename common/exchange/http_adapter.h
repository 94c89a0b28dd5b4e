// File: common/exchange/http_adapter.h
//
// Maps oneM2M requests and responses to and from HTTP/1.1 (TS-0009 V3.9.1 binding): X-M2M-Origin
// (6.4.7), X-M2M-RI (6.4.8), X-M2M-RSC (6.4.17), X-M2M-RVI (6.4.22), Content-Type
// application/json (6.4.3), no reason phrase (6.3.3). Server side: RequestFromHttp and
// AnswerHttp (or ResponseToHttp); client side: RequestToHttp and ResponseFromHttp. The binding
// is docs/protocol.md 4; the exact headers and codes are in docs/exchange.md 2 and 4.
//
//   absl::StatusOr<Request> request = RequestFromHttp(http_request);
//   Response response = request.ok() ? Handle(*request) : ErrorResponse(request.status());
//   absl::StatusOr<std::string> bytes = http::SerializeResponse(AnswerHttp(http_request, response));
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
inline constexpr absl::string_view kHeaderRvi = "X-M2M-RVI";
inline constexpr size_t kMaxRequestIdLength = 128;

// RequestFromHttp validates and converts a parsed HTTP request. kInvalidArgument with RSC 4000 for
// a missing or repeated X-M2M-RI, a repeated X-M2M-Origin, X-M2M-RVI or Content-Type, a query
// string; RSC 4005 for a method other than GET, POST, PUT, DELETE; RSC 4015
// (UNSUPPORTED_MEDIA_TYPE) for a body without Content-Type application/json (parameters such as
// charset=utf-8 are accepted); RSC 4001 for an X-M2M-RVI outside IsSupportedReleaseVersion. A
// request without X-M2M-RVI is from a Release 1 originator (TS-0004 7.3.2.1): release_version is
// kReleaseVersion1.
absl::StatusOr<Request> RequestFromHttp(const http::HttpRequest& request);

// ResponseToHttp builds the HTTP response: status from HttpStatusForRsc with no reason phrase,
// X-M2M-RSC, X-M2M-RI (when `request_id` is non-empty and printable), X-M2M-RVI =
// `release_version` unless that is kReleaseVersion1 (TS-0004 7.3.3.12: none to a Release 1
// entity) and, with a body, Content-Type.
http::HttpResponse ResponseToHttp(const Response& response, absl::string_view request_id,
                                  absl::string_view release_version = kReleaseVersion);

// AnswerHttp is ResponseToHttp for the answer to `request`, which need not have passed
// RequestFromHttp: it echoes the request's X-M2M-RI and X-M2M-RVI (a supported one; none for a
// request without, kReleaseVersion for an unsupported or repeated one).
http::HttpResponse AnswerHttp(const http::HttpRequest& request, const Response& response);

// RequestToHttp builds the client's HTTP request with Host `host` and X-M2M-RVI =
// request.release_version (none for kReleaseVersion1). kInvalidArgument when the request id is
// empty or too long, or the release version unsupported.
absl::StatusOr<http::HttpRequest> RequestToHttp(const Request& request, absl::string_view host);

// ResponseFromHttp reads a server's answer: RSC from X-M2M-RSC (else guessed from the status) and
// the body as a strict JSON object (null when empty). The reason phrase and X-M2M-RVI are not
// checked: the status code and X-M2M-RSC carry the meaning. kInvalidArgument for a malformed
// X-M2M-RSC, a non-JSON Content-Type, or a bad body.
absl::StatusOr<Response> ResponseFromHttp(const http::HttpResponse& response);

}  // namespace exchange
}  // namespace onem2m

#endif  // ONEM2M_COMMON_EXCHANGE_HTTP_ADAPTER_H_

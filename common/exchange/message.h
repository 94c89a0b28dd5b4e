// File: common/exchange/message.h
//
// The transport-neutral oneM2M request and response that MEF and MAF handlers see, whether the
// bytes came over HTTP/TLS (http_adapter.h) or CoAP/DTLS (coap_adapter.h). Handlers parse
// Request::body with the schemas in enrolment_messages.h / maf_messages.h, look up the operation
// with ResolveOperation (routes.h) and return a Response.
//
//   absl::StatusOr<Operation> op = ResolveOperation(request);
//   if (!op.ok()) return ErrorResponse(op.status());
//   absl::StatusOr<KeyRetrievalRequest> body = ParseKeyRetrievalRequest(request.body);
//   if (!body.ok()) return ErrorResponse(body.status());
//   ...
//   return Response{kRscOk, *answer_json};
#ifndef ONEM2M_COMMON_EXCHANGE_MESSAGE_H_
#define ONEM2M_COMMON_EXCHANGE_MESSAGE_H_

#include <string>

#include <nlohmann/json.hpp>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace onem2m {
namespace exchange {

// Method is the transport method: HTTP method or CoAP request code. Every operation of this
// service is a POST; the others exist so a wrong method gets 4005 rather than a parse error.
enum class Method { kGet, kPost, kPut, kDelete };

absl::string_view MethodName(Method method);

// The media type of every body in this exchange.
inline constexpr absl::string_view kJsonMediaType = "application/json";

// Release Version Indicator (TS-0004 V3.32 m2m:releaseVersion, table 6.3.3-1): the release this
// service's primitives comply with, sent in every request and answer (X-M2M-RVI, TS-0009 6.4.22;
// oneM2M-RVI, TS-0008 6.2.2.4.16) except an answer to a Release 1 originator (TS-0004 7.3.3.12).
inline constexpr absl::string_view kReleaseVersion = "3";
// A request without the indicator comes from a Release 1 originator (TS-0004 7.3.2.1).
inline constexpr absl::string_view kReleaseVersion1 = "1";

// IsSupportedReleaseVersion is true for the m2m:supportedReleaseVersions of TS-0004 V3.32 (table
// 6.3.3-1): "1", "2", "2a" and "3"; the primitives of this service are the same in all of them.
bool IsSupportedReleaseVersion(absl::string_view rvi);

struct Request {
  Method method = Method::kPost;
  // path is absolute with "/" separators and no query, e.g. "/maf/keys/retrieve".
  std::string path;
  // originator is X-M2M-Origin / oneM2M-FR; may be empty. It is informational only: the caller's
  // identity is the PSK identity of the secured session.
  std::string originator;
  // request_id is X-M2M-RI / oneM2M-RQI, 1..128 bytes, echoed in the response.
  std::string request_id;
  // content_type is empty when there is no body; otherwise always kJsonMediaType (the adapters
  // refuse anything else).
  std::string content_type;
  std::string body;
  // release_version is the Release Version Indicator: kReleaseVersion for requests this side
  // makes; for received ones the validated value, kReleaseVersion1 when the request had none.
  std::string release_version{kReleaseVersion};
};

struct Response {
  int rsc = 2000;
  // body is null when the response has no content.
  nlohmann::json body;
};

// ErrorResponse returns a response with `rsc` and the body {"m2m:dbg": message} (TS-0004 debug
// information). WARNING: `message` goes to the peer; never put key material or internal detail in
// it.
Response ErrorResponse(int rsc, absl::string_view message);

// ErrorResponse(status) uses RscForStatus(status) and status.message().
Response ErrorResponse(const absl::Status& status);

}  // namespace exchange
}  // namespace onem2m

#endif  // ONEM2M_COMMON_EXCHANGE_MESSAGE_H_

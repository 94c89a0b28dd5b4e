#include "common/exchange/coap_adapter.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "common/coap/builders.h"
#include "common/coap/parser.h"
#include "common/exchange/internal/common_checks.h"
#include "common/exchange/internal/json_fields.h"
#include "common/exchange/rsc.h"

namespace onem2m {
namespace exchange {
namespace {

absl::StatusOr<Method> MethodFromCode(uint8_t code) {
  switch (code) {
    case coap::kCodeGet:
      return Method::kGet;
    case coap::kCodePost:
      return Method::kPost;
    case coap::kCodePut:
      return Method::kPut;
    case coap::kCodeDelete:
      return Method::kDelete;
    default:
      return WithRsc(absl::InvalidArgumentError(absl::StrCat(
                         "CoAP code ", coap::CodeToString(code), " not allowed; use POST")),
                     kRscOperationNotAllowed);
  }
}

uint8_t CodeFromMethod(Method method) {
  switch (method) {
    case Method::kGet:
      return coap::kCodeGet;
    case Method::kPost:
      return coap::kCodePost;
    case Method::kPut:
      return coap::kCodePut;
    case Method::kDelete:
      return coap::kCodeDelete;
  }
  return coap::kCodePost;
}

}  // namespace

absl::StatusOr<Request> RequestFromCoap(const coap::CoapMessage& request) {
  if (request.type != coap::MessageType::kConfirmable &&
      request.type != coap::MessageType::kNonConfirmable) {
    return absl::InvalidArgumentError("a CoAP request is CON or NON");
  }
  Request out;
  absl::StatusOr<Method> method = MethodFromCode(request.code);
  if (!method.ok()) return method.status();
  out.method = *method;
  if (!request.uri_query.empty()) {
    return absl::InvalidArgumentError("Uri-Query is not used by this service");
  }
  for (const std::string& segment : request.uri_path) {
    if (segment.empty() || segment.find('/') != std::string::npos) {
      return absl::InvalidArgumentError("Uri-Path segments must be non-empty and contain no '/'");
    }
  }
  out.path = absl::StrCat("/", absl::StrJoin(request.uri_path, "/"));

  out.originator = request.onem2m_from.value_or("");
  absl::Status s = internal::CheckOriginator(out.originator);
  if (!s.ok()) return s;
  out.request_id = request.onem2m_request_id.value_or("");
  s = internal::CheckRequestId(out.request_id);
  if (!s.ok()) return s;
  // The same release rule as the HTTP binding (TS-0004 7.3.2.1): absent means Release 1; an
  // unsupported release is 4001.
  if (!request.onem2m_rvi.has_value()) {
    out.release_version = std::string(kReleaseVersion1);
  } else {
    s = internal::CheckReleaseVersion(*request.onem2m_rvi);
    if (!s.ok()) return s;
    out.release_version = *request.onem2m_rvi;
  }

  if (request.accept.has_value() && *request.accept != coap::kContentFormatJson) {
    return WithRsc(absl::InvalidArgumentError("only Accept 50 (application/json) is served"),
                   kRscNotAcceptable);
  }
  if (!request.payload.empty()) {
    if (request.content_format != coap::kContentFormatJson) {
      return WithRsc(absl::InvalidArgumentError(
                         "a CoAP payload needs Content-Format 50 (application/json)"),
                     kRscUnsupportedMediaType);
    }
    out.content_type = std::string(kJsonMediaType);
    out.body = request.payload;
  }
  return out;
}

uint8_t CoapCodeForAnswer(uint8_t request_code, int rsc) {
  // A request code that is no method (answered before it was read) is answered as to a POST.
  absl::StatusOr<Method> method = MethodFromCode(request_code);
  return CoapCodeForRsc(rsc, method.ok() ? *method : Method::kPost);
}

absl::StatusOr<coap::CoapMessage> ResponseToCoap(const coap::CoapMessage& request,
                                                 const Response& response,
                                                 uint16_t separate_message_id,
                                                 size_t max_payload_bytes) {
  coap::CoapMessage out = coap::MakeResponse(
      request, CoapCodeForAnswer(request.code, response.rsc), separate_message_id);
  out.onem2m_rsc = static_cast<uint32_t>(response.rsc);
  out.onem2m_rvi = std::string(kCoapReleaseVersionIndicator);
  if (request.onem2m_request_id.has_value() &&
      internal::CheckRequestId(*request.onem2m_request_id).ok()) {
    out.onem2m_request_id = request.onem2m_request_id;
  }
  if (!response.body.is_null()) {
    out.payload = internal::DumpJson(response.body);
    if (out.payload.size() > max_payload_bytes) {
      return absl::ResourceExhaustedError(
          absl::StrCat("CoAP response body of ", out.payload.size(), " bytes exceeds ",
                       max_payload_bytes, " (block-wise transfer is not supported)"));
    }
    out.content_format = coap::kContentFormatJson;
  }
  return out;
}

std::optional<coap::CoapMessage> ParseErrorToCoap(absl::string_view datagram,
                                                  const absl::Status& parse_error,
                                                  uint16_t separate_message_id) {
  absl::StatusOr<coap::CoapHeader> header = coap::PeekHeader(datagram);
  if (!header.ok()) return std::nullopt;
  if (header->type != coap::MessageType::kConfirmable &&
      header->type != coap::MessageType::kNonConfirmable) {
    return std::nullopt;
  }
  const bool request = coap::CodeClass(header->code) == 0 && header->code != coap::kCodeEmpty;
  const uint8_t code = coap::CoapCodeForParseError(parse_error);
  const bool answerable = code == coap::kCodeRequestEntityTooLarge ||
                          (code == coap::kCodeBadOption &&
                           header->type == coap::MessageType::kConfirmable);
  if (!request || !answerable) return coap::MakeReset(header->message_id);
  coap::CoapMessage out = coap::MakeErrorResponse(*header, code, separate_message_id);
  out.onem2m_rsc = static_cast<uint32_t>(kRscBadRequest);
  out.onem2m_rvi = std::string(kCoapReleaseVersionIndicator);
  // The reason names an option number or a size, never request content.
  std::string body = internal::DumpJson(ErrorResponse(kRscBadRequest, parse_error.message()).body);
  if (body.size() <= 512) {
    out.payload = std::move(body);
    out.content_format = coap::kContentFormatJson;
  }
  return out;
}

absl::StatusOr<coap::CoapMessage> RequestToCoap(const Request& request, uint16_t message_id,
                                                std::string token) {
  absl::Status s = internal::CheckRequestId(request.request_id);
  if (!s.ok()) return s;
  s = internal::CheckOriginator(request.originator);
  if (!s.ok()) return s;
  if (request.path.empty() || request.path[0] != '/') {
    return absl::InvalidArgumentError("path must start with '/'");
  }
  std::vector<std::string> segments =
      absl::StrSplit(absl::string_view(request.path).substr(1), '/', absl::SkipEmpty());
  coap::CoapMessage out = coap::MakeConfirmablePost(message_id, std::move(token),
                                                    std::move(segments));
  out.code = CodeFromMethod(request.method);
  if (!request.originator.empty()) out.onem2m_from = request.originator;
  out.onem2m_request_id = request.request_id;
  out.onem2m_rvi = std::string(kCoapReleaseVersionIndicator);
  if (request.body.empty()) {
    out.content_format.reset();
  } else {
    out.payload = request.body;
  }
  return out;
}

absl::StatusOr<Response> ResponseFromCoap(const coap::CoapMessage& response) {
  const int code_class = coap::CodeClass(response.code);
  if (code_class != 2 && code_class != 4 && code_class != 5) {
    return absl::InvalidArgumentError(
        absl::StrCat("CoAP code ", coap::CodeToString(response.code), " is not a response"));
  }
  Response out;
  out.rsc = response.onem2m_rsc.has_value() ? static_cast<int>(*response.onem2m_rsc)
                                            : RscFromCoapCode(response.code);
  if (!response.payload.empty() && response.content_format != coap::kContentFormatJson) {
    return absl::InvalidArgumentError("CoAP response payload is not Content-Format 50");
  }
  absl::StatusOr<nlohmann::json> body = internal::ResponseBodyFromText(response.payload);
  if (!body.ok()) return body.status();
  out.body = std::move(*body);
  return out;
}

}  // namespace exchange
}  // namespace onem2m

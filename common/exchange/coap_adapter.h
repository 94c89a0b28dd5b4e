// File: common/exchange/coap_adapter.h
//
// Maps oneM2M requests and responses to and from CoAP (TS-0008 V3.9 binding): Uri-Path carries
// the path, oneM2M-FR (279) the originator, oneM2M-RQI (283) the request id, oneM2M-RSC (307) the
// response status code, oneM2M-RVI (271) the release version ("3"), Content-Format 50
// (application/json) the body type. Server side: RequestFromCoap, ResponseToCoap and, for a
// datagram the parser refused, ParseErrorToCoap; client side: RequestToCoap and ResponseFromCoap.
//
//   absl::StatusOr<coap::CoapMessage> m = coap::ParseDatagram(plaintext);
//   if (!m.ok()) { Send(ParseErrorToCoap(plaintext, m.status(), NextMid())); return; }
//   absl::StatusOr<Request> request = RequestFromCoap(*m);
//   Response response = request.ok() ? Handle(*request) : ErrorResponse(request.status());
//   absl::StatusOr<coap::CoapMessage> out = ResponseToCoap(*m, response, NextMid());
//   if (!out.ok()) out = ResponseToCoap(*m, ErrorResponse(out.status()), NextMid());
//   absl::StatusOr<std::string> datagram = coap::SerializeMessage(*out);
#ifndef ONEM2M_COMMON_EXCHANGE_COAP_ADAPTER_H_
#define ONEM2M_COMMON_EXCHANGE_COAP_ADAPTER_H_

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "common/coap/coap_message.h"
#include "common/exchange/message.h"

namespace onem2m {
namespace exchange {

// kCoapReleaseVersionIndicator is the oneM2M-RVI this service sends in every CoAP request and
// response: TS-0004 m2m:releaseVersion "3", the release of TS-0008 V3.9 and TS-0003 V3.18.
inline constexpr absl::string_view kCoapReleaseVersionIndicator = "3";

// RequestFromCoap validates and converts a parsed CoAP request, confirmable or not (TS-0008 5.1,
// 6.3.0). kInvalidArgument (RSC 4000) for a missing oneM2M-RQI, a Uri-Query, an empty or
// "/"-containing Uri-Path segment; RSC 4015 for a payload without Content-Format 50; RSC 4005 for
// a code other than GET, POST, PUT, DELETE; RSC 5207 for an Accept other than 50. oneM2M-RVI is
// optional (a Release 1 originator omits it) and not checked beyond its table length.
absl::StatusOr<Request> RequestFromCoap(const coap::CoapMessage& request);

// CoapCodeForAnswer maps the RSC of an answer to `request_code` to a CoAP response code, by TS-0008
// V3.9 table 6.2.4-1: 2000 answers a RETRIEVE (GET) with 2.05 and anything else (for this service
// a POST, i.e. a NOTIFY-like operation without oneM2M-TY, 6.2.1) with 2.04; 4015 -> 4.15; the rest
// as CoapCodeForRsc.
uint8_t CoapCodeForAnswer(uint8_t request_code, int rsc);

// ResponseToCoap builds the response to `request`: the piggy-backed ACK of a CON request (same
// Message ID and token), or a separate NON response with `separate_message_id` for a NON request
// (TS-0008 6.3.1), in the request's option numbering; code from CoapCodeForAnswer, oneM2M-RSC,
// oneM2M-RVI, the echoed oneM2M-RQI and the JSON body. kResourceExhausted when the body exceeds
// `max_payload_bytes` (one datagram; no block-wise transfer): answer with a small ErrorResponse.
absl::StatusOr<coap::CoapMessage> ResponseToCoap(const coap::CoapMessage& request,
                                                 const Response& response,
                                                 uint16_t separate_message_id = 0,
                                                 size_t max_payload_bytes = 1024);

// ParseErrorToCoap answers a datagram that coap::ParseDatagram refused with `parse_error`, or
// returns nullopt to send nothing:
//   - header unreadable, or an ACK/RST: nothing (RFC 7252 4.2, 4.3);
//   - a message format error (kInvalidArgument), a response code or a non-empty 0.00 in a CON or
//     NON: Reset (TS-0008 5.1: "The Reset message is used to send an error message in response to
//     a malformed Confirmable message"; RFC 7252 4.2, 4.3);
//   - a bad or unrecognised critical option: 4.02 to a CON request (RFC 7252 5.4.1), Reset to a
//     NON (5.4.1 "rejected");
//   - too large: 4.13 (ACK, or NON with `separate_message_id`).
// A 4.02/4.13 answer is a oneM2M response: oneM2M-RSC 4000, oneM2M-RVI and {"m2m:dbg": reason},
// in the TS-0008 V3.9 numbering.
std::optional<coap::CoapMessage> ParseErrorToCoap(absl::string_view datagram,
                                                  const absl::Status& parse_error,
                                                  uint16_t separate_message_id);

// RequestToCoap builds the client's confirmable request with the given Message ID and token
// (0..8 bytes; use a fresh random token per request), with oneM2M-RVI.
absl::StatusOr<coap::CoapMessage> RequestToCoap(const Request& request, uint16_t message_id,
                                                std::string token);

// ResponseFromCoap reads a server's answer: RSC from oneM2M-RSC (else guessed from the code) and
// the payload as a strict JSON object (null when empty). kInvalidArgument for a non-response code
// or a payload whose Content-Format is not 50. Matching Message ID and token to the request is the
// caller's job.
absl::StatusOr<Response> ResponseFromCoap(const coap::CoapMessage& response);

}  // namespace exchange
}  // namespace onem2m

#endif  // ONEM2M_COMMON_EXCHANGE_COAP_ADAPTER_H_

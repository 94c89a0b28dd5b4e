// File: common/exchange/coap_adapter.h
//
// Maps oneM2M requests and responses to and from CoAP (TS-0008 binding): Uri-Path carries the path,
// oneM2M-FR (256) the originator, oneM2M-RQI (257) the request id, oneM2M-RSC (265) the response
// status code, Content-Format 50 (application/json) the body type. Server side: RequestFromCoap
// and ResponseToCoap; client side: RequestToCoap and ResponseFromCoap.
//
//   absl::StatusOr<coap::CoapMessage> m = coap::ParseDatagram(plaintext);
//   ... (on error see coap/parser.h)
//   absl::StatusOr<Request> request = RequestFromCoap(*m);
//   Response response = request.ok() ? Handle(*request) : ErrorResponse(request.status());
//   absl::StatusOr<coap::CoapMessage> ack = ResponseToCoap(*m, response);
//   if (!ack.ok()) ack = ResponseToCoap(*m, ErrorResponse(ack.status()));
//   absl::StatusOr<std::string> datagram = coap::SerializeMessage(*ack);
#ifndef ONEM2M_COMMON_EXCHANGE_COAP_ADAPTER_H_
#define ONEM2M_COMMON_EXCHANGE_COAP_ADAPTER_H_

#include <cstddef>
#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "common/coap/coap_message.h"
#include "common/exchange/message.h"

namespace onem2m {
namespace exchange {

// RequestFromCoap validates and converts a parsed CoAP request. kInvalidArgument (RSC 4000) for a
// non-confirmable request, a missing oneM2M-RQI, a Uri-Query, an empty or "/"-containing Uri-Path
// segment, or a payload without Content-Format 50; RSC 4005 for a code other than GET, POST, PUT,
// DELETE; RSC 5207 for an Accept other than 50.
absl::StatusOr<Request> RequestFromCoap(const coap::CoapMessage& request);

// ResponseToCoap builds the piggy-backed ACK (same Message ID and token) with the code from
// CoapCodeForRsc, oneM2M-RSC, the echoed oneM2M-RQI and the JSON body. kResourceExhausted when the
// body exceeds `max_payload_bytes` (one datagram; no block-wise transfer): answer with a small
// ErrorResponse instead.
absl::StatusOr<coap::CoapMessage> ResponseToCoap(const coap::CoapMessage& request,
                                                 const Response& response,
                                                 size_t max_payload_bytes = 1024);

// RequestToCoap builds the client's confirmable request with the given Message ID and token
// (0..8 bytes; use a fresh random token per request).
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

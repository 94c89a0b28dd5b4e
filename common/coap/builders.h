// File: common/coap/builders.h
//
// Builders for the few CoAP messages this service sends: the server's piggy-backed ACK to a
// confirmable request (RFC 7252 5.2.1: same Message ID and token), the client's confirmable POST,
// and an error ACK for a request that could not be parsed. Pass the result to SerializeMessage.
//
//   CoapMessage post = MakeConfirmablePost(NextMid(), RandomToken(), {"maf", "keys"});
//   post.onem2m_from = enrolee_id;
//   post.payload = json;
#ifndef ONEM2M_COMMON_COAP_BUILDERS_H_
#define ONEM2M_COMMON_COAP_BUILDERS_H_

#include <cstdint>
#include <string>
#include <vector>

#include "common/coap/coap_message.h"
#include "common/coap/parser.h"

namespace onem2m {
namespace coap {

// MakePiggybackedResponse returns an ACK with `code` echoing the request's Message ID and token.
// A non-confirmable request gets a NON response with the same token (and the same Message ID; the
// caller may replace it) (RFC 7252 5.2.3).
CoapMessage MakePiggybackedResponse(const CoapMessage& request, uint8_t code);

// MakeErrorAck answers a request known only by its header (see PeekHeader) with `code` and no
// payload.
CoapMessage MakeErrorAck(const CoapHeader& request, uint8_t code);

// MakeConfirmablePost returns a CON POST with the given Message ID, token (0..8 bytes) and
// Uri-Path segments, and Content-Format application/json (50).
CoapMessage MakeConfirmablePost(uint16_t message_id, std::string token,
                                std::vector<std::string> uri_path);

// MakeReset returns the RST that rejects message `message_id` (RFC 7252 4.2).
CoapMessage MakeReset(uint16_t message_id);

}  // namespace coap
}  // namespace onem2m

#endif  // ONEM2M_COMMON_COAP_BUILDERS_H_

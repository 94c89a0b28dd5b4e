// File: common/coap/builders.h
//
// Builders for the few CoAP messages this service sends: the server's response (piggy-backed on
// the ACK of a confirmable request, RFC 7252 5.2.1; a separate NON for a non-confirmable one,
// TS-0008 6.3.1), the client's request, and the Reset that rejects a malformed message. Pass the
// result to SerializeMessage.
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

// MakeResponse answers `request` with `code` and the request's token and option numbering. A
// confirmable request gets the piggy-backed ACK (same Message ID). A non-confirmable one gets a
// separate NON response with `separate_message_id`, a fresh ID of the sender's (TS-0008 6.3.1,
// RFC 7252 5.2.3).
CoapMessage MakeResponse(const CoapMessage& request, uint8_t code, uint16_t separate_message_id);

// MakeErrorResponse is MakeResponse for a request known only by its header (see PeekHeader).
CoapMessage MakeErrorResponse(const CoapHeader& request, uint8_t code,
                              uint16_t separate_message_id);

// MakeConfirmablePost returns a CON POST with the given Message ID, token (0..8 bytes) and
// Uri-Path segments, and Content-Format application/json (50).
CoapMessage MakeConfirmablePost(uint16_t message_id, std::string token,
                                std::vector<std::string> uri_path);

// MakeReset returns the RST that rejects message `message_id` (RFC 7252 4.2).
CoapMessage MakeReset(uint16_t message_id);

}  // namespace coap
}  // namespace onem2m

#endif  // ONEM2M_COMMON_COAP_BUILDERS_H_

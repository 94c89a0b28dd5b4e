// File: common/coap/serializer.h
//
// Serialises a CoapMessage to one CoAP-over-UDP datagram. The message is first built as a libcoap
// PDU (coap_pdu_init, coap_add_token, coap_add_option, coap_add_data), which validates and orders
// it; libcoap 4.3.1 has no public call that writes a PDU out, so the bytes are then assembled from
// the PDU: the 4-byte header, the token, each option through coap_opt_encode (delta and length
// encoding) and the 0xFF marker before a non-empty payload.
//
//   CoapMessage ack = MakeResponse(request, kCodeCreated, 0);
//   ack.payload = body;
//   absl::StatusOr<std::string> datagram = SerializeMessage(ack);
#ifndef ONEM2M_COMMON_COAP_SERIALIZER_H_
#define ONEM2M_COMMON_COAP_SERIALIZER_H_

#include <string>

#include "absl/status/statusor.h"
#include "common/coap/coap_message.h"

namespace onem2m {
namespace coap {

// SerializeMessage returns the datagram for `message`. Options are written in ascending number
// order, Uri-Path and Uri-Query segments in their given order. kInvalidArgument for a token over 8
// bytes, a reserved code class, an empty message (0.00) with token, options or payload, or an
// option value over 255 bytes.
absl::StatusOr<std::string> SerializeMessage(const CoapMessage& message);

}  // namespace coap
}  // namespace onem2m

#endif  // ONEM2M_COMMON_COAP_SERIALIZER_H_

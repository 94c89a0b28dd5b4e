// File: common/coap/parser.h
//
// Parses one CoAP-over-UDP datagram (RFC 7252; here the plaintext of one DTLS record) into a
// CoapMessage. libcoap (`coap_pdu_parse`) does the wire decoding; this file adds the checks the
// service needs and turns every failure into a Status that names the problem. It never crashes on
// hostile input.
//
//   absl::StatusOr<CoapMessage> m = ParseDatagram(plaintext);
//   if (!m.ok()) {
//     // Answer a confirmable request we can still identify, else drop (RFC 7252 4.2, 4.3).
//     absl::StatusOr<CoapHeader> h = PeekHeader(plaintext);
//     if (h.ok() && h->type == MessageType::kConfirmable && CodeClass(h->code) == 0)
//       Send(MakeErrorAck(*h, CoapCodeForParseError(m.status())));
//   }
#ifndef ONEM2M_COMMON_COAP_PARSER_H_
#define ONEM2M_COMMON_COAP_PARSER_H_

#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "common/coap/coap_message.h"

namespace onem2m {
namespace coap {

// CoapHeader is the fixed header and token, enough to answer or reset a message whose options or
// payload could not be parsed.
struct CoapHeader {
  MessageType type = MessageType::kConfirmable;
  uint8_t code = kCodeEmpty;
  uint16_t message_id = 0;
  std::string token;
};

// PeekHeader decodes only the 4-byte header and the token. kInvalidArgument if the datagram is
// shorter than that, the version is not 1 or the token length is over 8.
absl::StatusOr<CoapHeader> PeekHeader(absl::string_view datagram);

// ParseDatagram decodes a whole datagram. Errors:
//   kResourceExhausted  datagram or payload over `limits`
//   kUnimplemented      an unrecognised critical option (e.g. Block1, Proxy-Uri): answer 4.02
//   kInvalidArgument    anything else malformed: bad header, token length > 8, bad option
//                       delta/length, payload marker without payload, repeated non-repeatable
//                       option, option value of the wrong length, reserved code class.
// Unrecognised elective options are skipped (RFC 7252 5.4.1).
absl::StatusOr<CoapMessage> ParseDatagram(absl::string_view datagram,
                                          const CoapLimits& limits = CoapLimits());

// CoapCodeForParseError returns the response code for a ParseDatagram error: 4.13 for size, 4.02
// for a critical option, 4.00 otherwise.
uint8_t CoapCodeForParseError(const absl::Status& status);

}  // namespace coap
}  // namespace onem2m

#endif  // ONEM2M_COMMON_COAP_PARSER_H_

// File: common/coap/parser.h
//
// Parses one CoAP-over-UDP datagram (RFC 7252; here the plaintext of one DTLS record) into a
// CoapMessage. libcoap (`coap_pdu_parse`) does the wire decoding; this file adds the checks the
// service needs and turns every failure into a Status that names the problem. It never crashes on
// hostile input.
//
//   absl::StatusOr<CoapMessage> m = ParseDatagram(plaintext);
//   if (!m.ok()) {
//     // A request we can still identify gets 4.02 / 4.13, or a Reset for a format error
//     // (RFC 7252 4.2, 5.4.1; TS-0008 5.1); see exchange::ParseErrorToCoap.
//     absl::StatusOr<CoapHeader> h = PeekHeader(plaintext);
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

// ParseDatagram decodes a whole datagram. The oneM2M options are those of TS-0008 V3.9 table
// 6.2.2.4.0-1, each checked against its format and length; with `allow_legacy_numbers` the
// pre-V3.7 numbers (FR 256, RQI 257, RSC 265, and 256..278 ignored) are accepted too, and
// CoapMessage::numbering says which numbering the message used. Errors:
//   kResourceExhausted  datagram or payload over `limits`: answer 4.13
//   kUnimplemented      an unrecognised critical option (e.g. Block1, or FR 256 without the legacy
//                       switch): answer 4.02 (RFC 7252 5.4.1)
//   kOutOfRange         a recognised option breaking its definition: value length or format,
//                       repeated though not repeatable, both numberings mixed: answer 4.02 (RFC
//                       7252 5.4.3, 5.4.5)
//   kInvalidArgument    a message format error: bad header, token length > 8, bad option
//                       delta/length encoding, payload marker without payload, reserved code class,
//                       non-empty 0.00: reject with Reset (RFC 7252 4.2, TS-0008 5.1)
// Unrecognised elective options are skipped (RFC 7252 5.4.1).
absl::StatusOr<CoapMessage> ParseDatagram(absl::string_view datagram,
                                          const CoapLimits& limits = CoapLimits(),
                                          bool allow_legacy_numbers = false);

// CoapCodeForParseError returns the response code for a ParseDatagram error: 4.13 for size, 4.02
// for an option, 4.00 otherwise (a format error; a server sends Reset instead).
uint8_t CoapCodeForParseError(const absl::Status& status);

}  // namespace coap
}  // namespace onem2m

#endif  // ONEM2M_COMMON_COAP_PARSER_H_

// File: common/coap/coap_message.h
//
// CoapMessage is the decoded form of one CoAP datagram (RFC 7252) as this service uses it: the
// header, token, the options it understands (Uri-Path, Content-Format, Accept, Uri-Query and the
// oneM2M TS-0008 V3.9 options From, Request Identifier, Response Status Code and Release Version
// Indicator) and the payload. parser.h and serializer.h turn datagrams into CoapMessage and back;
// the other oneM2M options of table 6.2.2.4.0-1 are validated by the parser and not kept.
//
//   CoapMessage m;
//   m.type = MessageType::kConfirmable;
//   m.code = kCodePost;
//   m.message_id = 0x1234;
//   m.token = "\x01\x02";
//   m.uri_path = {"enrolment"};
//   m.content_format = kContentFormatJson;
//   m.payload = R"({"enrolment":{"type":"maf"}})";
#ifndef ONEM2M_COMMON_COAP_COAP_MESSAGE_H_
#define ONEM2M_COMMON_COAP_COAP_MESSAGE_H_

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/coap/onem2m_options.h"

namespace onem2m {
namespace coap {

enum class MessageType : uint8_t {
  kConfirmable = 0,
  kNonConfirmable = 1,
  kAcknowledgement = 2,
  kReset = 3,
};

// MakeCode packs a code "c.dd" (RFC 7252 3) into its byte: class in the top 3 bits.
constexpr uint8_t MakeCode(int code_class, int detail) {
  return static_cast<uint8_t>((code_class << 5) | detail);
}
inline constexpr uint8_t kCodeEmpty = MakeCode(0, 0);
inline constexpr uint8_t kCodeGet = MakeCode(0, 1);
inline constexpr uint8_t kCodePost = MakeCode(0, 2);
inline constexpr uint8_t kCodePut = MakeCode(0, 3);
inline constexpr uint8_t kCodeDelete = MakeCode(0, 4);
inline constexpr uint8_t kCodeCreated = MakeCode(2, 1);
inline constexpr uint8_t kCodeDeleted = MakeCode(2, 2);
inline constexpr uint8_t kCodeChanged = MakeCode(2, 4);
inline constexpr uint8_t kCodeContent = MakeCode(2, 5);
inline constexpr uint8_t kCodeBadRequest = MakeCode(4, 0);
inline constexpr uint8_t kCodeBadOption = MakeCode(4, 2);
inline constexpr uint8_t kCodeForbidden = MakeCode(4, 3);
inline constexpr uint8_t kCodeNotFound = MakeCode(4, 4);
inline constexpr uint8_t kCodeMethodNotAllowed = MakeCode(4, 5);
inline constexpr uint8_t kCodeNotAcceptable = MakeCode(4, 6);
inline constexpr uint8_t kCodeRequestEntityTooLarge = MakeCode(4, 13);
inline constexpr uint8_t kCodeUnsupportedContentFormat = MakeCode(4, 15);
inline constexpr uint8_t kCodeInternalServerError = MakeCode(5, 0);
inline constexpr uint8_t kCodeNotImplemented = MakeCode(5, 1);
inline constexpr uint8_t kCodeServiceUnavailable = MakeCode(5, 3);
inline constexpr uint8_t kCodeGatewayTimeout = MakeCode(5, 4);

// Option numbers. RFC 7252 12.2 and oneM2M TS-0008 (CoAP binding) 6.2.2.4.
inline constexpr uint16_t kOptionUriHost = 3;
inline constexpr uint16_t kOptionUriPort = 7;
inline constexpr uint16_t kOptionUriPath = 11;
inline constexpr uint16_t kOptionContentFormat = 12;
inline constexpr uint16_t kOptionUriQuery = 15;
inline constexpr uint16_t kOptionAccept = 17;
inline constexpr uint16_t kOptionSize1 = 60;
inline constexpr uint16_t kOptionBlock2 = 23;
inline constexpr uint16_t kOptionBlock1 = 27;
// The oneM2M options (TS-0008 V3.9 table 6.2.2.4.0-1) are in onem2m_options.h; these four are the
// ones CoapMessage keeps, in the V3.9 numbering.
inline constexpr uint16_t kOptionOneM2mFrom = 279;       // oneM2M-FR, string 0-255
inline constexpr uint16_t kOptionOneM2mRequestId = 283;  // oneM2M-RQI, string 0-255
inline constexpr uint16_t kOptionOneM2mRvi = 271;        // oneM2M-RVI, string 1-2
inline constexpr uint16_t kOptionOneM2mRsc = 307;        // oneM2M-RSC, uint 2

// Content-Format application/json (RFC 7252 12.3).
inline constexpr uint16_t kContentFormatJson = 50;

struct CoapLimits {
  // One DTLS record carries one datagram and block-wise transfer (RFC 7959) is not supported, so
  // a payload must fit one datagram.
  size_t max_payload_bytes = 1024;
  // Whole datagrams above this are refused before libcoap sees them.
  size_t max_datagram_bytes = 1280;
};

struct CoapMessage {
  MessageType type = MessageType::kConfirmable;
  uint8_t code = kCodeEmpty;
  uint16_t message_id = 0;
  std::string token;  // 0..8 bytes
  std::vector<std::string> uri_path;
  std::vector<std::string> uri_query;
  std::optional<uint16_t> content_format;
  std::optional<uint16_t> accept;
  std::optional<std::string> onem2m_from;        // oneM2M-FR: the originator
  std::optional<std::string> onem2m_request_id;  // oneM2M-RQI
  std::optional<uint32_t> onem2m_rsc;            // oneM2M-RSC: response status code
  std::optional<std::string> onem2m_rvi;         // oneM2M-RVI: release version indicator
  std::string payload;
  // numbering is the option numbering the message uses on the wire: the parser sets it from the
  // oneM2M options it met (kLegacy only when legacy numbers are allowed), the serializer writes in
  // it. A server answers in the numbering of the request.
  OptionNumbering numbering = OptionNumbering::kTs0008V3_9;
};

// CodeClass and CodeDetail split a code byte, e.g. 0x41 -> 2 and 1.
constexpr int CodeClass(uint8_t code) { return code >> 5; }
constexpr int CodeDetail(uint8_t code) { return code & 0x1f; }

// CodeToString renders a code as "c.dd", e.g. "2.01", for logs and errors.
std::string CodeToString(uint8_t code);

}  // namespace coap
}  // namespace onem2m

#endif  // ONEM2M_COMMON_COAP_COAP_MESSAGE_H_

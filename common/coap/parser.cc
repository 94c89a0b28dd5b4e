#include "common/coap/parser.h"

#include <coap3/coap.h>

#include "absl/strings/str_cat.h"
#include "common/coap/internal/libcoap_pdu.h"

namespace onem2m {
namespace coap {
namespace {

constexpr size_t kHeaderLen = 4;
constexpr size_t kMaxTokenLen = 8;

absl::Status BadOption(uint16_t number, absl::string_view why) {
  return absl::InvalidArgumentError(absl::StrCat("CoAP option ", number, ": ", why));
}

absl::Status CheckLength(uint16_t number, size_t len, size_t min, size_t max) {
  if (len < min || len > max) {
    return BadOption(number, absl::StrCat("value length ", len, " outside ", min, "..", max));
  }
  return absl::OkStatus();
}

// ReadString takes a text option; control characters are refused because these values end up in
// logs and in oneM2M identifiers.
absl::Status ReadString(uint16_t number, absl::string_view value, size_t min,
                        std::optional<std::string>* out) {
  if (out->has_value()) return BadOption(number, "repeated but not repeatable");
  absl::Status s = CheckLength(number, value.size(), min, 255);
  if (!s.ok()) return s;
  for (char c : value) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) {
      return BadOption(number, "control character in value");
    }
  }
  *out = std::string(value);
  return absl::OkStatus();
}

template <typename T>
absl::Status ReadUint(uint16_t number, absl::string_view value, size_t max_len,
                      std::optional<T>* out) {
  if (out->has_value()) return BadOption(number, "repeated but not repeatable");
  absl::Status s = CheckLength(number, value.size(), 0, max_len);
  if (!s.ok()) return s;
  *out = static_cast<T>(
      coap_decode_var_bytes(reinterpret_cast<const uint8_t*>(value.data()), value.size()));
  return absl::OkStatus();
}

absl::Status ReadOption(uint16_t number, absl::string_view value, CoapMessage* m) {
  switch (number) {
    case kOptionUriHost:
      return CheckLength(number, value.size(), 1, 255);  // we know who we are; ignored
    case kOptionUriPort:
      return CheckLength(number, value.size(), 0, 2);  // ignored
    case kOptionUriPath: {
      absl::Status s = CheckLength(number, value.size(), 0, 255);
      if (s.ok()) m->uri_path.emplace_back(value);
      return s;
    }
    case kOptionUriQuery: {
      absl::Status s = CheckLength(number, value.size(), 1, 255);
      if (s.ok()) m->uri_query.emplace_back(value);
      return s;
    }
    case kOptionContentFormat:
      return ReadUint(number, value, 2, &m->content_format);
    case kOptionAccept:
      return ReadUint(number, value, 2, &m->accept);
    case kOptionOneM2mFrom:
      return ReadString(number, value, 1, &m->onem2m_from);
    case kOptionOneM2mRequestId:
      return ReadString(number, value, 1, &m->onem2m_request_id);
    case kOptionOneM2mRsc:
      return ReadUint(number, value, 4, &m->onem2m_rsc);
    default:
      break;
  }
  if (number >= kOptionOneM2mFirst && number <= kOptionOneM2mLast) return absl::OkStatus();
  // RFC 7252 5.4.1: odd numbers are critical and must be understood; even ones may be skipped.
  if (number & 1) {
    return absl::UnimplementedError(
        absl::StrCat("unrecognised critical CoAP option ", number,
                     number == 27 || number == 23 ? " (block-wise transfer is not supported)" : ""));
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<CoapHeader> PeekHeader(absl::string_view datagram) {
  if (datagram.size() < kHeaderLen) {
    return absl::InvalidArgumentError(
        absl::StrCat("truncated CoAP header: ", datagram.size(), " of 4 bytes"));
  }
  const auto* b = reinterpret_cast<const uint8_t*>(datagram.data());
  if ((b[0] >> 6) != 1) {
    return absl::InvalidArgumentError(absl::StrCat("unsupported CoAP version ", b[0] >> 6));
  }
  const size_t tkl = b[0] & 0x0f;
  if (tkl > kMaxTokenLen) {
    return absl::InvalidArgumentError(
        absl::StrCat("CoAP token length ", tkl, " is reserved (max 8)"));
  }
  if (datagram.size() < kHeaderLen + tkl) {
    return absl::InvalidArgumentError("CoAP datagram ends inside the token");
  }
  CoapHeader h;
  h.type = static_cast<MessageType>((b[0] >> 4) & 0x03);
  h.code = b[1];
  h.message_id = static_cast<uint16_t>((b[2] << 8) | b[3]);
  h.token.assign(datagram.data() + kHeaderLen, tkl);
  return h;
}

absl::StatusOr<CoapMessage> ParseDatagram(absl::string_view datagram, const CoapLimits& limits) {
  if (datagram.size() > limits.max_datagram_bytes) {
    return absl::ResourceExhaustedError(absl::StrCat("CoAP datagram of ", datagram.size(),
                                                     " bytes exceeds limit of ",
                                                     limits.max_datagram_bytes));
  }
  absl::StatusOr<CoapHeader> header = PeekHeader(datagram);
  if (!header.ok()) return header.status();
  const int code_class = CodeClass(header->code);
  if (code_class == 1 || code_class >= 6) {
    return absl::InvalidArgumentError(
        absl::StrCat("reserved CoAP code ", CodeToString(header->code)));
  }
  if (header->code == kCodeEmpty && datagram.size() != kHeaderLen) {
    return absl::InvalidArgumentError("CoAP empty message (0.00) must be exactly 4 bytes");
  }

  internal::PduPtr pdu = internal::NewPdu(COAP_MESSAGE_CON, static_cast<coap_pdu_code_t>(0), 0,
                                          datagram.size());
  if (pdu == nullptr) return absl::ResourceExhaustedError("cannot allocate CoAP PDU");
  if (!coap_pdu_parse(COAP_PROTO_UDP, reinterpret_cast<const uint8_t*>(datagram.data()),
                      datagram.size(), pdu.get())) {
    return absl::InvalidArgumentError(
        "malformed CoAP options or payload (bad option delta or length, or a payload marker "
        "without payload)");
  }

  CoapMessage m;
  m.type = header->type;
  m.code = header->code;
  m.message_id = header->message_id;
  m.token = std::move(header->token);

  coap_opt_iterator_t it;
  coap_option_iterator_init(pdu.get(), &it, COAP_OPT_ALL);
  while (coap_opt_t* opt = coap_option_next(&it)) {
    const absl::string_view value(reinterpret_cast<const char*>(coap_opt_value(opt)),
                                  coap_opt_length(opt));
    absl::Status s = ReadOption(it.number, value, &m);
    if (!s.ok()) return s;
  }

  size_t len = 0;
  const uint8_t* data = nullptr;
  if (coap_get_data(pdu.get(), &len, &data) && len > 0) {
    if (len > limits.max_payload_bytes) {
      return absl::ResourceExhaustedError(absl::StrCat("CoAP payload of ", len,
                                                       " bytes exceeds limit of ",
                                                       limits.max_payload_bytes));
    }
    m.payload.assign(reinterpret_cast<const char*>(data), len);
  }
  return m;
}

uint8_t CoapCodeForParseError(const absl::Status& status) {
  switch (status.code()) {
    case absl::StatusCode::kResourceExhausted:
      return kCodeRequestEntityTooLarge;
    case absl::StatusCode::kUnimplemented:
      return kCodeBadOption;
    default:
      return kCodeBadRequest;
  }
}

}  // namespace coap
}  // namespace onem2m

#include "common/coap/parser.h"

#include <coap3/coap.h>

#include "absl/strings/str_cat.h"
#include "common/coap/internal/libcoap_pdu.h"

namespace onem2m {
namespace coap {
namespace {

constexpr size_t kHeaderLen = 4;
constexpr size_t kMaxTokenLen = 8;

// BadOption reports a recognised option whose value breaks its definition (length, format,
// repetition). RFC 7252 5.4.3 and 5.4.5 treat such an option like an unrecognised one; every
// option this parser checks is answered with 4.02, so it is kOutOfRange (see parser.h).
absl::Status BadOption(uint16_t number, absl::string_view why) {
  return absl::OutOfRangeError(absl::StrCat("CoAP option ", number, ": ", why));
}

absl::Status CheckLength(uint16_t number, size_t len, size_t min, size_t max) {
  if (len < min || len > max) {
    return BadOption(number, absl::StrCat("value length ", len, " outside ", min, "..", max));
  }
  return absl::OkStatus();
}

// CheckText refuses control characters: these values end up in logs and oneM2M identifiers.
absl::Status CheckText(uint16_t number, absl::string_view value) {
  for (char c : value) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) {
      return BadOption(number, "control character in value");
    }
  }
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

// OptionReader walks the options of one message; it remembers which oneM2M options it saw (none
// of table 6.2.2.4.0-1 is repeatable) and which numbering they used.
class OptionReader {
 public:
  OptionReader(bool allow_legacy, CoapMessage* m) : allow_legacy_(allow_legacy), m_(m) {}

  absl::Status Read(uint16_t number, absl::string_view value);
  // Finish sets m->numbering; a message mixing both numberings is refused.
  absl::Status Finish();

 private:
  absl::Status ReadOneM2m(const OneM2mOptionSpec& spec, uint16_t number, absl::string_view value);

  bool allow_legacy_;
  CoapMessage* m_;
  uint32_t seen_ = 0;  // bit i: row i of the table
  bool saw_v3_9_only_ = false;
  bool saw_legacy_only_ = false;
};

absl::Status OptionReader::Read(uint16_t number, absl::string_view value) {
  switch (number) {
    case kOptionUriHost:
      return CheckLength(number, value.size(), 1, 255);  // we know who we are; ignored
    case kOptionUriPort:
      return CheckLength(number, value.size(), 0, 2);  // ignored
    case kOptionUriPath: {
      absl::Status s = CheckLength(number, value.size(), 0, 255);
      if (s.ok()) m_->uri_path.emplace_back(value);
      return s;
    }
    case kOptionUriQuery: {
      absl::Status s = CheckLength(number, value.size(), 1, 255);
      if (s.ok()) m_->uri_query.emplace_back(value);
      return s;
    }
    case kOptionContentFormat:
      return ReadUint(number, value, 2, &m_->content_format);
    case kOptionAccept:
      return ReadUint(number, value, 2, &m_->accept);
    default:
      break;
  }
  if (const OneM2mOptionSpec* spec = FindOneM2mOption(number, OptionNumbering::kTs0008V3_9)) {
    if (number != spec->legacy_number) saw_v3_9_only_ = true;
    return ReadOneM2m(*spec, number, value);
  }
  if (allow_legacy_) {
    if (const OneM2mOptionSpec* spec = FindOneM2mOption(number, OptionNumbering::kLegacy)) {
      saw_legacy_only_ = true;
      return ReadOneM2m(*spec, number, value);
    }
    if (IsLegacyRange(number)) {  // the old numbers of options this service never used
      saw_legacy_only_ = true;
      return absl::OkStatus();
    }
  }
  // RFC 7252 5.4.1: odd numbers are critical and must be understood; even ones may be skipped.
  if (number & 1) {
    return absl::UnimplementedError(absl::StrCat(
        "unrecognised critical CoAP option ", number,
        number == kOptionBlock1 || number == kOptionBlock2
            ? " (block-wise transfer is not supported)"
            : (IsLegacyRange(number) ? " (a pre-TS-0008 V3.7 oneM2M option number; V3.9 numbers "
                                       "are FR 279, RQI 283, RSC 307)"
                                     : "")));
  }
  return absl::OkStatus();
}

absl::Status OptionReader::ReadOneM2m(const OneM2mOptionSpec& spec, uint16_t number,
                                      absl::string_view value) {
  size_t rows = 0;
  const OneM2mOptionSpec* table = OneM2mOptionTable(&rows);
  const uint32_t bit = 1u << static_cast<size_t>(&spec - table);
  if (seen_ & bit) return BadOption(number, absl::StrCat(spec.name, " is not repeatable"));
  seen_ |= bit;
  absl::Status s = CheckLength(number, value.size(), spec.min_len, spec.max_len);
  if (!s.ok()) return s;
  if (spec.format == OptionFormat::kString) {
    s = CheckText(number, value);
    if (!s.ok()) return s;
  }
  switch (spec.param) {
    case OneM2mParam::kFrom:
      m_->onem2m_from = std::string(value);
      break;
    case OneM2mParam::kRequestIdentifier:
      m_->onem2m_request_id = std::string(value);
      break;
    case OneM2mParam::kReleaseVersionIndicator:
      m_->onem2m_rvi = std::string(value);
      break;
    case OneM2mParam::kResponseStatusCode:
      m_->onem2m_rsc = static_cast<uint32_t>(
          coap_decode_var_bytes(reinterpret_cast<const uint8_t*>(value.data()), value.size()));
      break;
    default:
      break;  // validated; this service has no use for the value
  }
  return absl::OkStatus();
}

absl::Status OptionReader::Finish() {
  if (saw_legacy_only_ && saw_v3_9_only_) {
    return absl::OutOfRangeError(
        "CoAP oneM2M options mix the TS-0008 V3.9 numbering with the pre-V3.7 one");
  }
  m_->numbering = saw_legacy_only_ ? OptionNumbering::kLegacy : OptionNumbering::kTs0008V3_9;
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

absl::StatusOr<CoapMessage> ParseDatagram(absl::string_view datagram, const CoapLimits& limits,
                                          bool allow_legacy_numbers) {
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

  OptionReader reader(allow_legacy_numbers, &m);
  coap_opt_iterator_t it;
  coap_option_iterator_init(pdu.get(), &it, COAP_OPT_ALL);
  while (coap_opt_t* opt = coap_option_next(&it)) {
    const absl::string_view value(reinterpret_cast<const char*>(coap_opt_value(opt)),
                                  coap_opt_length(opt));
    absl::Status s = reader.Read(it.number, value);
    if (!s.ok()) return s;
  }
  absl::Status finished = reader.Finish();
  if (!finished.ok()) return finished;

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
    case absl::StatusCode::kOutOfRange:
      return kCodeBadOption;
    default:
      return kCodeBadRequest;
  }
}

}  // namespace coap
}  // namespace onem2m

#include "common/coap/serializer.h"

#include <coap3/coap.h>

#include <algorithm>
#include <cstdint>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/coap/internal/libcoap_pdu.h"

namespace onem2m {
namespace coap {
namespace {

struct Option {
  uint16_t number;
  std::string value;
};

std::string EncodeUint(uint32_t v) {
  uint8_t buf[4];
  // coap_encode_var_safe drops leading zero bytes, as RFC 7252 3.2 asks for uint options.
  const unsigned int n = coap_encode_var_safe(buf, sizeof(buf), v);
  return std::string(reinterpret_cast<const char*>(buf), n);
}

std::vector<Option> CollectOptions(const CoapMessage& m) {
  std::vector<Option> options;
  for (const std::string& segment : m.uri_path) options.push_back({kOptionUriPath, segment});
  for (const std::string& q : m.uri_query) options.push_back({kOptionUriQuery, q});
  if (m.content_format) {
    options.push_back({kOptionContentFormat, EncodeUint(*m.content_format)});
  }
  if (m.accept) options.push_back({kOptionAccept, EncodeUint(*m.accept)});
  // TS-0008 V3.9 table 6.2.2.4.0-1, or the pre-V3.7 numbers when answering old firmware.
  auto number = [&m](OneM2mParam p) { return OneM2mOptionNumber(p, m.numbering); };
  if (m.onem2m_from) options.push_back({number(OneM2mParam::kFrom), *m.onem2m_from});
  if (m.onem2m_request_id) {
    options.push_back({number(OneM2mParam::kRequestIdentifier), *m.onem2m_request_id});
  }
  if (m.onem2m_rvi) {
    options.push_back({number(OneM2mParam::kReleaseVersionIndicator), *m.onem2m_rvi});
  }
  if (m.onem2m_rsc) {
    options.push_back({number(OneM2mParam::kResponseStatusCode), EncodeUint(*m.onem2m_rsc)});
  }
  // Stable, so repeated options keep their order.
  std::stable_sort(options.begin(), options.end(),
                   [](const Option& a, const Option& b) { return a.number < b.number; });
  return options;
}

absl::Status Validate(const CoapMessage& m, const std::vector<Option>& options) {
  if (m.token.size() > 8) {
    return absl::InvalidArgumentError(
        absl::StrCat("CoAP token of ", m.token.size(), " bytes (max 8)"));
  }
  const int code_class = CodeClass(m.code);
  if (code_class == 1 || code_class >= 6) {
    return absl::InvalidArgumentError(absl::StrCat("reserved CoAP code ", CodeToString(m.code)));
  }
  if (m.code == kCodeEmpty && (!m.token.empty() || !options.empty() || !m.payload.empty())) {
    return absl::InvalidArgumentError(
        "CoAP empty message (0.00) cannot carry a token, options or payload");
  }
  if (m.onem2m_rsc && *m.onem2m_rsc > 0xffff) {
    return absl::InvalidArgumentError("oneM2M-RSC is a 2-byte uint (TS-0008 table 6.2.2.4.0-1)");
  }
  if (m.onem2m_rvi && (m.onem2m_rvi->empty() || m.onem2m_rvi->size() > 2)) {
    return absl::InvalidArgumentError("oneM2M-RVI is 1..2 bytes (TS-0008 table 6.2.2.4.0-1)");
  }
  for (const Option& o : options) {
    if (o.value.size() > 255) {
      return absl::InvalidArgumentError(
          absl::StrCat("CoAP option ", o.number, " value of ", o.value.size(), " bytes (max 255)"));
    }
  }
  return absl::OkStatus();
}

// WritePdu assembles the datagram from a libcoap PDU; see the header for why this is needed.
absl::StatusOr<std::string> WritePdu(const coap_pdu_t* pdu) {
  const coap_bin_const_t token = coap_pdu_get_token(pdu);
  const coap_mid_t mid = coap_pdu_get_mid(pdu);
  std::string out;
  out.push_back(static_cast<char>(0x40 | (coap_pdu_get_type(pdu) << 4) | token.length));
  out.push_back(static_cast<char>(coap_pdu_get_code(pdu)));
  out.push_back(static_cast<char>((mid >> 8) & 0xff));
  out.push_back(static_cast<char>(mid & 0xff));
  out.append(reinterpret_cast<const char*>(token.s), token.length);

  coap_opt_iterator_t it;
  coap_option_iterator_init(pdu, &it, COAP_OPT_ALL);
  uint16_t previous = 0;
  while (coap_opt_t* opt = coap_option_next(&it)) {
    const uint32_t len = coap_opt_length(opt);
    const uint16_t delta = static_cast<uint16_t>(it.number - previous);
    previous = it.number;
    // coap_opt_encode returns less than its buffer size, so leave one spare byte.
    std::vector<uint8_t> buf(coap_opt_encode_size(delta, len) + 1);
    const size_t n = coap_opt_encode(buf.data(), buf.size(), delta, coap_opt_value(opt), len);
    if (n == 0) return absl::InternalError("coap_opt_encode failed");
    out.append(reinterpret_cast<const char*>(buf.data()), n);
  }

  size_t data_len = 0;
  const uint8_t* data = nullptr;
  if (coap_get_data(pdu, &data_len, &data) && data_len > 0) {
    out.push_back(static_cast<char>(0xff));
    out.append(reinterpret_cast<const char*>(data), data_len);
  }
  return out;
}

}  // namespace

absl::StatusOr<std::string> SerializeMessage(const CoapMessage& message) {
  const std::vector<Option> options = CollectOptions(message);
  absl::Status s = Validate(message, options);
  if (!s.ok()) return s;

  size_t max_size = 4 + message.token.size() + 1 + message.payload.size();
  for (const Option& o : options) max_size += 5 + o.value.size();
  internal::PduPtr pdu = internal::NewPdu(static_cast<coap_pdu_type_t>(message.type),
                                          static_cast<coap_pdu_code_t>(message.code),
                                          static_cast<coap_mid_t>(message.message_id), max_size);
  if (pdu == nullptr) return absl::ResourceExhaustedError("cannot allocate CoAP PDU");
  if (!message.token.empty() &&
      !coap_add_token(pdu.get(), message.token.size(),
                      reinterpret_cast<const uint8_t*>(message.token.data()))) {
    return absl::InternalError("coap_add_token failed");
  }
  for (const Option& o : options) {
    if (coap_add_option(pdu.get(), o.number, o.value.size(),
                        reinterpret_cast<const uint8_t*>(o.value.data())) == 0) {
      return absl::InternalError(absl::StrCat("coap_add_option failed for option ", o.number));
    }
  }
  if (!message.payload.empty() &&
      !coap_add_data(pdu.get(), message.payload.size(),
                     reinterpret_cast<const uint8_t*>(message.payload.data()))) {
    return absl::InternalError("coap_add_data failed");
  }
  return WritePdu(pdu.get());
}

}  // namespace coap
}  // namespace onem2m

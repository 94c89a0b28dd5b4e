// libFuzzer target: the CoAP datagram parser (common/coap/parser.h, on libcoap) and the oneM2M
// CoAP adapter. Whatever parses must serialise and parse back to the same message.
#include <cstddef>
#include <cstdint>
#include <string>

#include "absl/strings/string_view.h"
#include "common/coap/parser.h"
#include "common/coap/serializer.h"
#include "common/exchange/coap_adapter.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  absl::string_view d(reinterpret_cast<const char*>(data), size);
  (void)onem2m::coap::PeekHeader(d);
  absl::StatusOr<onem2m::coap::CoapMessage> m = onem2m::coap::ParseDatagram(d);
  if (!m.ok()) {
    (void)onem2m::coap::CoapCodeForParseError(m.status());
    return 0;
  }
  (void)onem2m::exchange::RequestFromCoap(*m);
  (void)onem2m::exchange::ResponseFromCoap(*m);
  absl::StatusOr<std::string> again = onem2m::coap::SerializeMessage(*m);
  if (!again.ok()) return 0;
  absl::StatusOr<onem2m::coap::CoapMessage> back = onem2m::coap::ParseDatagram(*again);
  if (!back.ok() || back->payload != m->payload || back->uri_path != m->uri_path ||
      back->token != m->token) {
    __builtin_trap();  // round trip broken
  }
  return 0;
}

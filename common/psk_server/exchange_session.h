// File: common/psk_server/exchange_session.h
//
// ExchangeSession adapts a SessionHandler to oneM2M's two bindings, so a service writes one
// transport-neutral handler: HTTP/1.1 requests (TLS) and CoAP datagrams (DTLS) become
// exchange::Request, and exchange::Response goes back as HTTP or CoAP: piggy-backed on the ACK of a
// confirmable request, a separate NON response to a non-confirmable one (TS-0008 V3.9 5.1, 6.3.1).
// A CoAP client that retransmits a request (same Message ID) gets the cached answer again instead
// of a second execution (RFC 7252 4.5 deduplication). Malformed CoAP gets a Reset, a bad option
// 4.02 (exchange::ParseErrorToCoap); a CoAP ping (empty CON) a Reset (RFC 7252 4.3).
//
//   class EnrolmentSession : public ExchangeSession {
//     void OnRequest(exchange::Request request,
//                    std::function<void(exchange::Response)> respond) override { ... }
//   };
#ifndef ONEM2M_COMMON_PSK_SERVER_EXCHANGE_SESSION_H_
#define ONEM2M_COMMON_PSK_SERVER_EXCHANGE_SESSION_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "common/exchange/message.h"
#include "common/psk_server/session_handler.h"

namespace onem2m::server {

// ExchangeOptions are the binding switches of a service.
struct ExchangeOptions {
  // Accept the oneM2M CoAP option numbers of TS-0008 before V3.7 (FR 256, RQI 257, RSC 265) as
  // well as the V3.9 ones, and answer in the numbering the request used. For old firmware only.
  bool coap_legacy_option_numbers = false;
};

class ExchangeSession : public SessionHandler {
 public:
  explicit ExchangeSession(ExchangeOptions options = {});

  // OnRequest serves one oneM2M request; call `respond` exactly once, from any thread.
  virtual void OnRequest(exchange::Request request,
                         std::function<void(exchange::Response)> respond) = 0;

  void OnHttpRequest(http::HttpRequest request,
                     std::function<void(http::HttpResponse)> respond) final;
  void OnDatagram(std::string datagram, std::function<void(std::string)> respond) final;

 private:
  // The last CoAP answer, for retransmitted requests. Shared with the respond callback, which may
  // run after this session is gone. Made on the first CoAP request: a TLS session, or an idle one,
  // holds none.
  struct CoapCache {
    std::optional<uint16_t> message_id;
    std::string answer;
  };
  std::shared_ptr<CoapCache> coap_cache_;
  ExchangeOptions options_;
  // Message IDs of this server's separate (NON) responses; starts at a random value (RFC 7252 4.4).
  uint16_t next_message_id_;
};

}  // namespace onem2m::server

#endif  // ONEM2M_COMMON_PSK_SERVER_EXCHANGE_SESSION_H_

// File: common/psk_server/exchange_session.h
//
// ExchangeSession adapts a SessionHandler to oneM2M's two bindings, so a service writes one
// transport-neutral handler: HTTP/1.1 requests (TLS) and CoAP datagrams (DTLS) become
// exchange::Request, and exchange::Response goes back as HTTP or a piggy-backed CoAP ACK.
// A CoAP client that retransmits a confirmable request (same Message ID) gets the cached answer
// again instead of a second execution (RFC 7252 4.5 deduplication).
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

class ExchangeSession : public SessionHandler {
 public:
  // OnRequest serves one oneM2M request; call `respond` exactly once, from any thread.
  virtual void OnRequest(exchange::Request request,
                         std::function<void(exchange::Response)> respond) = 0;

  void OnHttpRequest(http::HttpRequest request,
                     std::function<void(http::HttpResponse)> respond) final;
  void OnDatagram(std::string datagram, std::function<void(std::string)> respond) final;

 private:
  // The last CoAP answer, for retransmitted requests. Shared with the respond callback, which may
  // run after this session is gone.
  struct CoapCache {
    std::optional<uint16_t> message_id;
    std::string answer;
  };
  std::shared_ptr<CoapCache> coap_cache_ = std::make_shared<CoapCache>();
};

}  // namespace onem2m::server

#endif  // ONEM2M_COMMON_PSK_SERVER_EXCHANGE_SESSION_H_

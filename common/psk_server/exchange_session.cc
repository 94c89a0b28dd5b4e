#include "common/psk_server/exchange_session.h"

#include <utility>

#include "absl/strings/match.h"

#include "common/coap/parser.h"
#include "common/coap/serializer.h"
#include "common/exchange/coap_adapter.h"
#include "common/exchange/http_adapter.h"

namespace onem2m::server {

void ExchangeSession::OnHttpRequest(http::HttpRequest request,
                                    std::function<void(http::HttpResponse)> respond) {
  // The answer echoes X-M2M-RI and X-M2M-RVI (AnswerHttp); keep just those headers for it.
  http::HttpRequest echo;
  for (const http::HttpHeader& h : request.headers) {
    if (absl::EqualsIgnoreCase(h.name, exchange::kHeaderRequestId) ||
        absl::EqualsIgnoreCase(h.name, exchange::kHeaderRvi)) {
      echo.headers.push_back(h);
    }
  }
  absl::StatusOr<exchange::Request> r = exchange::RequestFromHttp(request);
  if (!r.ok()) {
    respond(exchange::AnswerHttp(echo, exchange::ErrorResponse(r.status())));
    return;
  }
  OnRequest(std::move(*r), [respond = std::move(respond), echo = std::move(echo)](
                               exchange::Response out) { respond(exchange::AnswerHttp(echo, out)); });
}

void ExchangeSession::OnDatagram(std::string datagram, std::function<void(std::string)> respond) {
  absl::StatusOr<coap::CoapMessage> m = coap::ParseDatagram(datagram);
  if (!m.ok()) {
    // Unparseable: nothing to acknowledge (RFC 7252 4.2 lets the server reject silently).
    respond("");
    return;
  }
  if (m->type != coap::MessageType::kConfirmable && m->type != coap::MessageType::kNonConfirmable) {
    respond("");  // ACK/RST from the client: nothing to answer
    return;
  }
  if (coap_cache_->message_id == m->message_id && !coap_cache_->answer.empty()) {
    respond(coap_cache_->answer);  // a retransmission of the request we already answered
    return;
  }
  absl::StatusOr<exchange::Request> r = exchange::RequestFromCoap(*m);
  auto finish = [respond, request = *m, cache = coap_cache_](const exchange::Response& out) {
    absl::StatusOr<coap::CoapMessage> ack = exchange::ResponseToCoap(request, out);
    if (!ack.ok()) ack = exchange::ResponseToCoap(request, exchange::ErrorResponse(ack.status()));
    absl::StatusOr<std::string> bytes =
        ack.ok() ? coap::SerializeMessage(*ack) : absl::StatusOr<std::string>(ack.status());
    std::string answer = bytes.ok() ? *bytes : "";
    cache->message_id = request.message_id;
    cache->answer = answer;
    respond(std::move(answer));
  };
  if (!r.ok()) {
    finish(exchange::ErrorResponse(r.status()));
    return;
  }
  OnRequest(std::move(*r), std::move(finish));
}

}  // namespace onem2m::server

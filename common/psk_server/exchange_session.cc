#include "common/psk_server/exchange_session.h"

#include <optional>
#include <utility>

#include "absl/random/random.h"
#include "absl/strings/match.h"
#include "common/coap/builders.h"
#include "common/coap/parser.h"
#include "common/coap/serializer.h"
#include "common/exchange/coap_adapter.h"
#include "common/exchange/http_adapter.h"

namespace onem2m::server {

ExchangeSession::ExchangeSession(ExchangeOptions options)
    : options_(options),
      next_message_id_(static_cast<uint16_t>(absl::Uniform<uint32_t>(absl::BitGen(), 0, 0x10000))) {
}

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
  OnRequest(std::move(*r),
            [respond = std::move(respond), echo = std::move(echo)](exchange::Response out) {
              respond(exchange::AnswerHttp(echo, out));
            });
}

void ExchangeSession::OnDatagram(std::string datagram, std::function<void(std::string)> respond) {
  auto send = [&respond](const std::optional<coap::CoapMessage>& m) {
    absl::StatusOr<std::string> bytes =
        m.has_value() ? coap::SerializeMessage(*m) : absl::StatusOr<std::string>("");
    respond(bytes.ok() ? std::move(*bytes) : "");
  };
  absl::StatusOr<coap::CoapMessage> m =
      coap::ParseDatagram(datagram, coap::CoapLimits(), options_.coap_legacy_option_numbers);
  if (!m.ok()) {
    send(exchange::ParseErrorToCoap(datagram, m.status(), next_message_id_++));
    return;
  }
  if (m->type != coap::MessageType::kConfirmable && m->type != coap::MessageType::kNonConfirmable) {
    respond("");  // ACK/RST from the client: nothing to answer
    return;
  }
  if (coap::CodeClass(m->code) != 0 || m->code == coap::kCodeEmpty) {
    // A CoAP ping (empty CON) or a response where a request belongs: Reset for a CON, silence for
    // a NON (RFC 7252 4.2, 4.3).
    send(m->type == coap::MessageType::kConfirmable
             ? std::optional<coap::CoapMessage>(coap::MakeReset(m->message_id))
             : std::nullopt);
    return;
  }
  if (coap_cache_ != nullptr && coap_cache_->message_id == m->message_id &&
      !coap_cache_->answer.empty()) {
    respond(coap_cache_->answer);  // a retransmission of the request we already answered
    return;
  }
  absl::StatusOr<exchange::Request> r = exchange::RequestFromCoap(*m);
  const uint16_t separate_id = next_message_id_++;
  if (coap_cache_ == nullptr) coap_cache_ = std::make_shared<CoapCache>();
  auto finish = [respond, request = *m, cache = coap_cache_,
                 separate_id](const exchange::Response& out) {
    absl::StatusOr<coap::CoapMessage> answer = exchange::ResponseToCoap(request, out, separate_id);
    if (!answer.ok()) {
      answer =
          exchange::ResponseToCoap(request, exchange::ErrorResponse(answer.status()), separate_id);
    }
    absl::StatusOr<std::string> bytes = answer.ok() ? coap::SerializeMessage(*answer)
                                                    : absl::StatusOr<std::string>(answer.status());
    std::string bytes_out = bytes.ok() ? *bytes : "";
    cache->message_id = request.message_id;
    cache->answer = bytes_out;
    respond(std::move(bytes_out));
  };
  if (!r.ok()) {
    finish(exchange::ErrorResponse(r.status()));
    return;
  }
  OnRequest(std::move(*r), std::move(finish));
}

}  // namespace onem2m::server

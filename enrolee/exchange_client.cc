#include "enrolee/exchange_client.h"

#include <openssl/rand.h>

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "common/coap/parser.h"
#include "common/coap/serializer.h"
#include "common/crypto/key_id.h"
#include "common/exchange/coap_adapter.h"
#include "common/exchange/http_adapter.h"
#include "common/http/response_parser.h"
#include "common/http/serializer.h"

namespace onem2m::enrolee {
namespace {

std::string RandomBytes(size_t n) {
  std::string s(n, '\0');
  if (RAND_bytes(reinterpret_cast<unsigned char*>(&s[0]), static_cast<int>(n)) != 1) {
    for (auto& c : s) c = static_cast<char>(std::rand());
  }
  return s;
}

absl::StatusOr<exchange::Response> OverHttp(tls::BlockingClient& client,
                                            const exchange::Request& request,
                                            const std::string& host, absl::Time deadline) {
  absl::StatusOr<http::HttpRequest> req = exchange::RequestToHttp(request, host);
  if (!req.ok()) return req.status();
  absl::StatusOr<std::string> bytes = http::SerializeRequest(*req);
  if (!bytes.ok()) return bytes.status();
  absl::Status w = client.Write(*bytes, deadline);
  if (!w.ok()) return w;
  http::ResponseParser parser;
  for (;;) {
    absl::StatusOr<std::string> chunk = client.Read(16 * 1024, deadline);
    if (!chunk.ok()) return chunk.status();
    absl::StatusOr<http::FeedResult> r =
        chunk->empty() ? parser.FinishAtEof() : parser.Feed(*chunk);
    if (!r.ok())
      return absl::InvalidArgumentError(absl::StrCat("bad answer: ", r.status().message()));
    if (r->state == http::ParseState::kComplete) break;
    if (chunk->empty()) return absl::UnavailableError("session closed before the answer");
  }
  absl::StatusOr<http::HttpResponse> resp = parser.TakeResponse();
  if (!resp.ok()) return resp.status();
  return exchange::ResponseFromHttp(*resp);
}

absl::StatusOr<exchange::Response> OverCoap(tls::BlockingClient& client,
                                            const exchange::Request& request, absl::Time deadline) {
  uint16_t mid;
  std::string r = RandomBytes(2);
  std::memcpy(&mid, r.data(), 2);
  std::string token = RandomBytes(4);
  absl::StatusOr<coap::CoapMessage> msg = exchange::RequestToCoap(request, mid, token);
  if (!msg.ok()) return msg.status();
  absl::StatusOr<std::string> bytes = coap::SerializeMessage(*msg);
  if (!bytes.ok()) return bytes.status();
  // RFC 7252 4.2: retransmit a confirmable message with exponential back-off (ACK_TIMEOUT 2 s).
  absl::Duration timeout = absl::Seconds(2);
  for (;;) {
    absl::Status w = client.Write(*bytes, deadline);
    if (!w.ok()) return w;
    absl::Time attempt_end = std::min(deadline, absl::Now() + timeout);
    for (;;) {
      absl::StatusOr<std::string> d = client.Read(4096, attempt_end);
      if (!d.ok()) {
        if (d.status().code() == absl::StatusCode::kDeadlineExceeded) break;
        return d.status();
      }
      if (d->empty()) return absl::UnavailableError("session closed before the answer");
      absl::StatusOr<coap::CoapMessage> ack = coap::ParseDatagram(*d);
      if (!ack.ok() || ack->message_id != mid || ack->token != token) continue;  // not ours
      return exchange::ResponseFromCoap(*ack);
    }
    if (absl::Now() >= deadline) return absl::DeadlineExceededError("no CoAP answer in time");
    timeout *= 2;
  }
}

}  // namespace

std::string NewRequestId() { return absl::StrCat("rq-", crypto::HexUpper(RandomBytes(8))); }

absl::StatusOr<exchange::Response> ExchangeOverSession(tls::BlockingClient& client,
                                                       tls::Transport transport,
                                                       const exchange::Request& request,
                                                       const std::string& host,
                                                       absl::Time deadline) {
  if (transport == tls::Transport::kTls) return OverHttp(client, request, host, deadline);
  return OverCoap(client, request, deadline);
}

}  // namespace onem2m::enrolee

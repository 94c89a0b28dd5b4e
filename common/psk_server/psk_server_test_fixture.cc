#include "common/psk_server/psk_server_test_fixture.h"

#include "common/http/response_parser.h"
#include "common/http/serializer.h"
#include "common/testing/status_matchers.h"
#include "common/testing/wait_for.h"
#include "gmock/gmock.h"

namespace onem2m::server::psk_server_test {

using ::onem2m::testing::IsOk;
using ::onem2m::testing::WaitFor;

void EchoHandler::OnHttpRequest(http::HttpRequest request,
                                std::function<void(http::HttpResponse)> respond) {
  http::HttpResponse r;
  r.status = 200;
  r.body = identity_ + "|" + export_hex_ + "|" + request.body;
  if (!gate_->hold) {
    respond(std::move(r));
    return;
  }
  gate_->answerers.emplace_back([r = std::move(r), respond = std::move(respond), g = gate_] {
    g->release.WaitForNotification();
    respond(r);
  });
  if (!gate_->arrived.HasBeenNotified()) gate_->arrived.Notify();
}

std::string Hex(const SecretBytes& s) {
  static const char* d = "0123456789abcdef";
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    out += d[s.data()[i] >> 4];
    out += d[s.data()[i] & 15];
  }
  return out;
}

absl::StatusOr<std::unique_ptr<SessionHandler>> EchoFactory::OnHandshake(
    tls::PskSession& session, const ConnectionInfo& info) {
  absl::StatusOr<SecretBytes> e = session.Export(kLabel, 48);
  if (!e.ok()) return e.status();
  return std::make_unique<EchoHandler>(info.psk_identity, Hex(*e), &gate);
}

const SecretBytes& Key() {
  static SecretBytes* k = new SecretBytes(SecretBytes::Copy("0123456789abcdef0123456789abcdef"));
  return *k;
}

void PskServerTest::StartServer(
    absl::Duration idle, int per_source, absl::Duration hs_timeout,
    std::function<absl::StatusOr<SecretBytes>(absl::string_view)> resolve, const std::string& host,
    std::shared_ptr<tls::PskResolver> custom_resolver) {
  if (!resolve) {
    resolve = [](absl::string_view id) -> absl::StatusOr<SecretBytes> {
      if (id == "device-1" || id == "device-2") return Key();
      return absl::NotFoundError("unknown");
    };
  }
  std::shared_ptr<tls::PskResolver> resolver = custom_resolver;
  if (resolver == nullptr) resolver = std::make_shared<tls::FunctionPskResolver>(resolve);
  tls::ServerOptions so;
  so.transport = tls::Transport::kTls;
  so.handshake_timeout = hs_timeout;
  auto tls_ctx = tls::PskContext::NewServer(so, resolver);
  ASSERT_THAT(tls_ctx, IsOk());
  so.transport = tls::Transport::kDtls;
  auto dtls_ctx = tls::PskContext::NewServer(so, resolver);
  ASSERT_THAT(dtls_ctx, IsOk());
  PskServerOptions o;
  o.tls_listen = {host + ":0"};
  o.dtls_listen = {host + ":0"};
  o.tls_context = *tls_ctx;
  o.dtls_context = *dtls_ctx;
  o.io_threads = 2;
  o.idle_timeout = idle;
  o.max_sessions_per_source = per_source;
  o.max_sessions = max_sessions_;
  o.memory_budget_bytes = memory_budget_bytes_;
  auto server = PskServer::Start(o, &factory_, &observer_);
  ASSERT_THAT(server, IsOk());
  server_ = std::move(*server);
}

absl::StatusOr<std::unique_ptr<tls::BlockingClient>> PskServerTest::ConnectToPort(
    tls::Transport t, const std::string& id, const SecretBytes& key, int port,
    const std::string& host) {
  tls::ClientOptions co;
  co.transport = t;
  co.psk_identity = id;
  co.psk = key;
  auto ctx = tls::PskContext::NewClient(co);
  if (!ctx.ok()) return ctx.status();
  return tls::BlockingClient::Connect(*ctx, host, port, absl::Now() + absl::Seconds(5));
}

std::string HttpRoundTrip(tls::BlockingClient& c, const std::string& body) {
  http::HttpRequest req;
  req.method = "POST";
  req.target = "/echo";
  req.body = body;
  auto bytes = http::SerializeRequest(req);
  EXPECT_THAT(bytes, IsOk());
  absl::Time deadline = absl::Now() + absl::Seconds(5);
  EXPECT_THAT(c.Write(*bytes, deadline), IsOk());
  http::ResponseParser parser;
  for (;;) {
    auto chunk = c.Read(4096, deadline);
    if (!chunk.ok() || chunk->empty()) return "<closed>";
    auto r = parser.Feed(*chunk);
    if (!r.ok()) return "<bad>";
    if (r->state == http::ParseState::kComplete) break;
  }
  auto resp = parser.TakeResponse();
  return resp.ok() ? resp->body : "<bad>";
}

bool WaitForOpenSessions(const PskServer& server, int n) {
  return WaitFor([&] { return server.open_sessions() == n; });
}

}  // namespace onem2m::server::psk_server_test

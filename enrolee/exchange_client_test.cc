// Tests for ExchangeOverSession: one oneM2M request over an established session, HTTP/1.1 over
// TLS or confirmable CoAP over DTLS with RFC 7252 4.2 retransmission, against a PskServer on
// 127.0.0.1:0 whose handler sees the raw HTTP request or CoAP datagram.
#include "enrolee/exchange_client.h"

#include <memory>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/synchronization/mutex.h"
#include "common/coap/parser.h"
#include "common/coap/serializer.h"
#include "common/exchange/coap_adapter.h"
#include "common/exchange/http_adapter.h"
#include "common/exchange/rsc.h"
#include "common/psk_server/psk_server.h"
#include "common/tls/psk_context.h"
#include "common/tls/psk_resolver.h"
#include "gtest/gtest.h"

namespace onem2m::enrolee {
namespace {

const SecretBytes& Key() {
  static const SecretBytes* k =
      new SecretBytes(SecretBytes::Copy("0123456789abcdef0123456789abcdef"));
  return *k;
}

// How the fake server treats CoAP datagrams.
enum class CoapMode {
  kAnswer,      // answer every request
  kDropFirst,   // send nothing for the first datagram, answer the next
  kStrayFirst,  // answer the first datagram with an ACK carrying another token, then answer
  kNever,       // never answer
};

struct Shared {
  absl::Mutex mu;
  CoapMode mode = CoapMode::kAnswer;
  std::vector<std::string> datagrams;
  std::vector<http::HttpRequest> http_requests;
};

class RawHandler : public server::SessionHandler {
 public:
  explicit RawHandler(Shared* shared) : shared_(shared) {}

  void OnHttpRequest(http::HttpRequest request,
                     std::function<void(http::HttpResponse)> respond) override {
    {
      absl::MutexLock l(&shared_->mu);
      shared_->http_requests.push_back(request);
    }
    exchange::Response r{exchange::kRscOk, {{"target", request.target}, {"echo", request.body}}};
    // As the servers answer: no reason phrase, X-M2M-RI and X-M2M-RVI echoed.
    respond(exchange::AnswerHttp(request, r));
  }

  void OnDatagram(std::string datagram, std::function<void(std::string)> respond) override {
    CoapMode mode;
    size_t n;
    {
      absl::MutexLock l(&shared_->mu);
      shared_->datagrams.push_back(datagram);
      mode = shared_->mode;
      n = shared_->datagrams.size();
    }
    auto m = coap::ParseDatagram(datagram);
    if (!m.ok() || mode == CoapMode::kNever || (mode == CoapMode::kDropFirst && n == 1)) {
      respond("");
      return;
    }
    coap::CoapMessage request = *m;
    if (mode == CoapMode::kStrayFirst && n == 1) request.token = "not-ours";
    exchange::Response r{exchange::kRscOk,
                         {{"path", request.uri_path.empty() ? "" : request.uri_path[0]},
                          {"echo", request.payload},
                          {"n", static_cast<int>(n)}}};
    auto ack = exchange::ResponseToCoap(request, r);
    auto bytes = ack.ok() ? coap::SerializeMessage(*ack) : absl::StatusOr<std::string>("");
    respond(bytes.ok() ? *bytes : "");
  }

 private:
  Shared* shared_;
};

class RawFactory : public server::SessionHandlerFactory {
 public:
  explicit RawFactory(Shared* shared) : shared_(shared) {}
  absl::StatusOr<std::unique_ptr<server::SessionHandler>> OnHandshake(
      tls::PskSession&, const server::ConnectionInfo&) override {
    return std::make_unique<RawHandler>(shared_);
  }

 private:
  Shared* shared_;
};

class ExchangeClientTest : public testing::Test {
 protected:
  void SetUp() override {
    auto resolver = std::make_shared<tls::FunctionPskResolver>(
        [](absl::string_view) -> absl::StatusOr<SecretBytes> { return Key(); });
    tls::ServerOptions so;
    so.handshake_timeout = absl::Seconds(5);
    so.transport = tls::Transport::kTls;
    auto tls_ctx = tls::PskContext::NewServer(so, resolver);
    ASSERT_TRUE(tls_ctx.ok()) << tls_ctx.status();
    so.transport = tls::Transport::kDtls;
    auto dtls_ctx = tls::PskContext::NewServer(so, resolver);
    ASSERT_TRUE(dtls_ctx.ok()) << dtls_ctx.status();
    server::PskServerOptions o;
    o.tls_listen = {"127.0.0.1:0"};
    o.dtls_listen = {"127.0.0.1:0"};
    o.tls_context = *tls_ctx;
    o.dtls_context = *dtls_ctx;
    o.io_threads = 1;
    auto server = server::PskServer::Start(o, &factory_, nullptr);
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = std::move(*server);
  }
  void TearDown() override {
    if (server_) server_->Shutdown(absl::Seconds(1));
  }

  std::unique_ptr<tls::BlockingClient> Connect(tls::Transport t) {
    tls::ClientOptions co;
    co.transport = t;
    co.psk_identity = "device-1";
    co.psk = Key();
    auto ctx = tls::PskContext::NewClient(co);
    EXPECT_TRUE(ctx.ok()) << ctx.status();
    int port = t == tls::Transport::kTls ? server_->tls_addresses()[0].port()
                                         : server_->dtls_addresses()[0].port();
    auto c = tls::BlockingClient::Connect(*ctx, "127.0.0.1", port, absl::Now() + absl::Seconds(5));
    EXPECT_TRUE(c.ok()) << c.status();
    return c.ok() ? std::move(*c) : nullptr;
  }

  void SetMode(CoapMode m) {
    absl::MutexLock l(&shared_.mu);
    shared_.mode = m;
  }
  std::vector<std::string> Datagrams() {
    absl::MutexLock l(&shared_.mu);
    return shared_.datagrams;
  }

  static exchange::Request Request(const std::string& body) {
    exchange::Request r;
    r.method = exchange::Method::kPost;
    r.path = "/enrolment";
    r.originator = "C-device-1";
    r.request_id = NewRequestId();
    r.content_type = "application/json";
    r.body = body;
    return r;
  }

  Shared shared_;
  RawFactory factory_{&shared_};
  std::unique_ptr<server::PskServer> server_;
};

TEST(NewRequestIdTest, IsPrefixedUpperHexAndFresh) {
  std::string a = NewRequestId();
  std::string b = NewRequestId();
  EXPECT_NE(a, b);
  ASSERT_TRUE(absl::StartsWith(a, "rq-")) << a;
  EXPECT_EQ(a.size(), 3u + 16u);
  for (char c : a.substr(3)) EXPECT_TRUE(isdigit(c) || (c >= 'A' && c <= 'F')) << a;
}

TEST_F(ExchangeClientTest, HttpRequestCarriesOneM2mHeadersAndAnswerIsParsed) {
  auto c = Connect(tls::Transport::kTls);
  ASSERT_NE(c, nullptr);
  exchange::Request req = Request(R"({"a":1})");
  auto resp = ExchangeOverSession(*c, tls::Transport::kTls, req, "mef.example.com",
                                  absl::Now() + absl::Seconds(5));
  ASSERT_TRUE(resp.ok()) << resp.status();
  EXPECT_EQ(resp->rsc, exchange::kRscOk);
  EXPECT_EQ(resp->body["target"], "/enrolment");
  EXPECT_EQ(resp->body["echo"], R"({"a":1})");
  absl::MutexLock l(&shared_.mu);
  ASSERT_EQ(shared_.http_requests.size(), 1u);
  const http::HttpRequest& seen = shared_.http_requests[0];
  EXPECT_EQ(seen.method, "POST");
  const std::string* ri = http::FindHeader(seen.headers, exchange::kHeaderRequestId);
  ASSERT_NE(ri, nullptr);
  EXPECT_EQ(*ri, req.request_id);
  const std::string* origin = http::FindHeader(seen.headers, exchange::kHeaderOrigin);
  ASSERT_NE(origin, nullptr);
  EXPECT_EQ(*origin, "C-device-1");
  const std::string* host = http::FindHeader(seen.headers, "Host");
  ASSERT_NE(host, nullptr);
  EXPECT_EQ(*host, "mef.example.com");
  // TS-0009 V3.9.1 6.4.22 / TS-0004 7.3.1.1: the device states its release.
  const std::string* rvi = http::FindHeader(seen.headers, exchange::kHeaderRvi);
  ASSERT_NE(rvi, nullptr);
  EXPECT_EQ(*rvi, "3");
}

TEST_F(ExchangeClientTest, TwoHttpRequestsOnOneSession) {
  auto c = Connect(tls::Transport::kTls);
  ASSERT_NE(c, nullptr);
  absl::Time deadline = absl::Now() + absl::Seconds(5);
  auto a = ExchangeOverSession(*c, tls::Transport::kTls, Request("{}"), "h", deadline);
  auto b = ExchangeOverSession(*c, tls::Transport::kTls, Request(R"({"b":2})"), "h", deadline);
  ASSERT_TRUE(a.ok()) << a.status();
  ASSERT_TRUE(b.ok()) << b.status();
  EXPECT_EQ(b->body["echo"], R"({"b":2})");
}

TEST_F(ExchangeClientTest, EmptyRequestIdIsRefusedBeforeSending) {
  auto c = Connect(tls::Transport::kTls);
  ASSERT_NE(c, nullptr);
  exchange::Request req = Request("{}");
  req.request_id.clear();
  auto resp =
      ExchangeOverSession(*c, tls::Transport::kTls, req, "h", absl::Now() + absl::Seconds(5));
  ASSERT_FALSE(resp.ok());
  EXPECT_EQ(resp.status().code(), absl::StatusCode::kInvalidArgument);
  absl::MutexLock l(&shared_.mu);
  EXPECT_TRUE(shared_.http_requests.empty());
}

TEST_F(ExchangeClientTest, CoapConfirmablePostIsAnswered) {
  auto c = Connect(tls::Transport::kDtls);
  ASSERT_NE(c, nullptr);
  auto resp = ExchangeOverSession(*c, tls::Transport::kDtls, Request(R"({"x":true})"), "h",
                                  absl::Now() + absl::Seconds(5));
  ASSERT_TRUE(resp.ok()) << resp.status();
  EXPECT_EQ(resp->rsc, exchange::kRscOk);
  EXPECT_EQ(resp->body["path"], "enrolment");
  EXPECT_EQ(resp->body["echo"], R"({"x":true})");
  std::vector<std::string> d = Datagrams();
  ASSERT_EQ(d.size(), 1u);
  auto m = coap::ParseDatagram(d[0]);
  ASSERT_TRUE(m.ok());
  EXPECT_EQ(m->type, coap::MessageType::kConfirmable);
  EXPECT_EQ(m->code, coap::kCodePost);
  EXPECT_EQ(m->content_format.value_or(0), coap::kContentFormatJson);
  EXPECT_FALSE(m->token.empty());
}

TEST_F(ExchangeClientTest, CoapRetransmitsSameMessageUntilAnswered) {
  SetMode(CoapMode::kDropFirst);
  auto c = Connect(tls::Transport::kDtls);
  ASSERT_NE(c, nullptr);
  absl::Time start = absl::Now();
  auto resp = ExchangeOverSession(*c, tls::Transport::kDtls, Request("{}"), "h",
                                  absl::Now() + absl::Seconds(8));
  ASSERT_TRUE(resp.ok()) << resp.status();
  EXPECT_EQ(resp->body["n"], 2);
  // RFC 7252 4.2: the first retransmission after ACK_TIMEOUT (2 s here).
  EXPECT_GE(absl::Now() - start, absl::Milliseconds(1900));
  std::vector<std::string> d = Datagrams();
  ASSERT_EQ(d.size(), 2u);
  EXPECT_EQ(d[0], d[1]);  // same Message ID, token and bytes
}

TEST_F(ExchangeClientTest, CoapIgnoresAnswerWithAnotherToken) {
  SetMode(CoapMode::kStrayFirst);
  auto c = Connect(tls::Transport::kDtls);
  ASSERT_NE(c, nullptr);
  auto resp = ExchangeOverSession(*c, tls::Transport::kDtls, Request("{}"), "h",
                                  absl::Now() + absl::Seconds(8));
  ASSERT_TRUE(resp.ok()) << resp.status();
  EXPECT_EQ(resp->body["n"], 2);  // the stray answer to datagram 1 was not taken
}

TEST_F(ExchangeClientTest, CoapWithoutAnswerEndsAtDeadline) {
  SetMode(CoapMode::kNever);
  auto c = Connect(tls::Transport::kDtls);
  ASSERT_NE(c, nullptr);
  absl::Time start = absl::Now();
  auto resp = ExchangeOverSession(*c, tls::Transport::kDtls, Request("{}"), "h",
                                  start + absl::Milliseconds(600));
  ASSERT_FALSE(resp.ok());
  EXPECT_EQ(resp.status().code(), absl::StatusCode::kDeadlineExceeded) << resp.status();
  absl::Duration took = absl::Now() - start;
  EXPECT_GE(took, absl::Milliseconds(550));
  EXPECT_LT(took, absl::Seconds(3));
}

}  // namespace
}  // namespace onem2m::enrolee

#include "common/psk_server/psk_server.h"

#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <thread>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "common/http/response_parser.h"
#include "common/http/serializer.h"
#include "common/net/socket_util.h"
#include "common/openssl_util.h"
#include "common/testing/status_matchers.h"
#include "common/testing/wait_for.h"
#include "common/tls/blocking_client.h"
#include "common/tls/psk_resolver.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace onem2m::server {
namespace {

using ::onem2m::testing::IsOk;
using ::onem2m::testing::WaitFor;
using ::testing::Not;

constexpr char kLabel[] = "EXPORTER-oneM2M-Bootstrap";

// AnswerGate holds HTTP answers back when `hold` is set: the request's arrival is announced and
// the answer comes from another thread once the test releases it, as a store commit's would.
struct AnswerGate {
  ~AnswerGate() {
    if (!release.HasBeenNotified()) release.Notify();  // a failed test must not hang the join
    for (std::thread& t : answerers) t.join();
  }
  bool hold = false;
  absl::Notification arrived;          // a held request reached the handler
  absl::Notification release;          // the test lets held answers go
  std::vector<std::thread> answerers;  // touched only on the I/O thread, joined at the end
};

// EchoHandler answers every request with the session's identity and the hex of its export, so
// the test can compare both sides.
class EchoHandler : public SessionHandler {
 public:
  EchoHandler(std::string identity, std::string export_hex, AnswerGate* gate)
      : identity_(std::move(identity)), export_hex_(std::move(export_hex)), gate_(gate) {}
  void OnHttpRequest(http::HttpRequest request,
                     std::function<void(http::HttpResponse)> respond) override {
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
  void OnDatagram(std::string datagram, std::function<void(std::string)> respond) override {
    respond(identity_ + "|" + export_hex_ + "|" + datagram);
  }

 private:
  std::string identity_, export_hex_;
  AnswerGate* gate_;
};

std::string Hex(const SecretBytes& s) {
  static const char* d = "0123456789abcdef";
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    out += d[s.data()[i] >> 4];
    out += d[s.data()[i] & 15];
  }
  return out;
}

class EchoFactory : public SessionHandlerFactory {
 public:
  absl::StatusOr<std::unique_ptr<SessionHandler>> OnHandshake(tls::PskSession& session,
                                                              const ConnectionInfo& info) override {
    absl::StatusOr<SecretBytes> e = session.Export(kLabel, 48);
    if (!e.ok()) return e.status();
    return std::make_unique<EchoHandler>(info.psk_identity, Hex(*e), &gate);
  }
  AnswerGate gate;
};

class CountingObserver : public ServerObserver {
 public:
  void OnHandshake(const ConnectionInfo&, HandshakeOutcome outcome, absl::Duration) override {
    absl::MutexLock l(&mu);
    outcomes.push_back(outcome);
  }
  int Count(HandshakeOutcome o) {
    absl::MutexLock l(&mu);
    int n = 0;
    for (auto x : outcomes) n += x == o;
    return n;
  }
  absl::Mutex mu;
  std::vector<HandshakeOutcome> outcomes;
};

const SecretBytes& Key() {
  static SecretBytes* k = new SecretBytes(SecretBytes::Copy("0123456789abcdef0123456789abcdef"));
  return *k;
}

class PskServerTest : public ::testing::Test {
 protected:
  void StartServer(absl::Duration idle = absl::Seconds(30), int per_source = 256,
                   absl::Duration hs_timeout = absl::Seconds(5),
                   std::function<absl::StatusOr<SecretBytes>(absl::string_view)> resolve = {},
                   const std::string& host = "127.0.0.1",
                   std::shared_ptr<tls::PskResolver> custom_resolver = nullptr) {
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

  absl::StatusOr<std::unique_ptr<tls::BlockingClient>> Connect(
      tls::Transport t, const std::string& id, const SecretBytes& key,
      const std::string& host = "127.0.0.1") {
    return ConnectToPort(t, id, key, Port(t), host);
  }

  int Port(tls::Transport t) const {
    return t == tls::Transport::kTls ? server_->tls_addresses()[0].port()
                                     : server_->dtls_addresses()[0].port();
  }

  // ConnectToPort does not touch server_, so a client thread may run while the test resets it.
  static absl::StatusOr<std::unique_ptr<tls::BlockingClient>> ConnectToPort(
      tls::Transport t, const std::string& id, const SecretBytes& key, int port,
      const std::string& host = "127.0.0.1") {
    tls::ClientOptions co;
    co.transport = t;
    co.psk_identity = id;
    co.psk = key;
    auto ctx = tls::PskContext::NewClient(co);
    if (!ctx.ok()) return ctx.status();
    return tls::BlockingClient::Connect(*ctx, host, port, absl::Now() + absl::Seconds(5));
  }

  int max_sessions_ = 10000;
  int64_t memory_budget_bytes_ = 0;
  EchoFactory factory_;
  CountingObserver observer_;
  std::unique_ptr<PskServer> server_;
};

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

// WaitForOpenSessions waits until the server counts `n` open sessions (sessions open and close on
// the I/O thread after the client's socket does); false after 10 s.
bool WaitForOpenSessions(const PskServer& server, int n) {
  return WaitFor([&] { return server.open_sessions() == n; });
}

TEST_F(PskServerTest, TlsSessionAnswersWithMatchingExport) {
  StartServer();
  auto c = Connect(tls::Transport::kTls, "device-1", Key());
  ASSERT_THAT(c, IsOk());
  auto mine = (*c)->session().Export(kLabel, 48);
  ASSERT_THAT(mine, IsOk());
  EXPECT_EQ(HttpRoundTrip(**c, "hello"), "device-1|" + Hex(*mine) + "|hello");
  // A second request on the same session works too.
  EXPECT_EQ(HttpRoundTrip(**c, "again"), "device-1|" + Hex(*mine) + "|again");
}

TEST_F(PskServerTest, DtlsSessionAnswersWithMatchingExport) {
  StartServer();
  auto c = Connect(tls::Transport::kDtls, "device-2", Key());
  ASSERT_THAT(c, IsOk());
  auto mine = (*c)->session().Export(kLabel, 48);
  ASSERT_THAT(mine, IsOk());
  absl::Time deadline = absl::Now() + absl::Seconds(5);
  ASSERT_THAT((*c)->Write("ping", deadline), IsOk());
  auto got = (*c)->Read(2048, deadline);
  ASSERT_THAT(got, IsOk());
  EXPECT_EQ(*got, "device-2|" + Hex(*mine) + "|ping");
}

TEST_F(PskServerTest, ServesIpv6OverTlsAndDtls) {
  StartServer(absl::Seconds(30), 256, absl::Seconds(5), {}, "[::1]");
  for (tls::Transport t : {tls::Transport::kTls, tls::Transport::kDtls}) {
    auto c = Connect(t, "device-1", Key(), "::1");
    ASSERT_THAT(c, IsOk());
    auto mine = (*c)->session().Export(kLabel, 48);
    ASSERT_THAT(mine, IsOk());
    if (t == tls::Transport::kTls) {
      EXPECT_EQ(HttpRoundTrip(**c, "v6"), "device-1|" + Hex(*mine) + "|v6");
    } else {
      absl::Time deadline = absl::Now() + absl::Seconds(5);
      ASSERT_THAT((*c)->Write("v6", deadline), IsOk());
      auto got = (*c)->Read(2048, deadline);
      ASSERT_THAT(got, IsOk());
      EXPECT_EQ(*got, "device-1|" + Hex(*mine) + "|v6");
    }
  }
}

// A device that restarts from the same UDP port starts a new handshake; the server replaces the
// old session instead of feeding the new ClientHello into it.
TEST_F(PskServerTest, DtlsPeerRestartingFromTheSamePortGetsANewSession) {
  StartServer();
  int port = server_->dtls_addresses()[0].port();
  tls::ClientOptions co;
  co.transport = tls::Transport::kDtls;
  co.psk_identity = "device-1";
  co.psk = Key();
  auto ctx = tls::PskContext::NewClient(co);
  ASSERT_THAT(ctx, IsOk());
  auto addr = net::ParseHostPort("127.0.0.1:" + std::to_string(port));
  ASSERT_THAT(addr, IsOk());
  // Two sessions in turn from one bound client port, the first never closed.
  auto local = net::ParseHostPort("127.0.0.1:0");
  auto fd = net::BindUdp(*local, false);
  ASSERT_THAT(fd, IsOk());
  auto bound = net::LocalAddress(*fd);
  ASSERT_THAT(bound, IsOk());
  close(*fd);
  for (int round = 0; round < 2; ++round) {
    SCOPED_TRACE(round);
    int s = socket(AF_INET, SOCK_DGRAM, 0);
    int one = 1;
    setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    ASSERT_EQ(bind(s, bound->sa(), bound->len), 0);
    ASSERT_EQ(connect(s, addr->sa(), addr->len), 0);
    auto session = tls::PskSession::NewDatagramClient(*ctx, absl::Now());
    ASSERT_THAT(session, IsOk());
    absl::Time deadline = absl::Now() + absl::Seconds(5);
    tls::Step step = (*session)->Handshake();
    std::string out;
    while (step != tls::Step::kDone && absl::Now() < deadline) {
      while ((*session)->PopDatagram(&out)) (void)send(s, out.data(), out.size(), 0);
      if (step == tls::Step::kFailed) break;
      pollfd p{s, POLLIN, 0};
      if (poll(&p, 1, 100) > 0) {
        char buf[2048];
        ssize_t n = recv(s, buf, sizeof(buf), 0);
        if (n > 0) (*session)->FeedDatagram(absl::string_view(buf, n));
      } else {
        (void)(*session)->HandleDtlsTimeout();
      }
      step = (*session)->Handshake();
    }
    while ((*session)->PopDatagram(&out)) (void)send(s, out.data(), out.size(), 0);
    EXPECT_EQ(step, tls::Step::kDone) << (*session)->status();
    close(s);  // no close_notify: the server still holds the session when round 2 starts
  }
}

TEST_F(PskServerTest, WrongKeyAndUnknownIdentityFailAlike) {
  StartServer();
  SecretBytes wrong = SecretBytes::Copy("ffffffffffffffffffffffffffffffff");
  for (tls::Transport t : {tls::Transport::kTls, tls::Transport::kDtls}) {
    auto a = Connect(t, "device-1", wrong);
    auto b = Connect(t, "nobody", Key());
    ASSERT_THAT(a, Not(IsOk()));
    ASSERT_THAT(b, Not(IsOk()));
    EXPECT_EQ(a.status().code(), b.status().code());
  }
  // TLS: both fail with an alert. DTLS drops the undecryptable Finished silently (RFC 6347
  // 4.1.2.1), so a wrong key there ends at the client's deadline; the server counts bad keys it
  // can tell (unknown identity) at once, on its I/O thread, just after the client gives up.
  EXPECT_TRUE(WaitFor([&] { return observer_.Count(HandshakeOutcome::kBadKey) >= 3; }))
      << observer_.Count(HandshakeOutcome::kBadKey);
}

TEST_F(PskServerTest, GarbageInsteadOfClientHelloIsDroppedAndServerKeepsServing) {
  StartServer();
  auto addr = server_->tls_addresses()[0];
  auto fd = net::ConnectWithDeadline(addr, SOCK_STREAM, absl::Now() + absl::Seconds(2));
  ASSERT_THAT(fd, IsOk());
  std::string junk(512, 'x');
  ASSERT_EQ(write(*fd, junk.data(), junk.size()), static_cast<ssize_t>(junk.size()));
  char buf[256];
  timeval tv{2, 0};
  setsockopt(*fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  ssize_t n;
  while ((n = read(*fd, buf, sizeof(buf))) > 0) {
  }
  // The server closed the connection: EOF, or a reset since our junk was left unread.
  EXPECT_TRUE(n == 0 || (n < 0 && errno == ECONNRESET)) << "read returned " << n;
  close(*fd);
  auto c = Connect(tls::Transport::kTls, "device-1", Key());
  EXPECT_THAT(c, IsOk());
}

TEST_F(PskServerTest, SilentClientIsClosedAtHandshakeDeadline) {
  StartServer(absl::Seconds(30), 256, absl::Milliseconds(300));
  auto fd = net::ConnectWithDeadline(server_->tls_addresses()[0], SOCK_STREAM,
                                     absl::Now() + absl::Seconds(2));
  ASSERT_THAT(fd, IsOk());
  EXPECT_TRUE(WaitForOpenSessions(*server_, 1));
  char buf[16];
  timeval tv{3, 0};
  setsockopt(*fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  absl::Time start = absl::Now();
  EXPECT_EQ(read(*fd, buf, sizeof(buf)), 0);
  EXPECT_LT(absl::Now() - start, absl::Seconds(2));
  close(*fd);
  EXPECT_TRUE(WaitForOpenSessions(*server_, 0));
  EXPECT_GE(observer_.Count(HandshakeOutcome::kTimeout), 1);
}

TEST_F(PskServerTest, IdleSessionIsClosed) {
  StartServer(absl::Milliseconds(200));
  auto c = Connect(tls::Transport::kTls, "device-1", Key());
  ASSERT_THAT(c, IsOk());
  auto r = (*c)->Read(16, absl::Now() + absl::Seconds(3));
  // Either close_notify ("") or a transport error: the server went away.
  EXPECT_TRUE(!r.ok() || r->empty());
}

TEST_F(PskServerTest, PerSourceCapRefusesExtraSessions) {
  StartServer(absl::Seconds(30), 2);
  auto a = Connect(tls::Transport::kTls, "device-1", Key());
  auto b = Connect(tls::Transport::kTls, "device-1", Key());
  ASSERT_THAT(a, IsOk());
  ASSERT_THAT(b, IsOk());
  auto c = Connect(tls::Transport::kTls, "device-1", Key());
  EXPECT_THAT(c, Not(IsOk()));
  EXPECT_TRUE(WaitFor([&] { return observer_.Count(HandshakeOutcome::kRejected) >= 1; }));
}

TEST_F(PskServerTest, GlobalSessionCapRefusesNewSessionsUntilOneCloses) {
  max_sessions_ = 2;
  StartServer();
  auto a = Connect(tls::Transport::kTls, "device-1", Key());
  auto b = Connect(tls::Transport::kDtls, "device-2", Key());
  ASSERT_THAT(a, IsOk());
  ASSERT_THAT(b, IsOk());
  // Full: a third TLS connection is closed before its handshake, from any source.
  auto c = Connect(tls::Transport::kTls, "device-1", Key());
  EXPECT_THAT(c, Not(IsOk()));
  EXPECT_GE(observer_.Count(HandshakeOutcome::kOverCapacity), 1);
  EXPECT_EQ(observer_.Count(HandshakeOutcome::kRejected), 0);
  // The sessions already open keep working.
  EXPECT_NE(HttpRoundTrip(**a, "still here").find("still here"), std::string::npos);
  a->reset();
  ASSERT_TRUE(WaitForOpenSessions(*server_, 1));
  auto d = Connect(tls::Transport::kTls, "device-1", Key());
  EXPECT_THAT(d, IsOk());
}

TEST_F(PskServerTest, DtlsClientHelloPastCapGetsNoAnswer) {
  max_sessions_ = 1;
  StartServer();
  auto a = Connect(tls::Transport::kTls, "device-1", Key());
  ASSERT_THAT(a, IsOk());
  tls::ClientOptions co;
  co.transport = tls::Transport::kDtls;
  co.psk_identity = "device-2";
  co.psk = Key();
  auto ctx = tls::PskContext::NewClient(co);
  ASSERT_THAT(ctx, IsOk());
  auto b = tls::BlockingClient::Connect(*ctx, "127.0.0.1", Port(tls::Transport::kDtls),
                                        absl::Now() + absl::Seconds(2));
  EXPECT_THAT(b, Not(IsOk()));
  EXPECT_GE(observer_.Count(HandshakeOutcome::kOverCapacity), 1);
  EXPECT_EQ(server_->open_sessions(), 1);
}

TEST_F(PskServerTest, MemoryBudgetRefusesNewSessions) {
  memory_budget_bytes_ = 1;  // any heap at all is over it
  StartServer();
  auto a = Connect(tls::Transport::kTls, "device-1", Key());
  EXPECT_THAT(a, Not(IsOk()));
  EXPECT_GE(observer_.Count(HandshakeOutcome::kOverCapacity), 1);
  EXPECT_EQ(observer_.Count(HandshakeOutcome::kOk), 0);
}

// MemoryClient is a TLS-PSK client over memory BIOs: the test carries its bytes to the socket.
struct MemoryClient {
  SslCtxPtr ctx;
  SslPtr ssl;
  BIO* in = nullptr;   // owned by ssl
  BIO* out = nullptr;  // owned by ssl
};

TEST_F(PskServerTest, ClientHelloArrivingInPiecesStillCompletesHandshake) {
  StartServer();
  // An OpenSSL client over memory BIOs, so the test decides how its bytes reach the socket.
  MemoryClient mc;
  mc.ctx.reset(SSL_CTX_new(TLS_client_method()));
  ASSERT_NE(mc.ctx, nullptr);
  SSL_CTX_set_max_proto_version(mc.ctx.get(), TLS1_2_VERSION);
  SSL_CTX_set_cipher_list(mc.ctx.get(), "PSK-AES128-CBC-SHA256");
  SSL_CTX_set_psk_client_callback(mc.ctx.get(),
                                  [](SSL*, const char*, char* identity, unsigned int max_id,
                                     unsigned char* psk, unsigned int max_psk) -> unsigned int {
                                    snprintf(identity, max_id, "device-1");
                                    const SecretBytes& k = Key();
                                    if (k.size() > max_psk) return 0;
                                    memcpy(psk, k.data(), k.size());
                                    return static_cast<unsigned int>(k.size());
                                  });
  mc.ssl.reset(SSL_new(mc.ctx.get()));
  mc.in = BIO_new(BIO_s_mem());
  mc.out = BIO_new(BIO_s_mem());
  SSL_set_bio(mc.ssl.get(), mc.in, mc.out);
  SSL_set_connect_state(mc.ssl.get());
  ASSERT_EQ(SSL_do_handshake(mc.ssl.get()), -1);
  std::string hello(BIO_ctrl_pending(mc.out), '\0');
  ASSERT_EQ(BIO_read(mc.out, hello.data(), hello.size()), static_cast<int>(hello.size()));
  ASSERT_GT(hello.size(), 10u);

  auto fd = net::ConnectWithDeadline(server_->tls_addresses()[0], SOCK_STREAM,
                                     absl::Now() + absl::Seconds(2));
  ASSERT_THAT(fd, IsOk());
  // Three bytes of the header, then the rest of the header and half the body, then the rest: the
  // server must wait each time, and answer once the record is whole.
  const size_t cuts[] = {0, 3, 5 + (hello.size() - 5) / 2, hello.size()};
  for (int i = 0; i < 3; ++i) {
    ASSERT_EQ(write(*fd, hello.data() + cuts[i], cuts[i + 1] - cuts[i]),
              static_cast<ssize_t>(cuts[i + 1] - cuts[i]));
    if (i < 2) {
      // The pause between pieces is the point of the test: give the server 50 ms to answer the
      // partial record (it must not), returning at once if it wrongly does.
      pollfd p{*fd, POLLIN, 0};
      EXPECT_EQ(poll(&p, 1, /*timeout_ms=*/50), 0)
          << "the server answered an incomplete ClientHello";
    }
  }
  timeval tv{5, 0};
  setsockopt(*fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  char buf[4096];
  while (SSL_is_init_finished(mc.ssl.get()) != 1) {
    ssize_t n = read(*fd, buf, sizeof(buf));
    ASSERT_GT(n, 0) << "server closed during the handshake";
    BIO_write(mc.in, buf, static_cast<int>(n));
    int r = SSL_do_handshake(mc.ssl.get());
    if (r != 1) {
      ASSERT_EQ(SSL_get_error(mc.ssl.get(), r), SSL_ERROR_WANT_READ);
    }
    size_t pending = BIO_ctrl_pending(mc.out);
    if (pending > 0) {
      std::string flight(pending, '\0');
      BIO_read(mc.out, flight.data(), static_cast<int>(pending));
      ASSERT_EQ(write(*fd, flight.data(), flight.size()), static_cast<ssize_t>(flight.size()));
    }
  }
  // The server counts its handshake once it has sent its Finished, which may be just after.
  EXPECT_TRUE(WaitFor([&] { return observer_.Count(HandshakeOutcome::kOk) > 0; }));
  EXPECT_EQ(observer_.Count(HandshakeOutcome::kOk), 1);
  close(*fd);
}

TEST_F(PskServerTest, ClientLeavingMidClientHelloIsCountedAndClosed) {
  StartServer();
  auto fd = net::ConnectWithDeadline(server_->tls_addresses()[0], SOCK_STREAM,
                                     absl::Now() + absl::Seconds(2));
  ASSERT_THAT(fd, IsOk());
  ASSERT_TRUE(WaitForOpenSessions(*server_, 1));
  // A handshake record header announcing 200 bytes, and only 10 of them.
  const unsigned char partial[] = {22, 3, 1, 0, 200, 1, 0, 0, 196, 3, 3, 0, 0, 0, 0};
  ASSERT_EQ(write(*fd, partial, sizeof(partial)), static_cast<ssize_t>(sizeof(partial)));
  close(*fd);
  ASSERT_TRUE(WaitForOpenSessions(*server_, 0));
  EXPECT_EQ(observer_.Count(HandshakeOutcome::kProtocolError), 1);
  // And the server still serves.
  auto c = Connect(tls::Transport::kTls, "device-1", Key());
  EXPECT_THAT(c, IsOk());
}

// Echo sends `body` over either transport (HTTP over TLS, a bare datagram over DTLS) and returns
// what the echo handler answered after its "identity|export|" prefix.
std::string Echo(tls::Transport t, tls::BlockingClient& c, const std::string& body) {
  std::string answer;
  if (t == tls::Transport::kTls) {
    answer = HttpRoundTrip(c, body);
  } else {
    absl::Time deadline = absl::Now() + absl::Seconds(5);
    if (!c.Write(body, deadline).ok()) return "<write>";
    absl::StatusOr<std::string> got = c.Read(2048, deadline);
    if (!got.ok()) return "<read>";
    answer = *got;
  }
  size_t bar = answer.rfind('|');
  return bar == std::string::npos ? answer : answer.substr(bar + 1);
}

// An asynchronous resolver: "slow-*" identities are answered from another thread once released
// (or never); every other identity is answered at once, inside ResolveAsync.
class GatedAsyncResolver : public tls::PskResolver {
 public:
  ~GatedAsyncResolver() override { ReleaseAll(); }
  absl::StatusOr<tls::ResolvedPsk> Resolve(absl::string_view) override {
    return absl::InternalError("synchronous lookup on an async server");
  }
  bool SupportsAsync() const override { return true; }
  void ResolveAsync(absl::string_view identity, ResolveDone done) override {
    if (!absl::StartsWith(identity, "slow")) {
      done(Key());
      return;
    }
    absl::MutexLock l(&mu_);
    waiting_.push_back(std::move(done));
  }
  int waiting() {
    absl::MutexLock l(&mu_);
    return static_cast<int>(waiting_.size());
  }
  void ReleaseAll() {
    std::vector<ResolveDone> all;
    {
      absl::MutexLock l(&mu_);
      all.swap(waiting_);
    }
    std::thread answer([all = std::move(all)] {
      for (const ResolveDone& d : all) d(Key());
    });
    answer.join();
  }

 private:
  absl::Mutex mu_;
  std::vector<ResolveDone> waiting_;
};

TEST_F(PskServerTest, AsyncLookupsPauseSessionsWithoutStallingTheIoThreads) {
  auto resolver = std::make_shared<GatedAsyncResolver>();
  StartServer(absl::Seconds(30), 256, absl::Seconds(10), {}, "127.0.0.1", resolver);
  std::vector<std::thread> slow;
  std::atomic<int> slow_ok{0};
  for (int i = 0; i < 6; ++i) {
    tls::Transport t = i % 2 == 0 ? tls::Transport::kTls : tls::Transport::kDtls;
    slow.emplace_back([&, t, i] {
      auto c = Connect(t, absl::StrCat("slow-", i), Key());
      if (c.ok() && Echo(t, **c, "late") == "late") ++slow_ok;
    });
  }
  // (DTLS clients retransmit a lost flight after 1 s, hence the generous wait.)
  EXPECT_TRUE(WaitFor([&] { return resolver->waiting() >= 6; }));
  EXPECT_EQ(resolver->waiting(), 6);  // every I/O thread holds paused sessions...
  for (tls::Transport t : {tls::Transport::kTls, tls::Transport::kDtls}) {
    absl::Time start = absl::Now();
    auto fast = Connect(t, "device-1", Key());  // ...and still serves others at once
    EXPECT_THAT(fast, IsOk());
    if (fast.ok()) EXPECT_EQ(Echo(t, **fast, "now"), "now");
    EXPECT_LT(absl::Now() - start, absl::Seconds(2));
  }
  resolver->ReleaseAll();
  for (auto& t : slow) t.join();
  EXPECT_EQ(slow_ok.load(), 6);
}

TEST_F(PskServerTest, AsyncLookupOutlivingTheHandshakeDeadlineOrTheServerIsHarmless) {
  auto resolver = std::make_shared<GatedAsyncResolver>();
  StartServer(absl::Seconds(30), 256, /*hs_timeout=*/absl::Milliseconds(300), {}, "127.0.0.1",
              resolver);
  // Paused past the handshake deadline: the session closes; the late answer wakes nothing.
  auto timed_out = Connect(tls::Transport::kTls, "slow-late", Key());
  EXPECT_THAT(timed_out, Not(IsOk()));
  EXPECT_TRUE(WaitForOpenSessions(*server_, 0));
  resolver->ReleaseAll();
  // Still serving.
  auto ok = Connect(tls::Transport::kTls, "device-1", Key());
  ASSERT_THAT(ok, IsOk());
  // A lookup still pending when the server goes away: its answer arrives after shutdown.
  const int dtls_port = Port(tls::Transport::kDtls);
  std::thread pending(
      [&] { (void)ConnectToPort(tls::Transport::kDtls, "slow-shutdown", Key(), dtls_port); });
  EXPECT_TRUE(WaitFor([&] { return resolver->waiting() >= 1; }));
  EXPECT_EQ(resolver->waiting(), 1);
  server_.reset();
  resolver->ReleaseAll();
  pending.join();
}

TEST_F(PskServerTest, ShutdownLetsAnInFlightRequestFinishAndRefusesNewSessions) {
  StartServer();
  factory_.gate.hold = true;
  auto c = Connect(tls::Transport::kTls, "device-1", Key());
  ASSERT_THAT(c, IsOk());
  std::string answer;
  std::thread client([&] { answer = HttpRoundTrip(**c, "in-flight"); });
  ASSERT_TRUE(factory_.gate.arrived.WaitForNotificationWithTimeout(absl::Seconds(10)));
  absl::Time start = absl::Now();
  absl::Notification stopped;
  std::thread stopper([&] {
    server_->Shutdown(absl::Seconds(5));
    stopped.Notify();
  });
  // Until the drain begins a new session is still accepted (and, idle, closed by the drain); once
  // it has begun, with the answer still held, every new session is refused.
  EXPECT_TRUE(WaitFor([&] { return !Connect(tls::Transport::kTls, "device-2", Key()).ok(); }))
      << "a new session was accepted while draining";
  EXPECT_FALSE(stopped.HasBeenNotified()) << "shutdown did not wait for the request in flight";
  factory_.gate.release.Notify();
  client.join();
  stopper.join();
  EXPECT_NE(answer.find("|in-flight"), std::string::npos) << answer;
  // Shutdown waited for the answer, not for the whole grace period.
  EXPECT_LT(absl::Now() - start, absl::Seconds(3));
  EXPECT_EQ(server_->open_sessions(), 0);
}

TEST_F(PskServerTest, ShutdownLetsServerStopWithOpenSessions) {
  StartServer();
  auto c = Connect(tls::Transport::kTls, "device-1", Key());
  ASSERT_THAT(c, IsOk());
  absl::Time start = absl::Now();
  server_->Shutdown(absl::Seconds(5));
  // The idle session is closed at once, so shutdown does not wait for the grace period.
  EXPECT_LT(absl::Now() - start, absl::Seconds(2));
  EXPECT_EQ(server_->open_sessions(), 0);
}

// ReadToEof reads until the server closes (close_notify or EOF) or `deadline`, returning what came
// and whether the close came before the deadline.
std::string ReadToEof(tls::BlockingClient& c, absl::Time deadline, bool* closed) {
  std::string all;
  *closed = false;
  while (absl::Now() < deadline) {
    absl::StatusOr<std::string> chunk = c.Read(4096, deadline);
    if (!chunk.ok() || chunk->empty()) {
      *closed = absl::Now() < deadline;
      break;
    }
    all += *chunk;
  }
  return all;
}

// RFC 9112 9.6: a server that receives "Connection: close" closes after its answer; RFC 9112 9.3:
// an HTTP/1.0 request without keep-alive does not persist. A client reading to EOF must not wait
// for the (here 30 s) idle timeout.
TEST_F(PskServerTest, ConnectionCloseAndHttp10RequestsCloseAfterTheAnswer) {
  StartServer(/*idle=*/absl::Seconds(30));
  for (const char* head : {"POST /echo HTTP/1.1\r\nHost: a\r\nConnection: close\r\n",
                           "POST /echo HTTP/1.0\r\nHost: a\r\n"}) {
    SCOPED_TRACE(head);
    auto c = Connect(tls::Transport::kTls, "device-1", Key());
    ASSERT_THAT(c, IsOk());
    const absl::Time start = absl::Now();
    ASSERT_THAT(
        (*c)->Write(absl::StrCat(head, "Content-Length: 3\r\n\r\nbye"), start + absl::Seconds(5)),
        IsOk());
    bool closed = false;
    const std::string got = ReadToEof(**c, start + absl::Seconds(10), &closed);
    EXPECT_TRUE(closed) << got;
    EXPECT_LT(absl::Now() - start, absl::Seconds(2));
    http::ResponseParser parser;
    auto r = parser.Feed(got);
    ASSERT_THAT(r, IsOk()) << r.status() << got;
    ASSERT_EQ(r->state, http::ParseState::kComplete) << got;
    auto resp = parser.TakeResponse();
    ASSERT_THAT(resp, IsOk());
    EXPECT_EQ(resp->status, 200);
    EXPECT_TRUE(absl::EndsWith(resp->body, "|bye")) << resp->body;
    const std::string* conn = http::FindHeader(resp->headers, "Connection");
    ASSERT_NE(conn, nullptr) << got;  // RFC 9112 9.6: the server SHOULD say so
    EXPECT_EQ(*conn, "close");
  }
  EXPECT_TRUE(WaitForOpenSessions(*server_, 0));
}

// HTTP/1.0 with "Connection: keep-alive" and plain HTTP/1.1 keep the session for the next request.
TEST_F(PskServerTest, KeepAliveRequestsKeepTheSession) {
  StartServer();
  for (const char* head : {"POST /echo HTTP/1.0\r\nConnection: keep-alive\r\n",
                           "POST /echo HTTP/1.1\r\nHost: a\r\n"}) {
    SCOPED_TRACE(head);
    auto c = Connect(tls::Transport::kTls, "device-1", Key());
    ASSERT_THAT(c, IsOk());
    for (int round = 0; round < 2; ++round) {
      const absl::Time deadline = absl::Now() + absl::Seconds(5);
      ASSERT_THAT((*c)->Write(absl::StrCat(head, "Content-Length: 2\r\n\r\nhi"), deadline), IsOk());
      http::ResponseParser parser;
      bool complete = false;
      while (!complete) {
        auto chunk = (*c)->Read(4096, deadline);
        ASSERT_TRUE(chunk.ok() && !chunk->empty()) << "closed in round " << round;
        auto r = parser.Feed(*chunk);
        ASSERT_THAT(r, IsOk());
        complete = r->state == http::ParseState::kComplete;
      }
      auto resp = parser.TakeResponse();
      ASSERT_THAT(resp, IsOk());
      EXPECT_TRUE(absl::EndsWith(resp->body, "|hi"));
      EXPECT_EQ(http::FindHeader(resp->headers, "Connection"), nullptr);
    }
  }
}

// Interop with an independent client: Debian's `openssl s_client` (TLS 1.2 PSK). -quiet implies
// -ign_eof, so s_client leaves only when the server closes; it sends "Connection: close" and must
// be done long before the 30 s idle timeout (the `timeout 20` would otherwise kill it).
TEST_F(PskServerTest, OpensslSClientWithConnectionCloseSeesEofPromptly) {
  if (access("/usr/bin/openssl", X_OK) != 0) GTEST_SKIP() << "no /usr/bin/openssl";
  if (access("/usr/bin/timeout", X_OK) != 0) GTEST_SKIP() << "no /usr/bin/timeout";
  StartServer(/*idle=*/absl::Seconds(30));
  const char* tmp = getenv("TEST_TMPDIR");
  const std::string req_path = absl::StrCat(tmp ? tmp : "/tmp", "/sclient-req-", getpid());
  {
    FILE* f = fopen(req_path.c_str(), "wb");
    ASSERT_NE(f, nullptr);
    const std::string req =
        "POST /echo HTTP/1.1\r\nHost: a\r\nConnection: close\r\nContent-Length: 7\r\n\r\nsclient";
    fwrite(req.data(), 1, req.size(), f);
    fclose(f);
  }
  const std::string cmd = absl::StrCat(
      "timeout 20 /usr/bin/openssl s_client -quiet -connect 127.0.0.1:",
      server_->tls_addresses()[0].port(), " -tls1_2 -cipher PSK-AES128-CBC-SHA256 -psk ",
      Hex(Key()), " -psk_identity device-1 < ", req_path, " 2>&1; echo \"exit=$?\"");
  const absl::Time start = absl::Now();
  std::string out;
  FILE* p = popen(cmd.c_str(), "r");
  ASSERT_NE(p, nullptr);
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
  pclose(p);
  const absl::Duration elapsed = absl::Now() - start;
  unlink(req_path.c_str());
  EXPECT_LT(elapsed, absl::Seconds(5)) << out;
  EXPECT_TRUE(absl::StrContains(out, "HTTP/1.1 200")) << out;
  EXPECT_TRUE(absl::StrContains(out, "Connection: close")) << out;
  EXPECT_TRUE(absl::StrContains(out, "device-1|")) << out;
  EXPECT_TRUE(absl::StrContains(out, "|sclient")) << out;
  EXPECT_FALSE(absl::StrContains(out, "exit=124")) << out;  // not killed by `timeout`
}

}  // namespace
}  // namespace onem2m::server

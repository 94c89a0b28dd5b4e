// PskServer handshakes over TLS and DTLS (IPv4 and IPv6): sessions that succeed, and peers that
// fail, stall, send garbage or leave midway, after which the server still serves.

#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "common/net/socket_util.h"
#include "common/openssl_util.h"
#include "common/psk_server/psk_server_test_fixture.h"
#include "common/testing/status_matchers.h"
#include "common/testing/wait_for.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace onem2m::server::psk_server_test {
namespace {

using ::onem2m::testing::IsOk;
using ::onem2m::testing::WaitFor;
using ::testing::Not;

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

}  // namespace
}  // namespace onem2m::server::psk_server_test

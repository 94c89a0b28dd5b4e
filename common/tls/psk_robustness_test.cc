// The PSK layer against silent peers and garbage, and the DTLS cookie exchange and retransmission
// timer in memory (docs/protocol.md 2 and 3).
#include <arpa/inet.h>
#include <malloc.h>
#include <netinet/in.h>
#include <openssl/ssl.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cstring>
#include <map>
#include <memory>
#include <string>
#include <thread>  // NOLINT(build/c++11)
#include <tuple>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "common/testing/status_matchers.h"
#include "common/testing/wait_for.h"
#include "common/tls/blocking_client.h"
#include "common/tls/dtls_cookie.h"
#include "common/tls/dtls_listener.h"
#include "common/tls/psk_context.h"
#include "common/tls/psk_session.h"
#include "common/tls/testing/loopback_server.h"
#include "common/tls/testing/psk_test_env.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace onem2m {
namespace tls {
namespace {

using ::onem2m::testing::IsOk;
using testing::Client;
using testing::Deadline;
using testing::DriveToDone;
using testing::Key;
using testing::kIdentity;
using testing::kServerName;
using testing::LoopbackServer;
using ::testing::Not;
using testing::Resolver;
using testing::Server;
using testing::StreamPair;

// ---------------------------------------------------------------------------------------------
// Deadlines and garbage.

TEST(PskHandshakeTest, BlockingClientHonoursDeadlineAgainstSilentServer) {
  for (Transport t : {Transport::kTls, Transport::kDtls}) {
    SCOPED_TRACE(TransportName(t));
    // A bound socket nobody serves: UDP swallows datagrams; TCP completes the connect in the
    // kernel backlog but never speaks TLS.
    int fd = socket(AF_INET, t == Transport::kTls ? SOCK_STREAM : SOCK_DGRAM, 0);
    sockaddr_in a;
    memset(&a, 0, sizeof(a));
    a.sin_family = AF_INET;
    inet_pton(AF_INET, "127.0.0.1", &a.sin_addr);
    ASSERT_EQ(bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof(a)), 0);
    if (t == Transport::kTls) {
      ASSERT_EQ(listen(fd, 4), 0);
    }
    socklen_t len = sizeof(a);
    getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
    absl::Time start = absl::Now();
    absl::StatusOr<std::unique_ptr<BlockingClient>> client = BlockingClient::Connect(
        Client(t), "127.0.0.1", ntohs(a.sin_port), start + absl::Milliseconds(1500));
    absl::Duration took = absl::Now() - start;
    EXPECT_EQ(client.status().code(), absl::StatusCode::kDeadlineExceeded) << client.status();
    EXPECT_GE(took, absl::Milliseconds(1400));
    EXPECT_LT(took, absl::Seconds(4));
    close(fd);
  }
}

TEST(PskHandshakeTest, GarbageInsteadOfClientHelloFailsCleanly) {
  std::unique_ptr<LoopbackServer> server =
      LoopbackServer::Start(Server(Transport::kTls), "127.0.0.1");
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a;
  memset(&a, 0, sizeof(a));
  a.sin_family = AF_INET;
  a.sin_port = htons(server->port());
  inet_pton(AF_INET, "127.0.0.1", &a.sin_addr);
  ASSERT_EQ(connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof(a)), 0);
  std::string junk = "GET / HTTP/1.1\r\nHost: x\r\n\r\n";
  ASSERT_EQ(write(fd, junk.data(), junk.size()), static_cast<ssize_t>(junk.size()));
  LoopbackServer::Result r = server->Wait(absl::Seconds(10));
  EXPECT_THAT(r.status, Not(IsOk()));
  EXPECT_EQ(r.psk_lookup, PskLookup::kNotAsked);
  close(fd);
  // The server still serves a proper client afterwards.
  absl::StatusOr<std::unique_ptr<BlockingClient>> client =
      BlockingClient::Connect(Client(Transport::kTls), "127.0.0.1", server->port(), Deadline());
  EXPECT_THAT(client, IsOk());
}

TEST(PskHandshakeTest, DtlsGarbageIsDroppedWithoutStateOrReply) {
  std::unique_ptr<LoopbackServer> server =
      LoopbackServer::Start(Server(Transport::kDtls), "127.0.0.1");
  int fd = socket(AF_INET, SOCK_DGRAM, 0);
  sockaddr_in a;
  memset(&a, 0, sizeof(a));
  a.sin_family = AF_INET;
  a.sin_port = htons(server->port());
  inet_pton(AF_INET, "127.0.0.1", &a.sin_addr);
  ASSERT_EQ(connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof(a)), 0);
  std::string junk(200, '\x16');
  for (int i = 0; i < 5; ++i) ASSERT_GT(send(fd, junk.data(), junk.size(), 0), 0);
  pollfd p = {fd, POLLIN, 0};
  EXPECT_EQ(poll(&p, 1, 300), 0);  // No reply at all.
  EXPECT_EQ(server->sessions_created(), 0);
  close(fd);
  absl::StatusOr<std::unique_ptr<BlockingClient>> client =
      BlockingClient::Connect(Client(Transport::kDtls), "127.0.0.1", server->port(), Deadline());
  EXPECT_THAT(client, IsOk());
}

// ---------------------------------------------------------------------------------------------
// DTLS cookie exchange, in memory.

bool IsHelloVerifyRequest(const std::string& d) {
  // DTLS record header is 13 bytes; content type 22 (handshake), msg_type 3.
  return d.size() > 13 && d[0] == 22 && d[13] == 3;
}

TEST(DtlsCookieExchangeTest, FirstHelloGetsVerifyRequestAndNoState) {
  auto server_ctx = Server(Transport::kDtls);
  absl::StatusOr<std::unique_ptr<DtlsListener>> listener = DtlsListener::New(server_ctx);
  ASSERT_THAT(listener, IsOk());
  absl::StatusOr<std::unique_ptr<PskSession>> client =
      PskSession::NewDatagramClient(Client(Transport::kDtls), absl::Now());
  ASSERT_THAT(client, IsOk());
  ASSERT_EQ((*client)->Handshake(), Step::kWantRead);
  std::string hello;
  ASSERT_TRUE((*client)->PopDatagram(&hello));
  const std::string peer = "peer-A";
  EXPECT_TRUE(IsInitialClientHello(hello));

  std::string reply;
  absl::StatusOr<std::unique_ptr<PskSession>> s =
      (*listener)->Offer(peer, hello, absl::Now(), &reply);
  ASSERT_THAT(s, IsOk());
  EXPECT_EQ(*s, nullptr);  // No per-peer state.
  ASSERT_TRUE(IsHelloVerifyRequest(reply));
  // A replay of the cookieless hello: again only a HelloVerifyRequest.
  std::string reply2;
  s = (*listener)->Offer(peer, hello, absl::Now(), &reply2);
  ASSERT_THAT(s, IsOk());
  EXPECT_EQ(*s, nullptr);
  EXPECT_TRUE(IsHelloVerifyRequest(reply2));

  (*client)->FeedDatagram(reply);
  ASSERT_EQ((*client)->Handshake(), Step::kWantRead);
  std::string hello_with_cookie;
  ASSERT_TRUE((*client)->PopDatagram(&hello_with_cookie));

  // The cookie is bound to the address: from another peer it is not accepted.
  s = (*listener)->Offer("peer-B", hello_with_cookie, absl::Now(), &reply);
  ASSERT_THAT(s, IsOk());
  EXPECT_EQ(*s, nullptr);
  EXPECT_TRUE(IsHelloVerifyRequest(reply));

  s = (*listener)->Offer(peer, hello_with_cookie, absl::Now(), &reply);
  ASSERT_THAT(s, IsOk());
  ASSERT_NE(*s, nullptr);
  EXPECT_TRUE(reply.empty());
  std::unique_ptr<PskSession> server = std::move(*s);

  // Finish in memory.
  for (int i = 0; i < 20 && !(server->handshake_done() && (*client)->handshake_done()); ++i) {
    ASSERT_NE(server->Handshake(), Step::kFailed) << server->status();
    std::string d;
    while (server->PopDatagram(&d)) (*client)->FeedDatagram(d);
    ASSERT_NE((*client)->Handshake(), Step::kFailed) << (*client)->status();
    while ((*client)->PopDatagram(&d)) server->FeedDatagram(d);
  }
  ASSERT_TRUE(server->handshake_done());
  ASSERT_TRUE((*client)->handshake_done());
  EXPECT_EQ(server->cipher_id(), 0xC0A8);
  EXPECT_FALSE(IsInitialClientHello(reply));
  // Application data in both directions, then close_notify.
  size_t n = 0;
  ASSERT_EQ((*client)->Write("ping", &n), Step::kDone);
  std::string d;
  while ((*client)->PopDatagram(&d)) {
    EXPECT_FALSE(IsInitialClientHello(d));
    server->FeedDatagram(d);
  }
  char buf[64];
  ASSERT_EQ(server->Read(buf, sizeof(buf), &n), Step::kDone);
  EXPECT_EQ(std::string(buf, n), "ping");
  EXPECT_EQ(server->Read(buf, sizeof(buf), &n), Step::kWantRead);
  ASSERT_EQ(server->Shutdown(), Step::kDone);
  while (server->PopDatagram(&d)) (*client)->FeedDatagram(d);
  EXPECT_EQ((*client)->Read(buf, sizeof(buf), &n), Step::kClosed);
  auto a = server->Export(kBootstrapExporterLabel, 48);
  auto b = (*client)->Export(kBootstrapExporterLabel, 48);
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_TRUE(a->Equals(*b));
}

TEST(DtlsCookieExchangeTest, LoopbackServerAnsweredFirstHelloWithVerifyRequest) {
  std::unique_ptr<LoopbackServer> server = LoopbackServer::Start(Server(Transport::kDtls), "::1");
  absl::StatusOr<std::unique_ptr<BlockingClient>> client =
      BlockingClient::Connect(Client(Transport::kDtls), "::1", server->port(), Deadline());
  ASSERT_THAT(client, IsOk());
  LoopbackServer::Result r = server->Wait(absl::Seconds(10));
  ASSERT_THAT(r.status, IsOk());
  EXPECT_EQ(r.hello_verify_requests, 1);
  EXPECT_EQ(r.listener_datagrams, 2);  // Hello without cookie, hello with cookie.
  EXPECT_EQ(server->sessions_created(), 1);
}

TEST(DtlsTimerTest, ClientRetransmitsWhenFlightIsLost) {
  auto server_ctx = Server(Transport::kDtls);
  absl::StatusOr<std::unique_ptr<PskSession>> client =
      PskSession::NewDatagramClient(Client(Transport::kDtls), absl::Now());
  ASSERT_THAT(client, IsOk());
  ASSERT_EQ((*client)->Handshake(), Step::kWantRead);
  std::string lost;
  ASSERT_TRUE((*client)->PopDatagram(&lost));
  std::optional<absl::Duration> timeout = (*client)->DtlsTimeout();
  ASSERT_TRUE(timeout.has_value());
  EXPECT_LE(*timeout, absl::Seconds(1));
  // OpenSSL's retransmission timer runs on the real clock (it takes no injected time), so wait
  // for it to report expiry rather than for a guessed length of time.
  ASSERT_TRUE(::onem2m::testing::WaitFor([&] {
    std::optional<absl::Duration> left = (*client)->DtlsTimeout();
    return left.has_value() && *left <= absl::ZeroDuration();
  }));
  EXPECT_EQ((*client)->HandleDtlsTimeout(), Step::kWantRead);
  std::string again;
  ASSERT_TRUE((*client)->PopDatagram(&again));
  EXPECT_EQ(again[0], 22);  // Handshake record...
  EXPECT_EQ(again[13], 1);  // ...carrying a ClientHello.
  EXPECT_EQ(again.size(), lost.size());
}

}  // namespace
}  // namespace tls
}  // namespace onem2m

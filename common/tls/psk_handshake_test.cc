// Loopback and in-memory handshakes through the PSK layer (docs/protocol.md 2 and 3).
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
#include "common/tls/blocking_client.h"
#include "common/tls/dtls_cookie.h"
#include "common/tls/dtls_listener.h"
#include "common/tls/psk_context.h"
#include "common/tls/psk_session.h"
#include "common/tls/testing/loopback_server.h"
#include "gtest/gtest.h"

namespace onem2m {
namespace tls {
namespace {

using testing::LoopbackServer;

constexpr char kIdentity[] = "kpm-0001";
constexpr char kServerName[] = "mef.example.com";

SecretBytes Key(char fill) { return SecretBytes::Copy(std::string(32, fill)); }

std::shared_ptr<PskResolver> Resolver() {
  return std::make_shared<FunctionPskResolver>(
      [](absl::string_view identity) -> absl::StatusOr<SecretBytes> {
        if (identity == kIdentity) return Key('k');
        if (identity == "kpm-store-down") return absl::UnavailableError("store down");
        if (identity == "kpm-store-slow") return absl::DeadlineExceededError("store timeout");
        if (identity == "kpm-corrupt") return absl::InternalError("row cannot be unsealed");
        return absl::NotFoundError("no such identity");
      });
}

std::shared_ptr<const PskContext> Server(Transport transport,
                                         std::vector<CipherSuite> suites = {},
                                         std::string required_name = "",
                                         absl::Duration handshake_timeout = absl::Seconds(10)) {
  ServerOptions options;
  options.transport = transport;
  options.handshake_timeout = handshake_timeout;
  options.cipher_suites = std::move(suites);
  options.required_server_name = std::move(required_name);
  absl::StatusOr<std::shared_ptr<const PskContext>> ctx =
      PskContext::NewServer(options, Resolver());
  EXPECT_TRUE(ctx.ok()) << ctx.status();
  return ctx.ok() ? *ctx : nullptr;
}

std::shared_ptr<const PskContext> Client(Transport transport, std::string identity = kIdentity,
                                         SecretBytes key = Key('k'),
                                         std::vector<CipherSuite> suites = {},
                                         std::string server_name = kServerName) {
  ClientOptions options;
  options.transport = transport;
  options.cipher_suites = std::move(suites);
  options.psk_identity = std::move(identity);
  options.psk = std::move(key);
  options.server_name = std::move(server_name);
  absl::StatusOr<std::shared_ptr<const PskContext>> ctx = PskContext::NewClient(options);
  EXPECT_TRUE(ctx.ok()) << ctx.status();
  return ctx.ok() ? *ctx : nullptr;
}

absl::Time Deadline() { return absl::Now() + absl::Seconds(10); }

// ---------------------------------------------------------------------------------------------
// Every configured suite, both transports, both address families.

struct SuiteCase {
  Transport transport;
  CipherSuite suite;
  const char* address;
};

std::string CaseName(const ::testing::TestParamInfo<SuiteCase>& info) {
  std::string name = absl::StrCat(TransportName(info.param.transport), "_",
                                  info.param.suite.openssl_name, "_",
                                  std::string(info.param.address) == "::1" ? "v6" : "v4");
  for (char& c : name) {
    if (!isalnum(static_cast<unsigned char>(c))) c = '_';
  }
  return name;
}

std::vector<SuiteCase> AllCases() {
  std::vector<SuiteCase> cases;
  for (Transport t : {Transport::kTls, Transport::kDtls}) {
    for (const CipherSuite& s : DefaultCipherSuites(t)) {
      for (const char* a : {"127.0.0.1", "::1"}) cases.push_back({t, s, a});
    }
  }
  return cases;
}

class SuiteTest : public ::testing::TestWithParam<SuiteCase> {};

TEST_P(SuiteTest, HandshakeExportAndEcho) {
  const SuiteCase& c = GetParam();
  // The client offers only this suite; the server keeps the full default list.
  std::unique_ptr<LoopbackServer> server = LoopbackServer::Start(Server(c.transport), c.address);
  absl::StatusOr<std::unique_ptr<BlockingClient>> client =
      BlockingClient::Connect(Client(c.transport, kIdentity, Key('k'), {c.suite}), c.address,
                              server->port(), Deadline());
  ASSERT_TRUE(client.ok()) << client.status();
  LoopbackServer::Result r = server->Wait(absl::Seconds(10));
  ASSERT_TRUE(r.status.ok()) << r.status;

  PskSession& session = (*client)->session();
  EXPECT_EQ(session.cipher_id(), c.suite.id);
  EXPECT_EQ(session.cipher_name(), c.suite.iana_name);
  EXPECT_EQ(r.cipher_id, c.suite.id);
  EXPECT_EQ(r.psk_identity, kIdentity);
  EXPECT_EQ(r.psk_lookup, PskLookup::kFound);
  EXPECT_EQ(r.server_name, kServerName);

  absl::StatusOr<SecretBytes> mine = session.Export(kBootstrapExporterLabel, 48);
  ASSERT_TRUE(mine.ok()) << mine.status();
  ASSERT_EQ(mine->size(), 48u);
  EXPECT_TRUE(mine->Equals(r.bootstrap_export));

  ASSERT_TRUE((*client)->Write("enrolment request", Deadline()).ok());
  absl::StatusOr<std::string> echo = (*client)->Read(1024, Deadline());
  ASSERT_TRUE(echo.ok()) << echo.status();
  EXPECT_EQ(*echo, "enrolment request");
  EXPECT_TRUE((*client)->Close(Deadline()).ok());
}

INSTANTIATE_TEST_SUITE_P(AllSuites, SuiteTest, ::testing::ValuesIn(AllCases()), CaseName);

TEST(PskHandshakeTest, ServerPreferenceOrderWins) {
  for (Transport t : {Transport::kTls, Transport::kDtls}) {
    SCOPED_TRACE(TransportName(t));
    std::unique_ptr<LoopbackServer> server = LoopbackServer::Start(Server(t), "127.0.0.1");
    // The client prefers ECDHE-PSK; the server's first choice must win.
    absl::StatusOr<std::unique_ptr<BlockingClient>> client = BlockingClient::Connect(
        Client(t, kIdentity, Key('k'), {kEcdhePskAes128CbcSha256, kPskAes128GcmSha256}),
        "127.0.0.1", server->port(), Deadline());
    ASSERT_TRUE(client.ok()) << client.status();
    EXPECT_EQ((*client)->session().cipher_id(), 0x00A8);
    EXPECT_TRUE(server->Wait(absl::Seconds(10)).status.ok());
  }
}

// ---------------------------------------------------------------------------------------------
// Authentication failures.

struct Failure {
  absl::Status client;
  LoopbackServer::Result server;
  int client_alert_received;
};

Failure Attempt(Transport t, std::shared_ptr<const PskContext> server_ctx,
                std::shared_ptr<const PskContext> client_ctx) {
  std::unique_ptr<LoopbackServer> server = LoopbackServer::Start(server_ctx, "127.0.0.1");
  Failure f;
  absl::StatusOr<std::unique_ptr<BlockingClient>> client = BlockingClient::Connect(
      client_ctx, "127.0.0.1", server->port(), absl::Now() + absl::Milliseconds(1500));
  f.client = client.status();
  f.server = server->Wait(absl::Seconds(10));
  return f;
}

class FailureTest : public ::testing::TestWithParam<Transport> {};

// DTLS discards records that fail authentication without an alert (RFC 6347 4.1.2.7), so a wrong
// key there ends when the handshake times out on both sides; TLS answers with bad_record_mac.
constexpr absl::Duration kShortHandshake = absl::Milliseconds(800);

TEST_P(FailureTest, WrongKeyFails) {
  Transport t = GetParam();
  Failure f = Attempt(t, Server(t, {}, "", kShortHandshake), Client(t, kIdentity, Key('x')));
  EXPECT_EQ(f.server.psk_identity, kIdentity);
  EXPECT_EQ(f.server.psk_lookup, PskLookup::kFound);
  if (t == Transport::kTls) {
    EXPECT_EQ(f.client.code(), absl::StatusCode::kUnauthenticated) << f.client;
    EXPECT_EQ(f.server.status.code(), absl::StatusCode::kUnauthenticated) << f.server.status;
    EXPECT_EQ(f.server.alert_sent, SSL_AD_BAD_RECORD_MAC);
  } else {
    // DTLS: no alert; the client, having sent its Finished without an answer, reports the key
    // as refused (blocking_client.cc) rather than a network timeout.
    EXPECT_EQ(f.client.code(), absl::StatusCode::kUnauthenticated) << f.client;
    EXPECT_EQ(f.server.status.code(), absl::StatusCode::kDeadlineExceeded) << f.server.status;
    EXPECT_EQ(f.server.alert_sent, -1);
  }
}

TEST_P(FailureTest, UnknownIdentityFailsExactlyLikeWrongKey) {
  Transport t = GetParam();
  Failure wrong = Attempt(t, Server(t, {}, "", kShortHandshake), Client(t, kIdentity, Key('x')));
  Failure unknown =
      Attempt(t, Server(t, {}, "", kShortHandshake), Client(t, "kpm-9999", Key('x')));
  // What the client sees is the same...
  EXPECT_FALSE(unknown.client.ok());
  EXPECT_EQ(unknown.client.code(), wrong.client.code());
  EXPECT_EQ(unknown.client.message(), wrong.client.message());
  EXPECT_EQ(unknown.server.alert_sent, wrong.server.alert_sent);
  EXPECT_EQ(unknown.server.status.code(), wrong.server.status.code());
  EXPECT_NE(unknown.server.alert_sent, SSL_AD_UNKNOWN_PSK_IDENTITY);
  // ...while the server knows the difference.
  EXPECT_EQ(unknown.server.psk_identity, "kpm-9999");
  EXPECT_EQ(unknown.server.psk_lookup, PskLookup::kNotFound);
  EXPECT_TRUE(absl::IsNotFound(unknown.server.lookup_status));
  EXPECT_EQ(wrong.server.psk_lookup, PskLookup::kFound);
}

// docs/protocol.md 2: a lookup that failed (store down, timeout) is not an answer about the
// identity: the server aborts with internal_error (RFC 5246 7.2.2; DTLS sends it too), and the
// client reports kUnavailable (retry) instead of kUnauthenticated (wrong key).
TEST_P(FailureTest, LookupFailureAbortsWithInternalErrorAndClientMayRetry) {
  Transport t = GetParam();
  for (const char* id : {"kpm-store-down", "kpm-store-slow"}) {
    SCOPED_TRACE(id);
    Failure f = Attempt(t, Server(t, {}, "", kShortHandshake), Client(t, id, Key('k')));
    EXPECT_EQ(f.server.alert_sent, SSL_AD_INTERNAL_ERROR);
    EXPECT_EQ(f.server.psk_lookup, PskLookup::kLookupFailed);
    EXPECT_TRUE(IsPskLookupFailure(f.server.lookup_status)) << f.server.lookup_status;
    EXPECT_EQ(f.client.code(), absl::StatusCode::kUnavailable) << f.client;
  }
}

// Any other resolver error is about the identity and fails exactly like a wrong key.
TEST_P(FailureTest, OtherResolverErrorsFailLikeAWrongKey) {
  Transport t = GetParam();
  Failure wrong = Attempt(t, Server(t, {}, "", kShortHandshake), Client(t, kIdentity, Key('x')));
  Failure corrupt =
      Attempt(t, Server(t, {}, "", kShortHandshake), Client(t, "kpm-corrupt", Key('x')));
  EXPECT_EQ(corrupt.server.psk_lookup, PskLookup::kFailed);
  EXPECT_EQ(corrupt.server.alert_sent, wrong.server.alert_sent);
  EXPECT_EQ(corrupt.client.code(), wrong.client.code()) << corrupt.client;
  EXPECT_EQ(corrupt.client.code(), absl::StatusCode::kUnauthenticated);
}

TEST_P(FailureTest, MissingOrWrongSniFailsWhenRequired) {
  Transport t = GetParam();
  auto server_ctx = Server(t, {}, kServerName);
  Failure none = Attempt(t, server_ctx, Client(t, kIdentity, Key('k'), {}, ""));
  EXPECT_EQ(none.client.code(), absl::StatusCode::kUnauthenticated) << none.client;
  EXPECT_EQ(none.server.alert_sent, SSL_AD_UNRECOGNIZED_NAME);
  Failure wrong = Attempt(t, server_ctx, Client(t, kIdentity, Key('k'), {}, "evil.example.com"));
  EXPECT_EQ(wrong.client.code(), absl::StatusCode::kUnauthenticated) << wrong.client;
  EXPECT_EQ(wrong.server.alert_sent, SSL_AD_UNRECOGNIZED_NAME);
  EXPECT_EQ(wrong.server.server_name, "evil.example.com");
  Failure right = Attempt(t, server_ctx, Client(t, kIdentity, Key('k'), {}, "MEF.example.com"));
  EXPECT_TRUE(right.client.ok()) << right.client;
}

INSTANTIATE_TEST_SUITE_P(Transports, FailureTest,
                         ::testing::Values(Transport::kTls, Transport::kDtls),
                         [](const ::testing::TestParamInfo<Transport>& info) {
                           return std::string(TransportName(info.param));
                         });

TEST(PskHandshakeTest, ClientContextsSharingAnSslCtxEachPresentTheirOwnCredentials) {
  for (Transport t : {Transport::kTls, Transport::kDtls}) {
    SCOPED_TRACE(TransportName(t));
    // Same transport and suites: one SSL_CTX underneath, two identities and keys on top.
    std::shared_ptr<const PskContext> good = Client(t, kIdentity, Key('k'));
    std::shared_ptr<const PskContext> wrong_key = Client(t, kIdentity, Key('x'));
    std::shared_ptr<const PskContext> unknown = Client(t, "kpm-unknown", Key('k'));
    EXPECT_EQ(good->ssl_ctx(), wrong_key->ssl_ctx());
    EXPECT_EQ(good->ssl_ctx(), unknown->ssl_ctx());

    Failure bad = Attempt(t, Server(t, {}, "", kShortHandshake), wrong_key);
    EXPECT_EQ(bad.client.code(), absl::StatusCode::kUnauthenticated) << bad.client;
    Failure nobody = Attempt(t, Server(t, {}, "", kShortHandshake), unknown);
    EXPECT_EQ(nobody.server.psk_identity, "kpm-unknown");
    EXPECT_EQ(nobody.server.psk_lookup, PskLookup::kNotFound);

    std::unique_ptr<LoopbackServer> server = LoopbackServer::Start(Server(t), "127.0.0.1");
    absl::StatusOr<std::unique_ptr<BlockingClient>> client =
        BlockingClient::Connect(good, "127.0.0.1", server->port(), Deadline());
    ASSERT_TRUE(client.ok()) << client.status();
    LoopbackServer::Result r = server->Wait(absl::Seconds(10));
    EXPECT_TRUE(r.status.ok()) << r.status;
    EXPECT_EQ(r.psk_identity, kIdentity);
    EXPECT_EQ(r.server_name, kServerName);
  }
  // Other suites get an SSL_CTX of their own.
  EXPECT_NE(Client(Transport::kTls)->ssl_ctx(),
            Client(Transport::kTls, kIdentity, Key('k'), {kPskAes128GcmSha256})->ssl_ctx());
}

TEST(PskHandshakeTest, ConfiguringForbiddenSuiteIsRejected) {
  ServerOptions options;
  options.cipher_suites = {CipherSuite{0x00B2, "TLS_DHE_PSK_WITH_AES_128_CBC_SHA256",
                                       "DHE-PSK-AES128-CBC-SHA256", true}};
  EXPECT_EQ(PskContext::NewServer(options, Resolver()).status().code(),
            absl::StatusCode::kInvalidArgument);
  ClientOptions client;
  client.psk_identity = kIdentity;
  client.psk = Key('k');
  client.cipher_suites = {CipherSuite{0x00B0, "TLS_PSK_WITH_NULL_SHA256", "PSK-NULL-SHA256", true}};
  EXPECT_EQ(PskContext::NewClient(client).status().code(), absl::StatusCode::kInvalidArgument);
  ServerOptions dtls;
  dtls.transport = Transport::kDtls;
  dtls.cipher_suites = {kPskAes128CbcSha256};
  EXPECT_EQ(PskContext::NewServer(dtls, Resolver()).status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(PskHandshakeTest, WrongContextKindIsRejected) {
  EXPECT_EQ(PskSession::NewStream(Server(Transport::kDtls), 0, absl::Now()).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(PskSession::NewDatagramClient(Client(Transport::kTls), absl::Now()).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(PskSession::NewDatagramClient(Server(Transport::kDtls), absl::Now()).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(DtlsListener::New(Server(Transport::kTls)).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(DtlsListener::New(Client(Transport::kDtls)).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(PskContext::NewServer(ServerOptions(), nullptr).status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(PskHandshakeTest, ClientRejectsBadCredentials) {
  ClientOptions options;
  options.psk = Key('k');
  EXPECT_EQ(PskContext::NewClient(options).status().code(), absl::StatusCode::kInvalidArgument);
  options.psk_identity = std::string(257, 'a');
  EXPECT_EQ(PskContext::NewClient(options).status().code(), absl::StatusCode::kInvalidArgument);
  options.psk_identity = "ok";
  options.psk = SecretBytes::Copy("short");
  EXPECT_EQ(PskContext::NewClient(options).status().code(), absl::StatusCode::kInvalidArgument);
}

// A raw OpenSSL client (no wrapper) that offers only `cipher_list`.
unsigned int RawClientPsk(SSL*, const char*, char* identity, unsigned int max_identity_len,
                          unsigned char* psk, unsigned int max_psk_len) {
  if (max_identity_len < sizeof(kIdentity) || max_psk_len < 32) return 0;
  memcpy(identity, kIdentity, sizeof(kIdentity));
  memset(psk, 'k', 32);
  return 32;
}

TEST(PskHandshakeTest, ForbiddenSuiteOfferedByClientFails) {
  int exercised = 0;
  for (const char* offer : {"DHE-PSK-AES128-CBC-SHA256", "PSK-NULL-SHA256:@SECLEVEL=0",
                            "PSK-3DES-EDE-CBC-SHA:@SECLEVEL=0"}) {
    SCOPED_TRACE(offer);
    std::unique_ptr<LoopbackServer> server =
        LoopbackServer::Start(Server(Transport::kTls), "127.0.0.1");
    SslCtxPtr ctx(SSL_CTX_new(TLS_client_method()));
    SSL_CTX_set_max_proto_version(ctx.get(), TLS1_2_VERSION);
    if (!SSL_CTX_set_cipher_list(ctx.get(), offer)) {
      ClearOpenSslErrors();
      printf("skipped %s: this OpenSSL build cannot offer it\n", offer);
      continue;
    }
    ++exercised;
    SSL_CTX_set_psk_client_callback(ctx.get(), RawClientPsk);
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a;
    memset(&a, 0, sizeof(a));
    a.sin_family = AF_INET;
    a.sin_port = htons(server->port());
    inet_pton(AF_INET, "127.0.0.1", &a.sin_addr);
    ASSERT_EQ(connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof(a)), 0);
    timeval tv = {5, 0};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    SslPtr ssl(SSL_new(ctx.get()));
    SSL_set_fd(ssl.get(), fd);
    EXPECT_NE(SSL_connect(ssl.get()), 1);
    ClearOpenSslErrors();
    LoopbackServer::Result r = server->Wait(absl::Seconds(10));
    EXPECT_EQ(r.status.code(), absl::StatusCode::kUnauthenticated) << r.status;
    EXPECT_EQ(r.alert_sent, SSL_AD_HANDSHAKE_FAILURE);
    close(fd);
  }
  EXPECT_GE(exercised, 2);  // DHE-PSK and PSK-NULL at least.
}

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
  EXPECT_FALSE(r.status.ok());
  EXPECT_EQ(r.psk_lookup, PskLookup::kNotAsked);
  close(fd);
  // The server still serves a proper client afterwards.
  absl::StatusOr<std::unique_ptr<BlockingClient>> client = BlockingClient::Connect(
      Client(Transport::kTls), "127.0.0.1", server->port(), Deadline());
  EXPECT_TRUE(client.ok()) << client.status();
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
  absl::StatusOr<std::unique_ptr<BlockingClient>> client = BlockingClient::Connect(
      Client(Transport::kDtls), "127.0.0.1", server->port(), Deadline());
  EXPECT_TRUE(client.ok()) << client.status();
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
  ASSERT_TRUE(listener.ok());
  absl::StatusOr<std::unique_ptr<PskSession>> client =
      PskSession::NewDatagramClient(Client(Transport::kDtls), absl::Now());
  ASSERT_TRUE(client.ok());
  ASSERT_EQ((*client)->Handshake(), Step::kWantRead);
  std::string hello;
  ASSERT_TRUE((*client)->PopDatagram(&hello));
  const std::string peer = "peer-A";
  EXPECT_TRUE(IsInitialClientHello(hello));

  std::string reply;
  absl::StatusOr<std::unique_ptr<PskSession>> s =
      (*listener)->Offer(peer, hello, absl::Now(), &reply);
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(*s, nullptr);  // No per-peer state.
  ASSERT_TRUE(IsHelloVerifyRequest(reply));
  // A replay of the cookieless hello: again only a HelloVerifyRequest.
  std::string reply2;
  s = (*listener)->Offer(peer, hello, absl::Now(), &reply2);
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(*s, nullptr);
  EXPECT_TRUE(IsHelloVerifyRequest(reply2));

  (*client)->FeedDatagram(reply);
  ASSERT_EQ((*client)->Handshake(), Step::kWantRead);
  std::string hello_with_cookie;
  ASSERT_TRUE((*client)->PopDatagram(&hello_with_cookie));

  // The cookie is bound to the address: from another peer it is not accepted.
  s = (*listener)->Offer("peer-B", hello_with_cookie, absl::Now(), &reply);
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(*s, nullptr);
  EXPECT_TRUE(IsHelloVerifyRequest(reply));

  s = (*listener)->Offer(peer, hello_with_cookie, absl::Now(), &reply);
  ASSERT_TRUE(s.ok());
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
  std::unique_ptr<LoopbackServer> server =
      LoopbackServer::Start(Server(Transport::kDtls), "::1");
  absl::StatusOr<std::unique_ptr<BlockingClient>> client =
      BlockingClient::Connect(Client(Transport::kDtls), "::1", server->port(), Deadline());
  ASSERT_TRUE(client.ok()) << client.status();
  LoopbackServer::Result r = server->Wait(absl::Seconds(10));
  ASSERT_TRUE(r.status.ok()) << r.status;
  EXPECT_EQ(r.hello_verify_requests, 1);
  EXPECT_EQ(r.listener_datagrams, 2);  // Hello without cookie, hello with cookie.
  EXPECT_EQ(server->sessions_created(), 1);
}

TEST(DtlsTimerTest, ClientRetransmitsWhenFlightIsLost) {
  auto server_ctx = Server(Transport::kDtls);
  absl::StatusOr<std::unique_ptr<PskSession>> client =
      PskSession::NewDatagramClient(Client(Transport::kDtls), absl::Now());
  ASSERT_TRUE(client.ok());
  ASSERT_EQ((*client)->Handshake(), Step::kWantRead);
  std::string lost;
  ASSERT_TRUE((*client)->PopDatagram(&lost));
  std::optional<absl::Duration> timeout = (*client)->DtlsTimeout();
  ASSERT_TRUE(timeout.has_value());
  EXPECT_LE(*timeout, absl::Seconds(1));
  absl::SleepFor(*timeout + absl::Milliseconds(20));
  EXPECT_EQ((*client)->HandleDtlsTimeout(), Step::kWantRead);
  std::string again;
  ASSERT_TRUE((*client)->PopDatagram(&again));
  EXPECT_EQ(again[0], 22);  // Handshake record...
  EXPECT_EQ(again[13], 1);  // ...carrying a ClientHello.
  EXPECT_EQ(again.size(), lost.size());
}

// ---------------------------------------------------------------------------------------------
// A session is not tied to the thread that started it: a blocking resolver may drive it from
// another thread (as a server without asynchronous lookups would).

// DriveToDone steps `session` with poll() on `fd` until the handshake ends or 10 s pass.
Step DriveToDone(PskSession* session, int fd) {
  absl::Time deadline = Deadline();
  for (;;) {
    Step step = session->Handshake();
    if (step != Step::kWantRead && step != Step::kWantWrite) return step;
    if (absl::Now() > deadline) return Step::kFailed;
    pollfd p = {fd, static_cast<short>(step == Step::kWantRead ? POLLIN : POLLOUT), 0};
    poll(&p, 1, 50);
  }
}

// StreamPair is a TLS server session with `server_ctx` and a default client session over the two
// ends of a socketpair, which it closes when it goes.
struct StreamPair {
  explicit StreamPair(const std::shared_ptr<const PskContext>& server_ctx) {
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv) != 0) return;
    auto s = PskSession::NewStream(server_ctx, sv[0], absl::Now());
    auto c = PskSession::NewStream(Client(Transport::kTls), sv[1], absl::Now());
    if (s.ok()) server = *std::move(s);
    if (c.ok()) client = *std::move(c);
  }
  ~StreamPair() {
    server.reset();
    client.reset();
    if (sv[0] >= 0) close(sv[0]);
    if (sv[1] >= 0) close(sv[1]);
  }
  bool ok() const { return server != nullptr && client != nullptr; }

  int sv[2] = {-1, -1};
  std::unique_ptr<PskSession> server, client;
};

TEST(PskHandshakeTest, SessionMovesToAnotherThreadWithBlockingResolver) {
  ServerOptions options;
  auto slow = std::make_shared<FunctionPskResolver>(
      [](absl::string_view identity) -> absl::StatusOr<SecretBytes> {
        absl::SleepFor(absl::Milliseconds(100));  // A remote fetch.
        if (identity == kIdentity) return Key('k');
        return absl::NotFoundError("unknown");
      });
  absl::StatusOr<std::shared_ptr<const PskContext>> server_ctx =
      PskContext::NewServer(options, slow);
  ASSERT_TRUE(server_ctx.ok());
  StreamPair p(*server_ctx);
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p.server->Handshake(), Step::kWantRead);  // Event-loop thread: nothing yet.
  Step server_step = Step::kFailed;
  std::thread worker([&] { server_step = DriveToDone(p.server.get(), p.sv[0]); });
  Step client_step = DriveToDone(p.client.get(), p.sv[1]);
  worker.join();
  ASSERT_EQ(client_step, Step::kDone) << p.client->status();
  ASSERT_EQ(server_step, Step::kDone) << p.server->status();
  auto a = p.server->Export(kBootstrapExporterLabel, 48);
  auto b = p.client->Export(kBootstrapExporterLabel, 48);
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_TRUE(a->Equals(*b));
  EXPECT_EQ(p.server->psk_lookup(), PskLookup::kFound);
}

// An asynchronous resolver whose lookups wait until the test answers them (AnswerAll), each from
// its own thread as a resolver's flight thread would; counts the calls.
class AsyncTestResolver : public PskResolver {
 public:
  ~AsyncTestResolver() override {
    AnswerAll();
    JoinAnswers();
  }
  absl::StatusOr<SecretBytes> Resolve(absl::string_view) override {
    ++sync_calls;
    return absl::InternalError("the synchronous path must not be used");
  }
  bool SupportsAsync() const override { return true; }
  void ResolveAsync(absl::string_view identity, ResolveDone done) override {
    ++async_calls;
    absl::MutexLock l(&mu_);
    held_.push_back({std::string(identity), std::move(done)});
  }
  // AnswerAll answers every held lookup (kIdentity: the key; anything else: not found).
  void AnswerAll() {
    absl::MutexLock l(&mu_);
    for (Held& h : held_) {
      threads_.emplace_back([id = std::move(h.identity), done = std::move(h.done)] {
        done(id == kIdentity ? absl::StatusOr<SecretBytes>(Key('k'))
                             : absl::NotFoundError("unknown"));
      });
    }
    held_.clear();
  }
  // JoinAnswers returns once every answer given so far has been delivered.
  void JoinAnswers() {
    std::vector<std::thread> threads;
    {
      absl::MutexLock l(&mu_);
      threads.swap(threads_);
    }
    for (auto& t : threads) t.join();
  }
  std::atomic<int> sync_calls{0};
  std::atomic<int> async_calls{0};

 private:
  struct Held {
    std::string identity;
    ResolveDone done;
  };
  absl::Mutex mu_;
  std::vector<Held> held_ ABSL_GUARDED_BY(mu_);
  std::vector<std::thread> threads_ ABSL_GUARDED_BY(mu_);
};

// AsyncServer is a TLS server session over one end of a socketpair whose lookups go to `resolver`;
// it counts its async-ready callbacks.
struct AsyncServer {
  explicit AsyncServer(std::shared_ptr<PskResolver> resolver, std::string identity = kIdentity) {
    absl::StatusOr<std::shared_ptr<const PskContext>> ctx =
        PskContext::NewServer(ServerOptions(), std::move(resolver));
    EXPECT_TRUE(ctx.ok());
    EXPECT_EQ(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv), 0);
    auto s = PskSession::NewStream(*ctx, sv[0], absl::Now());
    EXPECT_TRUE(s.ok());
    if (s.ok()) session = *std::move(s);
    if (session != nullptr) {
      session->EnableAsyncLookup([this] {
        absl::MutexLock l(&mu);
        ++wakeups;
      });
    }
    client_thread = std::thread([this, identity] {
      auto client = PskSession::NewStream(Client(Transport::kTls, identity), sv[1], absl::Now());
      if (client.ok()) client_step = DriveToDone(client->get(), sv[1]);
    });
  }
  ~AsyncServer() {
    shutdown(sv[0], SHUT_RDWR);
    if (client_thread.joinable()) client_thread.join();
    if (session != nullptr) session->Close();
    session.reset();
    close(sv[0]);
    close(sv[1]);
  }
  // TakeWakeup waits for an async-ready callback (false if none came by `deadline`) and consumes
  // it.
  bool TakeWakeup(absl::Time deadline) {
    absl::MutexLock l(&mu);
    auto woken = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu) { return wakeups > 0; };
    if (!mu.AwaitWithDeadline(absl::Condition(&woken), deadline)) return false;
    --wakeups;
    return true;
  }
  int Wakeups() {
    absl::MutexLock l(&mu);
    return wakeups;
  }
  // PauseOnLookup drives the handshake until it pauses on the key lookup.
  Step PauseOnLookup() {
    Step step = Step::kWantRead;
    const absl::Time deadline = Deadline();
    while (step != Step::kWantAsync && absl::Now() < deadline) {
      step = session->Handshake();
      pollfd p = {sv[0], POLLIN, 0};
      if (step == Step::kWantRead) poll(&p, 1, 20);
    }
    return step;
  }

  int sv[2] = {-1, -1};
  std::unique_ptr<PskSession> session;
  absl::Mutex mu;
  int wakeups ABSL_GUARDED_BY(mu) = 0;
  std::atomic<Step> client_step{Step::kFailed};
  std::thread client_thread;
};

TEST(PskHandshakeTest, AsyncLookupPausesTheHandshakeInsteadOfBlocking) {
  auto resolver = std::make_shared<AsyncTestResolver>();
  for (std::string identity : {std::string(kIdentity), std::string("kpm-unknown")}) {
    SCOPED_TRACE(identity);
    AsyncServer server(resolver, identity);
    ASSERT_NE(server.session, nullptr);
    // The "event loop". The lookup answers only once the test tells it to, after Handshake has
    // returned kWantAsync: a Handshake that blocked on the lookup would never return.
    int paused_steps = 0;
    Step step;
    const absl::Time deadline = Deadline();
    for (;;) {
      step = server.session->Handshake();
      if (step == Step::kWantAsync) {
        ++paused_steps;
        EXPECT_TRUE(server.session->async_paused());
        resolver->AnswerAll();
        ASSERT_TRUE(server.TakeWakeup(deadline));
        continue;
      }
      if (step != Step::kWantRead && step != Step::kWantWrite) break;
      if (absl::Now() > deadline) break;
      pollfd p = {server.sv[0], static_cast<short>(step == Step::kWantRead ? POLLIN : POLLOUT), 0};
      poll(&p, 1, 20);
    }
    EXPECT_GE(paused_steps, 1);
    if (identity == kIdentity) {
      EXPECT_EQ(step, Step::kDone) << server.session->status();
      EXPECT_EQ(server.session->psk_lookup(), PskLookup::kFound);
      server.client_thread.join();
      EXPECT_EQ(server.client_step.load(), Step::kDone);
    } else {
      EXPECT_EQ(step, Step::kFailed);
      EXPECT_EQ(server.session->psk_lookup(), PskLookup::kNotFound);
    }
  }
  EXPECT_EQ(resolver->sync_calls.load(), 0);
  EXPECT_EQ(resolver->async_calls.load(), 2);
}

TEST(PskHandshakeTest, SessionClosedWhilePausedOnALookupDropsTheAnswer) {
  auto resolver = std::make_shared<AsyncTestResolver>();
  AsyncServer server(resolver);
  ASSERT_NE(server.session, nullptr);
  ASSERT_EQ(server.PauseOnLookup(), Step::kWantAsync);
  server.session->Close();
  EXPECT_FALSE(server.session->async_paused());
  server.session->Close();  // idempotent
  server.session.reset();
  resolver->AnswerAll();  // the lookup answers later, into a dropped session
  resolver->JoinAnswers();
  EXPECT_EQ(server.Wakeups(), 0);
}

TEST(PskHandshakeTest, CloseWithoutAPausedLookupChangesNothing) {
  auto resolver = std::make_shared<AsyncTestResolver>();
  AsyncServer server(resolver);
  ASSERT_NE(server.session, nullptr);
  server.session->Close();  // before any handshake step
  ASSERT_EQ(server.PauseOnLookup(), Step::kWantAsync);
  resolver->AnswerAll();
  ASSERT_TRUE(server.TakeWakeup(Deadline()));
  Step step = server.session->Handshake();
  const absl::Time deadline = Deadline();
  while ((step == Step::kWantRead || step == Step::kWantWrite) && absl::Now() < deadline) {
    pollfd p = {server.sv[0], static_cast<short>(step == Step::kWantRead ? POLLIN : POLLOUT), 0};
    poll(&p, 1, 20);
    step = server.session->Handshake();
  }
  EXPECT_EQ(step, Step::kDone) << server.session->status();
}

// A resolver that supports async but is used by a session without an async-ready callback (a
// server that drives handshakes itself) is asked synchronously.
TEST(PskHandshakeTest, AsyncResolverWithoutReadyCallbackIsAskedSynchronously) {
  auto resolver = std::make_shared<AsyncTestResolver>();
  absl::StatusOr<std::shared_ptr<const PskContext>> server_ctx =
      PskContext::NewServer(ServerOptions(), resolver);
  ASSERT_TRUE(server_ctx.ok());
  StreamPair p(*server_ctx);
  ASSERT_TRUE(p.ok());
  std::thread worker([&] { (void)DriveToDone(p.server.get(), p.sv[0]); });
  (void)DriveToDone(p.client.get(), p.sv[1]);
  worker.join();
  EXPECT_EQ(resolver->sync_calls.load(), 1);
  EXPECT_EQ(resolver->async_calls.load(), 0);
}

TEST(PskHandshakeTest, HandshakeExpiryIsReportedToTheEventLoop) {
  auto server_ctx = Server(Transport::kTls, {}, "", absl::Milliseconds(200));
  int sv[2];
  ASSERT_EQ(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv), 0);
  absl::Time start = absl::Now();
  auto server = PskSession::NewStream(server_ctx, sv[0], start);
  ASSERT_TRUE(server.ok());
  EXPECT_EQ((*server)->Handshake(), Step::kWantRead);
  EXPECT_FALSE((*server)->HandshakeExpired(start + absl::Milliseconds(100)));
  EXPECT_TRUE((*server)->HandshakeExpired(start + absl::Milliseconds(300)));
  EXPECT_EQ((*server)->Export(kBootstrapExporterLabel, 48).status().code(),
            absl::StatusCode::kFailedPrecondition);
  close(sv[0]);
  close(sv[1]);
}

// ---------------------------------------------------------------------------------------------
// Memory held by idle established server sessions (the MEF budget is 64 KiB per connection).

size_t HeapInUse() { return mallinfo2().uordblks; }

TEST(PskMemoryTest, IdleTlsServerSessionIsSmall) {
  constexpr int kSessions = 40;
  auto server_ctx = Server(Transport::kTls);
  auto client_ctx = Client(Transport::kTls);
  std::vector<int> fds;
  std::vector<std::unique_ptr<PskSession>> servers;
  size_t before = HeapInUse();
  {
    std::vector<std::unique_ptr<PskSession>> clients;
    for (int i = 0; i < kSessions; ++i) {
      int sv[2];
      ASSERT_EQ(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv), 0);
      fds.push_back(sv[0]);
      fds.push_back(sv[1]);
      auto s = PskSession::NewStream(server_ctx, sv[0], absl::Now());
      auto c = PskSession::NewStream(client_ctx, sv[1], absl::Now());
      ASSERT_TRUE(s.ok() && c.ok());
      for (int n = 0; n < 20 && !((*s)->handshake_done() && (*c)->handshake_done()); ++n) {
        ASSERT_NE((*c)->Handshake(), Step::kFailed) << (*c)->status();
        ASSERT_NE((*s)->Handshake(), Step::kFailed) << (*s)->status();
      }
      ASSERT_TRUE((*s)->handshake_done());
      servers.push_back(std::move(*s));
      clients.push_back(std::move(*c));
    }
  }
  size_t after = HeapInUse();
  size_t per_session = after > before ? (after - before) / kSessions : 0;
  RecordProperty("bytes_per_idle_tls_server_session", static_cast<int>(per_session));
  EXPECT_LT(per_session, 64u * 1024u);
  // Report the figure.
  printf("idle TLS server session: %zu bytes\n", per_session);
  servers.clear();
  for (int fd : fds) close(fd);
}

TEST(PskMemoryTest, IdleDtlsServerSessionIsSmall) {
  constexpr int kSessions = 40;
  auto server_ctx = Server(Transport::kDtls);
  auto client_ctx = Client(Transport::kDtls);
  absl::StatusOr<std::unique_ptr<DtlsListener>> listener = DtlsListener::New(server_ctx);
  ASSERT_TRUE(listener.ok());
  std::vector<std::unique_ptr<PskSession>> servers;
  size_t before = HeapInUse();
  {
    std::vector<std::unique_ptr<PskSession>> clients;
    for (int i = 0; i < kSessions; ++i) {
      std::string peer = absl::StrCat("peer-", i);
      auto c = PskSession::NewDatagramClient(client_ctx, absl::Now());
      ASSERT_TRUE(c.ok());
      std::unique_ptr<PskSession> s;
      std::string d, reply;
      for (int n = 0; n < 4 && s == nullptr; ++n) {
        (*c)->Handshake();
        while ((*c)->PopDatagram(&d)) {
          auto offered = (*listener)->Offer(peer, d, absl::Now(), &reply);
          ASSERT_TRUE(offered.ok());
          if (*offered != nullptr) s = std::move(*offered);
          if (!reply.empty()) (*c)->FeedDatagram(reply);
        }
      }
      ASSERT_NE(s, nullptr);
      for (int n = 0; n < 20 && !(s->handshake_done() && (*c)->handshake_done()); ++n) {
        ASSERT_NE(s->Handshake(), Step::kFailed) << s->status();
        while (s->PopDatagram(&d)) (*c)->FeedDatagram(d);
        ASSERT_NE((*c)->Handshake(), Step::kFailed) << (*c)->status();
        while ((*c)->PopDatagram(&d)) s->FeedDatagram(d);
      }
      ASSERT_TRUE(s->handshake_done());
      servers.push_back(std::move(s));
      clients.push_back(std::move(*c));
    }
  }
  size_t after = HeapInUse();
  size_t per_session = after > before ? (after - before) / kSessions : 0;
  printf("idle DTLS server session: %zu bytes\n", per_session);
  EXPECT_LT(per_session, 64u * 1024u);
}

}  // namespace
}  // namespace tls
}  // namespace onem2m

// Loopback handshakes through the PSK layer (docs/protocol.md 2 and 3): every suite, and how
// authentication fails.
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
#include "common/tls/testing/psk_test_env.h"
#include "gtest/gtest.h"

namespace onem2m {
namespace tls {
namespace {

using testing::Client;
using testing::Deadline;
using testing::DriveToDone;
using testing::Key;
using testing::kIdentity;
using testing::kServerName;
using testing::LoopbackServer;
using testing::Resolver;
using testing::Server;
using testing::StreamPair;

// ---------------------------------------------------------------------------------------------
// Every configured suite, both transports, both address families.

struct SuiteCase {
  Transport transport;
  CipherSuite suite;
  const char* address;
};

std::string CaseName(const ::testing::TestParamInfo<SuiteCase>& info) {
  std::string name =
      absl::StrCat(TransportName(info.param.transport), "_", info.param.suite.openssl_name, "_",
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
  absl::StatusOr<std::unique_ptr<BlockingClient>> client = BlockingClient::Connect(
      Client(c.transport, kIdentity, Key('k'), {c.suite}), c.address, server->port(), Deadline());
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
  Failure unknown = Attempt(t, Server(t, {}, "", kShortHandshake), Client(t, "kpm-9999", Key('x')));
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

}  // namespace
}  // namespace tls
}  // namespace onem2m

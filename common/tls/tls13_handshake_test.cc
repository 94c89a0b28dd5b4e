// TLS 1.3 external PSK beside TLS 1.2 on one port (docs/protocol.md 2a): version, importer and
// key exchange mode combinations, failure behaviour, and the exporter.
#include <openssl/ssl.h>

#include <memory>
#include <string>

#include "common/tls/blocking_client.h"
#include "common/tls/psk_context.h"
#include "common/tls/psk_importer.h"
#include "common/tls/psk_session.h"
#include "common/tls/testing/loopback_server.h"
#include "common/tls/testing/psk_test_env.h"
#include "gtest/gtest.h"

namespace onem2m {
namespace tls {
namespace {

using testing::Deadline;
using testing::Key;
using testing::kIdentity;
using testing::LoopbackServer;
using testing::Resolver;

constexpr char kAddress[] = "127.0.0.1";

std::shared_ptr<const PskContext> Server(Tls13Options tls13) {
  ServerOptions options;
  options.tls13 = tls13;
  absl::StatusOr<std::shared_ptr<const PskContext>> ctx =
      PskContext::NewServer(options, Resolver());
  EXPECT_TRUE(ctx.ok()) << ctx.status();
  return ctx.ok() ? *ctx : nullptr;
}

Tls13Options On(Tls13Importer importer, Tls13PskMode mode = Tls13PskMode::kDhe) {
  Tls13Options o;
  o.enabled = true;
  o.importer = importer;
  o.psk_mode = mode;
  return o;
}

std::shared_ptr<const PskContext> Client(Tls13Options tls13, std::string identity = kIdentity,
                                         SecretBytes key = Key('k')) {
  ClientOptions options;
  options.tls13 = tls13;
  options.psk_identity = std::move(identity);
  options.psk = std::move(key);
  absl::StatusOr<std::shared_ptr<const PskContext>> ctx = PskContext::NewClient(options);
  EXPECT_TRUE(ctx.ok()) << ctx.status();
  return ctx.ok() ? *ctx : nullptr;
}

struct Outcome {
  absl::Status client;
  LoopbackServer::Result server;
  SecretBytes client_export;
  int client_version = 0;
  bool client_ephemeral = false;
};

Outcome Handshake(LoopbackServer& server, std::shared_ptr<const PskContext> client_ctx) {
  Outcome out;
  absl::StatusOr<std::unique_ptr<BlockingClient>> client =
      BlockingClient::Connect(std::move(client_ctx), kAddress, server.port(), Deadline());
  out.client = client.status();
  if (client.ok()) {
    PskSession& s = (*client)->session();
    out.client_version = s.protocol_version();
    out.client_ephemeral = s.ephemeral_key_exchange();
    absl::StatusOr<SecretBytes> e = s.Export(kBootstrapExporterLabel, kBootstrapExporterLen);
    if (e.ok()) out.client_export = std::move(*e);
  }
  out.server = server.Wait(absl::Seconds(10));
  return out;
}

TEST(Tls13HandshakeTest, Tls12AndTls13OnTheSamePort) {
  std::unique_ptr<LoopbackServer> server =
      LoopbackServer::Start(Server(On(Tls13Importer::kBoth)), kAddress);

  Outcome v12 = Handshake(*server, Client(Tls13Options{}));
  ASSERT_TRUE(v12.client.ok()) << v12.client;
  ASSERT_TRUE(v12.server.status.ok()) << v12.server.status;
  EXPECT_EQ(v12.server.protocol_version, TLS1_2_VERSION);
  EXPECT_EQ(v12.client_version, TLS1_2_VERSION);

  Outcome v13 = Handshake(*server, Client(On(Tls13Importer::kOn)));
  ASSERT_TRUE(v13.client.ok()) << v13.client;
  ASSERT_TRUE(v13.server.status.ok()) << v13.server.status;
  EXPECT_EQ(v13.server.protocol_version, TLS1_3_VERSION);
  EXPECT_EQ(v13.client_version, TLS1_3_VERSION);
  EXPECT_EQ(v13.server.cipher_id, 0x1301);
  EXPECT_TRUE(v13.server.psk_imported);
  EXPECT_EQ(v13.server.psk_identity, kIdentity);  // the external identity, for KeID derivation
  EXPECT_EQ(v13.server.psk_lookup, PskLookup::kFound);
  // Same exporter label and length in both versions; both ends agree.
  ASSERT_EQ(v13.client_export.size(), kBootstrapExporterLen);
  EXPECT_TRUE(v13.client_export.Equals(v13.server.bootstrap_export));
  EXPECT_TRUE(v12.client_export.Equals(v12.server.bootstrap_export));
  EXPECT_FALSE(v12.client_export.Equals(v13.client_export));
}

TEST(Tls13HandshakeTest, Tls13ClientFallsBackToTls12Server) {
  std::unique_ptr<LoopbackServer> server = LoopbackServer::Start(Server(Tls13Options{}), kAddress);
  Outcome o = Handshake(*server, Client(On(Tls13Importer::kOn)));
  ASSERT_TRUE(o.client.ok()) << o.client;
  EXPECT_EQ(o.server.protocol_version, TLS1_2_VERSION);
  EXPECT_EQ(o.server.psk_identity, kIdentity);
  EXPECT_TRUE(o.client_export.Equals(o.server.bootstrap_export));
}

TEST(Tls13HandshakeTest, ImporterModes) {
  struct Case {
    Tls13Importer server;
    Tls13Importer client;
    bool ok;
  };
  const Case cases[] = {
      {Tls13Importer::kOn, Tls13Importer::kOn, true},
      {Tls13Importer::kOn, Tls13Importer::kOff, false},
      {Tls13Importer::kOff, Tls13Importer::kOff, true},
      {Tls13Importer::kOff, Tls13Importer::kOn, false},
      {Tls13Importer::kBoth, Tls13Importer::kOn, true},
      {Tls13Importer::kBoth, Tls13Importer::kOff, true},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(::testing::Message() << "server " << static_cast<int>(c.server) << " client "
                                      << static_cast<int>(c.client));
    std::unique_ptr<LoopbackServer> server = LoopbackServer::Start(Server(On(c.server)), kAddress);
    Outcome o = Handshake(*server, Client(On(c.client)));
    EXPECT_EQ(o.client.ok(), c.ok) << o.client;
    EXPECT_EQ(o.server.status.ok(), c.ok) << o.server.status;
    if (c.ok) {
      EXPECT_EQ(o.server.protocol_version, TLS1_3_VERSION);
      EXPECT_EQ(o.server.psk_imported, c.client == Tls13Importer::kOn);
      EXPECT_TRUE(o.client_export.Equals(o.server.bootstrap_export));
    } else {
      // A form the server does not accept fails like a wrong key: the binder does not verify
      // (OpenSSL 3.0 sends illegal_parameter for that).
      EXPECT_EQ(o.server.alert_sent, SSL_AD_ILLEGAL_PARAMETER);
    }
  }
}

TEST(Tls13HandshakeTest, PskDheKeIsTheDefault) {
  std::unique_ptr<LoopbackServer> server =
      LoopbackServer::Start(Server(On(Tls13Importer::kOn, Tls13PskMode::kKe)), kAddress);
  Outcome o = Handshake(*server, Client(On(Tls13Importer::kOn)));
  ASSERT_TRUE(o.client.ok()) << o.client;
  EXPECT_EQ(o.server.protocol_version, TLS1_3_VERSION);
  EXPECT_TRUE(o.server.ephemeral_key_exchange);
  EXPECT_TRUE(o.client_ephemeral);
}

TEST(Tls13HandshakeTest, PskKeWhenBothEndsAllowIt) {
  std::unique_ptr<LoopbackServer> server =
      LoopbackServer::Start(Server(On(Tls13Importer::kOn, Tls13PskMode::kKe)), kAddress);
  Outcome o = Handshake(*server, Client(On(Tls13Importer::kOn, Tls13PskMode::kKe)));
  ASSERT_TRUE(o.client.ok()) << o.client;
  ASSERT_TRUE(o.server.status.ok()) << o.server.status;
  EXPECT_EQ(o.server.protocol_version, TLS1_3_VERSION);
  EXPECT_FALSE(o.server.ephemeral_key_exchange);
  EXPECT_FALSE(o.client_ephemeral);
  EXPECT_TRUE(o.client_export.Equals(o.server.bootstrap_export));
}

TEST(Tls13HandshakeTest, DheServerRefusesPskKeClient) {
  std::unique_ptr<LoopbackServer> server =
      LoopbackServer::Start(Server(On(Tls13Importer::kOn)), kAddress);
  Outcome o = Handshake(*server, Client(On(Tls13Importer::kOn, Tls13PskMode::kKe)));
  EXPECT_FALSE(o.client.ok());
  EXPECT_FALSE(o.server.status.ok());
}

TEST(Tls13HandshakeTest, WrongKeyAndUnknownIdentityFailAlike) {
  for (Tls13Importer importer : {Tls13Importer::kOn, Tls13Importer::kOff}) {
    std::unique_ptr<LoopbackServer> server =
        LoopbackServer::Start(Server(On(Tls13Importer::kBoth)), kAddress);
    Outcome wrong = Handshake(*server, Client(On(importer), kIdentity, Key('x')));
    Outcome unknown = Handshake(*server, Client(On(importer), "kpm-nobody", Key('k')));
    EXPECT_FALSE(wrong.client.ok());
    EXPECT_FALSE(unknown.client.ok());
    EXPECT_EQ(wrong.server.alert_sent, SSL_AD_ILLEGAL_PARAMETER);
    EXPECT_EQ(unknown.server.alert_sent, wrong.server.alert_sent);
    EXPECT_EQ(wrong.server.psk_lookup, PskLookup::kFound);
    EXPECT_EQ(unknown.server.psk_lookup, PskLookup::kNotFound);
    EXPECT_EQ(unknown.server.psk_identity, "kpm-nobody");
  }
}

TEST(Tls13HandshakeTest, LookupFailureAbortsWithInternalError) {
  std::unique_ptr<LoopbackServer> server =
      LoopbackServer::Start(Server(On(Tls13Importer::kOn)), kAddress);
  Outcome o = Handshake(*server, Client(On(Tls13Importer::kOn), "kpm-store-down"));
  EXPECT_FALSE(o.client.ok());
  EXPECT_EQ(o.server.psk_lookup, PskLookup::kLookupFailed);
  EXPECT_EQ(o.server.alert_sent, SSL_AD_INTERNAL_ERROR);
}

TEST(Tls13HandshakeTest, DtlsIgnoresTls13AndClientRejectsBothImporter) {
  ServerOptions options;
  options.transport = Transport::kDtls;
  options.tls13 = On(Tls13Importer::kOn);
  absl::StatusOr<std::shared_ptr<const PskContext>> dtls =
      PskContext::NewServer(options, Resolver());
  ASSERT_TRUE(dtls.ok()) << dtls.status();
  EXPECT_FALSE((*dtls)->tls13().enabled);

  ClientOptions client;
  client.psk_identity = kIdentity;
  client.psk = Key('k');
  client.tls13 = On(Tls13Importer::kBoth);
  EXPECT_EQ(PskContext::NewClient(client).status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(Tls13HandshakeTest, FlagValuesParse) {
  EXPECT_EQ(*ParseTls13Importer("both"), Tls13Importer::kBoth);
  EXPECT_EQ(*ParseTls13Importer("off"), Tls13Importer::kOff);
  EXPECT_FALSE(ParseTls13Importer("yes").ok());
  EXPECT_EQ(*ParseTls13PskMode("ke"), Tls13PskMode::kKe);
  EXPECT_FALSE(ParseTls13PskMode("psk_ke").ok());
}

}  // namespace
}  // namespace tls
}  // namespace onem2m

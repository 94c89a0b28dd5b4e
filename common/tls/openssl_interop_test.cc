// Interop with Debian's openssl binary (OpenSSL 3.0): our client against `openssl s_server`, and
// `openssl s_client` against our server, for TLS 1.2 and DTLS 1.2 and every permitted suite, and
// TLS 1.3 external PSK (psk_dhe_ke and psk_ke). The
// RFC 5705 export (EXPORTER-oneM2M-Bootstrap, 48 bytes, no context) must match what the openssl
// tool prints as "Keying material:".
#include <openssl/ssl.h>
#include <unistd.h>

#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "common/tls/blocking_client.h"
#include "common/tls/psk_context.h"
#include "common/tls/testing/loopback_server.h"
#include "common/tls/testing/subprocess.h"
#include "gtest/gtest.h"

namespace onem2m {
namespace tls {
namespace {

using testing::LoopbackServer;
using testing::Subprocess;

constexpr char kOpenSsl[] = "/usr/bin/openssl";
constexpr char kIdentity[] = "kpm-interop-1";
constexpr char kServerName[] = "mef.example.com";
// 32-byte key: 0x00..0x1f.
SecretBytes Key() {
  std::string k;
  for (int i = 0; i < 32; ++i) k.push_back(static_cast<char>(i));
  return SecretBytes::Copy(k);
}
std::string KeyHex() { return absl::BytesToHexString(Key().Reveal()); }

// KeyingMaterial extracts the hex after "Keying material: " (upper case), or "".
std::string KeyingMaterial(const std::string& output) {
  constexpr absl::string_view kTag = "Keying material: ";
  size_t at = output.find(kTag.data(), 0, kTag.size());
  if (at == std::string::npos) return "";
  size_t end = output.find('\n', at);
  return absl::AsciiStrToUpper(
      absl::StripAsciiWhitespace(output.substr(at + kTag.size(), end - at - kTag.size())));
}

std::string Hex(const SecretBytes& s) {
  return absl::AsciiStrToUpper(absl::BytesToHexString(s.Reveal()));
}

struct Case {
  Transport transport;
  CipherSuite suite;
};

std::vector<Case> Cases() {
  std::vector<Case> cases;
  for (Transport t : {Transport::kTls, Transport::kDtls}) {
    for (const CipherSuite& s : DefaultCipherSuites(t)) cases.push_back({t, s});
  }
  return cases;
}

std::string Name(const ::testing::TestParamInfo<Case>& info) {
  std::string name =
      absl::StrCat(TransportName(info.param.transport), "_", info.param.suite.openssl_name);
  for (char& c : name) {
    if (!absl::ascii_isalnum(static_cast<unsigned char>(c))) c = '_';
  }
  return name;
}

class InteropTest : public ::testing::TestWithParam<Case> {
 protected:
  void SetUp() override {
    if (access(kOpenSsl, X_OK) != 0) GTEST_SKIP() << "no " << kOpenSsl;
  }
};

TEST_P(InteropTest, OurClientAgainstOpenSslServer) {
  const Case& c = GetParam();
  std::vector<std::string> argv = {kOpenSsl,
                                   "s_server",
                                   "-accept",
                                   "127.0.0.1:0",
                                   "-nocert",
                                   "-psk",
                                   KeyHex(),
                                   "-psk_identity",
                                   kIdentity,
                                   "-keymatexport",
                                   std::string(kBootstrapExporterLabel),
                                   "-keymatexportlen",
                                   "48",
                                   "-cipher",
                                   c.suite.openssl_name,
                                   "-naccept",
                                   "1"};
  if (c.transport == Transport::kDtls) {
    argv.push_back("-dtls1_2");
    argv.push_back("-listen");  // Cookie exchange: exercises our client's HelloVerifyRequest path.
  } else {
    argv.push_back("-tls1_2");
  }
  Subprocess server(argv);
  ASSERT_TRUE(server.started());
  std::string out;
  ASSERT_TRUE(server.WaitFor("ACCEPT 127.0.0.1:", absl::Now() + absl::Seconds(10), &out)) << out;
  size_t colon = out.find("ACCEPT 127.0.0.1:") + strlen("ACCEPT 127.0.0.1:");
  int port = 0;
  ASSERT_TRUE(absl::SimpleAtoi(out.substr(colon, out.find('\n', colon) - colon), &port)) << out;

  ClientOptions options;
  options.transport = c.transport;
  options.psk_identity = kIdentity;
  options.psk = Key();
  options.server_name = kServerName;
  absl::StatusOr<std::shared_ptr<const PskContext>> ctx = PskContext::NewClient(options);
  ASSERT_TRUE(ctx.ok()) << ctx.status();
  absl::StatusOr<std::unique_ptr<BlockingClient>> client = BlockingClient::Connect(
      *ctx, "127.0.0.1", static_cast<uint16_t>(port), absl::Now() + absl::Seconds(10));
  ASSERT_TRUE(client.ok()) << client.status() << "\n" << server.Output();
  EXPECT_EQ((*client)->session().cipher_id(), c.suite.id);
  absl::StatusOr<SecretBytes> mine =
      (*client)->session().Export(kBootstrapExporterLabel, kBootstrapExporterLen);
  ASSERT_TRUE(mine.ok()) << mine.status();

  ASSERT_TRUE(server.WaitFor("Keying material: ", absl::Now() + absl::Seconds(10), &out)) << out;
  EXPECT_EQ(KeyingMaterial(out).size(), 96u) << out;
  EXPECT_EQ(KeyingMaterial(out), Hex(*mine)) << out;
  (*client)->Close(absl::Now() + absl::Seconds(2)).IgnoreError();
}

TEST_P(InteropTest, OpenSslClientAgainstOurServer) {
  const Case& c = GetParam();
  ServerOptions options;
  options.transport = c.transport;
  options.required_server_name = kServerName;
  auto resolver = std::make_shared<FunctionPskResolver>(
      [](absl::string_view identity) -> absl::StatusOr<SecretBytes> {
        if (identity == kIdentity) return Key();
        return absl::NotFoundError("unknown");
      });
  absl::StatusOr<std::shared_ptr<const PskContext>> ctx = PskContext::NewServer(options, resolver);
  ASSERT_TRUE(ctx.ok()) << ctx.status();
  std::unique_ptr<LoopbackServer> server = LoopbackServer::Start(*ctx, "127.0.0.1");

  std::vector<std::string> argv = {
      kOpenSsl,           "s_client",  "-connect",      absl::StrCat("127.0.0.1:", server->port()),
      "-servername",      kServerName, "-psk",          KeyHex(),
      "-psk_identity",    kIdentity,   "-keymatexport", std::string(kBootstrapExporterLabel),
      "-keymatexportlen", "48",        "-cipher",       c.suite.openssl_name};
  argv.push_back(c.transport == Transport::kDtls ? "-dtls1_2" : "-tls1_2");
  Subprocess client(argv);
  ASSERT_TRUE(client.started());
  LoopbackServer::Result r = server->Wait(absl::Seconds(10));
  std::string out;
  bool printed = client.WaitFor("Keying material: ", absl::Now() + absl::Seconds(10), &out);
  ASSERT_TRUE(r.status.ok()) << r.status << "\n" << out;
  ASSERT_TRUE(printed) << out;
  EXPECT_EQ(r.cipher_id, c.suite.id);
  EXPECT_EQ(r.psk_identity, kIdentity);
  EXPECT_EQ(r.server_name, kServerName);
  EXPECT_EQ(KeyingMaterial(out).size(), 96u) << out;
  EXPECT_EQ(KeyingMaterial(out), Hex(r.bootstrap_export)) << out;
  if (c.transport == Transport::kDtls) {
    EXPECT_EQ(r.hello_verify_requests, 1);
  }
}

INSTANTIATE_TEST_SUITE_P(AllSuites, InteropTest, ::testing::ValuesIn(Cases()), Name);

// TLS 1.3 external PSK (docs/protocol.md 2a): `openssl s_client -tls1_3 -psk` presents the raw
// identity and key (no RFC 9258 importer), so the server accepts raw identities (importer off or
// both). psk_ke: s_client allows it and offers only a finite-field key_share, which the server
// does not support.
struct Tls13Case {
  Tls13Importer importer;
  Tls13PskMode mode;
};

class Tls13InteropTest : public ::testing::TestWithParam<Tls13Case> {
 protected:
  void SetUp() override {
    if (access(kOpenSsl, X_OK) != 0) GTEST_SKIP() << "no " << kOpenSsl;
  }
};

TEST_P(Tls13InteropTest, OpenSslClientAgainstOurServer) {
  ServerOptions options;
  options.required_server_name = kServerName;
  options.tls13.enabled = true;
  options.tls13.importer = GetParam().importer;
  options.tls13.psk_mode = GetParam().mode;
  auto resolver = std::make_shared<FunctionPskResolver>(
      [](absl::string_view identity) -> absl::StatusOr<SecretBytes> {
        if (identity == kIdentity) return Key();
        return absl::NotFoundError("unknown");
      });
  absl::StatusOr<std::shared_ptr<const PskContext>> ctx = PskContext::NewServer(options, resolver);
  ASSERT_TRUE(ctx.ok()) << ctx.status();
  std::unique_ptr<LoopbackServer> server = LoopbackServer::Start(*ctx, "127.0.0.1");

  std::vector<std::string> argv = {
      kOpenSsl,           "s_client",  "-connect",      absl::StrCat("127.0.0.1:", server->port()),
      "-servername",      kServerName, "-psk",          KeyHex(),
      "-psk_identity",    kIdentity,   "-keymatexport", std::string(kBootstrapExporterLabel),
      "-keymatexportlen", "48",        "-tls1_3"};
  if (GetParam().mode == Tls13PskMode::kKe) {
    argv.insert(argv.end(), {"-allow_no_dhe_kex", "-groups", "ffdhe2048"});
  }
  Subprocess client(argv);
  ASSERT_TRUE(client.started());
  LoopbackServer::Result r = server->Wait(absl::Seconds(10));
  std::string out;
  bool printed = client.WaitFor("Keying material: ", absl::Now() + absl::Seconds(10), &out);
  ASSERT_TRUE(r.status.ok()) << r.status << "\n" << out;
  ASSERT_TRUE(printed) << out;
  EXPECT_EQ(r.protocol_version, TLS1_3_VERSION);
  EXPECT_EQ(r.cipher_id, 0x1301);
  EXPECT_FALSE(r.psk_imported);
  EXPECT_EQ(r.psk_identity, kIdentity);
  EXPECT_EQ(r.ephemeral_key_exchange, GetParam().mode == Tls13PskMode::kDhe);
  EXPECT_EQ(KeyingMaterial(out).size(), 96u) << out;
  EXPECT_EQ(KeyingMaterial(out), Hex(r.bootstrap_export)) << out;
}

TEST_P(Tls13InteropTest, OurClientWithoutImporterAgainstOpenSslServer) {
  std::vector<std::string> argv = {kOpenSsl,
                                   "s_server",
                                   "-accept",
                                   "127.0.0.1:0",
                                   "-nocert",
                                   "-psk",
                                   KeyHex(),
                                   "-psk_identity",
                                   kIdentity,
                                   "-keymatexport",
                                   std::string(kBootstrapExporterLabel),
                                   "-keymatexportlen",
                                   "48",
                                   "-tls1_3",
                                   "-naccept",
                                   "1"};
  if (GetParam().mode == Tls13PskMode::kKe) argv.push_back("-allow_no_dhe_kex");
  Subprocess server(argv);
  ASSERT_TRUE(server.started());
  std::string out;
  ASSERT_TRUE(server.WaitFor("ACCEPT 127.0.0.1:", absl::Now() + absl::Seconds(10), &out)) << out;
  size_t colon = out.find("ACCEPT 127.0.0.1:") + strlen("ACCEPT 127.0.0.1:");
  int port = 0;
  ASSERT_TRUE(absl::SimpleAtoi(out.substr(colon, out.find('\n', colon) - colon), &port)) << out;

  ClientOptions options;
  options.psk_identity = kIdentity;
  options.psk = Key();
  options.server_name = kServerName;
  options.tls13.enabled = true;
  options.tls13.importer = Tls13Importer::kOff;
  options.tls13.psk_mode = GetParam().mode;
  absl::StatusOr<std::shared_ptr<const PskContext>> ctx = PskContext::NewClient(options);
  ASSERT_TRUE(ctx.ok()) << ctx.status();
  absl::StatusOr<std::unique_ptr<BlockingClient>> client = BlockingClient::Connect(
      *ctx, "127.0.0.1", static_cast<uint16_t>(port), absl::Now() + absl::Seconds(10));
  ASSERT_TRUE(client.ok()) << client.status() << "\n" << server.Output();
  EXPECT_EQ((*client)->session().protocol_version(), TLS1_3_VERSION);
  absl::StatusOr<SecretBytes> mine =
      (*client)->session().Export(kBootstrapExporterLabel, kBootstrapExporterLen);
  ASSERT_TRUE(mine.ok()) << mine.status();
  ASSERT_TRUE(server.WaitFor("Keying material: ", absl::Now() + absl::Seconds(10), &out)) << out;
  EXPECT_EQ(KeyingMaterial(out), Hex(*mine)) << out;
  (*client)->Close(absl::Now() + absl::Seconds(2)).IgnoreError();
}

INSTANTIATE_TEST_SUITE_P(Tls13, Tls13InteropTest,
                         ::testing::Values(Tls13Case{Tls13Importer::kOff, Tls13PskMode::kDhe},
                                           Tls13Case{Tls13Importer::kBoth, Tls13PskMode::kDhe},
                                           Tls13Case{Tls13Importer::kBoth, Tls13PskMode::kKe}),
                         [](const ::testing::TestParamInfo<Tls13Case>& info) {
                           return absl::StrCat(
                               info.param.importer == Tls13Importer::kOff ? "ImporterOff"
                                                                          : "ImporterBoth",
                               info.param.mode == Tls13PskMode::kKe ? "PskKe" : "PskDheKe");
                         });

TEST(InteropFailureTest, OpenSslClientWithWrongKeyIsRefused) {
  if (access(kOpenSsl, X_OK) != 0) GTEST_SKIP() << "no " << kOpenSsl;
  ServerOptions options;
  auto resolver = std::make_shared<FunctionPskResolver>(
      [](absl::string_view) -> absl::StatusOr<SecretBytes> { return Key(); });
  absl::StatusOr<std::shared_ptr<const PskContext>> ctx = PskContext::NewServer(options, resolver);
  ASSERT_TRUE(ctx.ok());
  std::unique_ptr<LoopbackServer> server = LoopbackServer::Start(*ctx, "127.0.0.1");
  Subprocess client({kOpenSsl, "s_client", "-connect", absl::StrCat("127.0.0.1:", server->port()),
                     "-psk", std::string(64, 'a'), "-psk_identity", kIdentity, "-tls1_2"});
  LoopbackServer::Result r = server->Wait(absl::Seconds(10));
  EXPECT_EQ(r.status.code(), absl::StatusCode::kUnauthenticated) << r.status;
  EXPECT_EQ(r.alert_sent, 20);  // bad_record_mac
}

}  // namespace
}  // namespace tls
}  // namespace onem2m

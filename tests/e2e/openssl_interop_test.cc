// Interop: Debian's `openssl s_client` (TLS 1.2 PSK, and DTLS 1.2 PSK) as the Enrolee against the
// in-process MEF over a real PostgreSQL (ONEM2M_TEST_PG; skipped when unset, or when
// /usr/bin/openssl is missing). The KeID is computed from s_client's "Keying material:"
// (EXPORTER-oneM2M-Bootstrap, 48 bytes, no context) and must equal the keId in the MEF's JSON
// answer, whose row must be in the store. The full-exchange tests send TS-0003 Table 8.3.2.1-1's
// request, read the Table 8.3.2.1-3 answer, send the success message and expect the MEF's
// end-of-exchange answer followed by the MEF closing the session (clause 8.3.2.1's last steps).
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/crypto/envelope.h"
#include "common/coap/serializer.h"
#include "common/crypto/key_id.h"
#include "common/exchange/coap_adapter.h"
#include "common/exchange/message.h"
#include "common/pg/test_schema.h"
#include "common/secret_bytes.h"
#include "gtest/gtest.h"
#include "tests/e2e/in_process_mef.h"

namespace onem2m {
namespace {

std::string RunCapture(const std::string& cmd) {
  std::string out;
  FILE* f = popen(cmd.c_str(), "r");
  if (f == nullptr) return out;
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, f)) > 0) out.append(buf, n);
  pclose(f);
  return out;
}

// The two messages of the full exchange (docs/exchange.md "Enrolment").
constexpr char kIndicationsBody[] =
    "{\"certificateEnrolmentIndication\":false,\"mafEnrolmentIndication\":true,"
    "\"remoteManagementIndication\":false}";
constexpr char kSuccessBody[] = "{\"instructionType\":\"mafEnrolment\",\"status\":true}";

std::string HttpPost(const std::string& body, const std::string& request_id) {
  return absl::StrCat("POST /enrolment HTTP/1.1\r\nHost: mef.local\r\nX-M2M-Origin: C-interop\r\n",
                      "X-M2M-RI: ", request_id, "\r\nX-M2M-RVI: 3\r\n",
                      "Content-Type: application/json\r\nContent-Length: ", body.size(),
                      "\r\n\r\n", body);
}

// CoapPost is one confirmable CoAP request datagram (TS-0008 options) carrying `body`.
std::string CoapPost(const std::string& body, uint16_t message_id, const std::string& token) {
  exchange::Request r;
  r.method = exchange::Method::kPost;
  r.path = "/enrolment";
  r.originator = "C-interop";
  r.request_id = absl::StrCat("interop-", message_id);
  r.content_type = std::string(exchange::kJsonMediaType);
  r.body = body;
  auto m = exchange::RequestToCoap(r, message_id, token);
  if (!m.ok()) return "";
  auto bytes = coap::SerializeMessage(*m);
  return bytes.ok() ? *bytes : "";
}

// KeIdFromKeyingMaterial returns HEX(RelativeKeID)@FQDN and the Ke hex from s_client's output, or
// empty strings when s_client printed no keying material.
std::pair<std::string, std::string> KeIdFromKeyingMaterial(const std::string& out) {
  const std::string marker = "Keying material: ";
  size_t p = out.find(marker);
  if (p == std::string::npos || out.size() < p + marker.size() + 96) return {};
  std::string hex = absl::AsciiStrToUpper(out.substr(p + marker.size(), 96));
  return {absl::StrCat(hex.substr(0, 32), "@", e2e::kFqdn), hex.substr(32)};
}

class OpensslInteropTest : public ::testing::TestWithParam<const char*> {
 protected:
  OpensslInteropTest() : envelope_(crypto::Keyring::Generate(1)) {}
  void SetUp() override {
    if (!pg::TestSchema::Available()) GTEST_SKIP() << pg::TestSchema::SkipMessage();
    if (access("/usr/bin/openssl", X_OK) != 0) GTEST_SKIP() << "no /usr/bin/openssl";
    if (access("/usr/bin/timeout", X_OK) != 0) GTEST_SKIP() << "no /usr/bin/timeout";
    auto schema = pg::TestSchema::Create();
    ASSERT_TRUE(schema.ok()) << schema.status();
    schema_ = *std::move(schema);
    pg::PoolOptions pool = schema_->PoolOptionsFor();
    pool.application_name = "interop-" + schema_->name();
    mef_ = e2e::StartMef(pool, &envelope_, absl::Seconds(10), 2, 4, absl::Seconds(3));
    ASSERT_NE(mef_, nullptr);
  }
  void TearDown() override { mef_.reset(); }

  // AddEnrolee provisions `kpm_id` with a fresh random Kpm (returned).
  SecretBytes AddEnrolee(const std::string& kpm_id) {
    SecretBytes kpm = SecretBytes::Random(32);
    mef::Enrolee e;
    e.kpm_id = kpm_id;
    auto sealed = envelope_.Seal(kpm, kpm_id);
    EXPECT_TRUE(sealed.ok());
    e.kpm = mef::SealedKey{sealed.ok() ? *sealed : "", 1};
    e.enrolee_id = "C-interop";
    e.maf_id = "maf.local";
    EXPECT_TRUE(mef_->store->CreateEnrolee(e).ok());
    return kpm;
  }

  // RunSClient runs s_client as the Enrolee: each of `messages` is written to its stdin one second
  // apart (so each is one TLS record / one DTLS datagram, sent after the previous answer), then
  // stdin stays open a few seconds for the answers; `timeout` bounds the whole run. -nocommands:
  // a message starting with a command letter must not be taken as one.
  std::string RunSClient(bool dtls, const std::string& cipher, const std::string& kpm_id,
                         const SecretBytes& kpm, const std::vector<std::string>& messages) {
    const char* tmp = getenv("TEST_TMPDIR");
    std::string feed = "(";
    std::vector<std::string> paths;
    for (size_t i = 0; i < messages.size(); ++i) {
      paths.push_back(absl::StrCat(tmp ? tmp : "/tmp", "/req-", getpid(), "-", kpm_id, "-", i));
      std::ofstream f(paths.back(), std::ios::binary);
      f << messages[i];
      absl::StrAppend(&feed, i == 0 ? "" : "sleep 1; ", "cat ", paths.back(), "; ");
    }
    absl::StrAppend(&feed, "sleep 3)");
    const std::string cmd = absl::StrCat(
        feed, " | timeout 30 /usr/bin/openssl s_client -nocommands -connect 127.0.0.1:",
        dtls ? mef_->dtls_port : mef_->tls_port, " -psk ", crypto::HexUpper(kpm.Reveal()),
        " -psk_identity ", kpm_id, " -servername ", e2e::kFqdn,
        dtls ? " -dtls1_2" : " -tls1_2", " -cipher ", cipher,
        " -keymatexport EXPORTER-oneM2M-Bootstrap -keymatexportlen 48 2>&1");
    std::string out = RunCapture(cmd);
    for (const std::string& p : paths) unlink(p.c_str());
    return out;
  }

  // ExpectFullExchange checks the two answers of the full exchange in s_client's output.
  void ExpectFullExchange(const std::string& out) {
    auto [ke_id, ke_hex] = KeIdFromKeyingMaterial(out);
    ASSERT_FALSE(ke_id.empty()) << out;
    // Table 8.3.2.1-3 answer: the instruction, the URIs (derived from the MAF-ID here), and the
    // KeID openssl's own export gives.
    EXPECT_TRUE(absl::StrContains(out, "\"instructionType\":\"mafEnrolment\"")) << out;
    EXPECT_TRUE(absl::StrContains(out, absl::StrCat("\"keId\":\"", ke_id, "\"")))
        << "expected keId " << ke_id << " in:\n" << out;
    EXPECT_TRUE(absl::StrContains(out, "/maf/keys/retrieve\"")) << out;
    EXPECT_TRUE(absl::StrContains(out, "\"lifetime\":\"")) << out;
    // The end of the enrolment exchange, after the success message.
    EXPECT_TRUE(absl::StrContains(out, "{\"instructionType\":\"endOfEnrolmentExchange\"}")) << out;
    // ... and the MEF closed the session (s_client saw close_notify and ended by itself).
    EXPECT_TRUE(absl::StrContains(out, "closed")) << out;
    auto view = mef_->store->GetEnrolmentByKeId(*crypto::KeyId::Parse(ke_id));
    ASSERT_TRUE(view.ok()) << view.status();
    auto ke = envelope_.Open(view->enrolment.ke.ciphertext, ke_id);
    ASSERT_TRUE(ke.ok()) << ke.status();
    EXPECT_EQ(crypto::HexUpper(ke->Reveal()), ke_hex);
  }

  crypto::Envelope envelope_;
  std::unique_ptr<pg::TestSchema> schema_;
  std::unique_ptr<e2e::Mef> mef_;
};

TEST_P(OpensslInteropTest, SClientKeyIdMatchesMefAnswer) {
  const std::string cipher = GetParam();
  const std::string kpm_id = "interop-" + cipher;
  SecretBytes kpm = SecretBytes::Random(32);
  mef::Enrolee e;
  e.kpm_id = kpm_id;
  auto sealed = envelope_.Seal(kpm, kpm_id);
  ASSERT_TRUE(sealed.ok());
  e.kpm = mef::SealedKey{*sealed, 1};
  e.enrolee_id = "C-interop";
  e.maf_id = "maf.local";
  ASSERT_TRUE(mef_->store->CreateEnrolee(e).ok());

  const std::string body = "{\"enrolment\":{\"type\":\"maf\"}}";
  const std::string req = absl::StrCat(
      "POST /enrolment HTTP/1.1\r\nHost: mef.local\r\nX-M2M-Origin: C-interop\r\nX-M2M-RI: interop-1\r\n"
      "X-M2M-RVI: 3\r\nConnection: close\r\nContent-Type: application/json\r\nContent-Length: ",
      body.size(), "\r\n\r\n", body);
  const char* tmp = getenv("TEST_TMPDIR");
  const std::string req_path = absl::StrCat(tmp ? tmp : "/tmp", "/req-", getpid(), "-", cipher);
  {
    std::ofstream f(req_path, std::ios::binary);
    f << req;
  }
  // -ign_eof: s_client stays after its stdin ends and leaves when the MEF closes the session,
  // which "Connection: close" asks for right after the answer (RFC 9112 9.6); `timeout` bounds
  // the run, far below the MEF's idle timeout it would otherwise wait for.
  const absl::Time start = absl::Now();
  const std::string cmd = absl::StrCat(
      "timeout 30 /usr/bin/openssl s_client -ign_eof -connect 127.0.0.1:",
      mef_->tls_port, " -psk ", crypto::HexUpper(kpm.Reveal()), " -psk_identity ", kpm_id,
      " -servername ", e2e::kFqdn, " -tls1_2 -cipher ", cipher,
      " -keymatexport EXPORTER-oneM2M-Bootstrap -keymatexportlen 48 < ", req_path, " 2>&1");
  const std::string out = RunCapture(cmd);
  EXPECT_LT(absl::Now() - start, absl::Seconds(8)) << out;

  const std::string marker = "Keying material: ";
  size_t p = out.find(marker);
  ASSERT_NE(p, std::string::npos) << out;
  std::string hex = out.substr(p + marker.size(), 96);
  ASSERT_EQ(hex.size(), 96u) << out;
  const std::string expected_ke_id = absl::StrCat(absl::AsciiStrToUpper(hex.substr(0, 32)), "@", e2e::kFqdn);

  // TS-0009 V3.9.1: no reason phrase (6.3.3), X-M2M-RSC (6.4.17), X-M2M-RVI (6.4.22).
  EXPECT_TRUE(absl::StrContains(out, "HTTP/1.1 201 \r\n")) << out;
  EXPECT_TRUE(absl::StrContains(out, "X-M2M-RSC: 2001")) << out;
  EXPECT_TRUE(absl::StrContains(out, "X-M2M-RVI: 3\r\n")) << out;
  EXPECT_TRUE(absl::StrContains(out, "Connection: close")) << out;
  // TS-0004 V3.32 6.3.3 m2m:timestamp: YYYYMMDDThhmmss, no zone.
  const std::string exp_key = "\"expirationTime\":\"";
  const size_t at = out.find(exp_key);
  ASSERT_NE(at, std::string::npos) << out;
  const std::string exp = out.substr(at + exp_key.size(), 16);
  EXPECT_EQ(exp.size(), 16u) << out;
  EXPECT_EQ(exp.substr(8, 1), "T") << exp;
  EXPECT_EQ(exp.substr(15, 1), "\"") << exp;  // no trailing Z
  EXPECT_TRUE(absl::StrContains(out, absl::StrCat("\"keId\":\"", expected_ke_id, "\"")))
      << "expected keId " << expected_ke_id << " in:\n" << out;
  EXPECT_TRUE(absl::StrContains(out, cipher)) << out;
  auto view = mef_->store->GetEnrolmentByKeId(*crypto::KeyId::Parse(expected_ke_id));
  EXPECT_TRUE(view.ok()) << view.status();
  // And the Ke (bytes 16..47) is what the MEF sealed.
  if (view.ok()) {
    auto ke = envelope_.Open(view->enrolment.ke.ciphertext, expected_ke_id);
    if (ke.ok()) {
      EXPECT_EQ(crypto::HexUpper(ke->Reveal()), absl::AsciiStrToUpper(hex.substr(32)));
    }
  }
  unlink(req_path.c_str());
}

// TS-0003 8.3.2.1 end to end with openssl as the device, over TLS/HTTP.
TEST_P(OpensslInteropTest, SClientRunsTheFullEnrolmentExchangeOverTls) {
  const std::string cipher = GetParam();
  const std::string kpm_id = "interop-full-tls-" + cipher;
  SecretBytes kpm = AddEnrolee(kpm_id);
  std::string out = RunSClient(false, cipher, kpm_id, kpm,
                               {HttpPost(kIndicationsBody, "interop-1"),
                                HttpPost(kSuccessBody, "interop-2")});
  EXPECT_TRUE(absl::StrContains(out, "X-M2M-RSC: 2001")) << out;
  EXPECT_TRUE(absl::StrContains(out, "X-M2M-RSC: 2000")) << out;
  EXPECT_TRUE(absl::StrContains(out, "Connection: close")) << out;
  ExpectFullExchange(out);
}

// DTLS has its own suite list (docs/protocol.md 2: CCM_8 is mandatory for DTLS, no CBC-SHA256 PSK).
class OpensslDtlsInteropTest : public OpensslInteropTest {};

// The same over DTLS 1.2 with CoAP datagrams (the JSON payloads show in s_client's output).
TEST_P(OpensslDtlsInteropTest, SClientRunsTheFullEnrolmentExchangeOverDtls) {
  const std::string cipher = GetParam();
  const std::string kpm_id = "interop-full-dtls-" + cipher;
  SecretBytes kpm = AddEnrolee(kpm_id);
  std::string first = CoapPost(kIndicationsBody, 0x1001, "tok1");
  std::string second = CoapPost(kSuccessBody, 0x1002, "tok2");
  ASSERT_FALSE(first.empty());
  ASSERT_FALSE(second.empty());
  std::string out = RunSClient(true, cipher, kpm_id, kpm, {first, second});
  ExpectFullExchange(out);
}

INSTANTIATE_TEST_SUITE_P(Suites, OpensslInteropTest,
                         ::testing::Values("PSK-AES128-CBC-SHA256", "PSK-AES128-GCM-SHA256",
                                           "ECDHE-PSK-AES128-CBC-SHA256"),
                         [](const auto& info) {
                           std::string n = info.param;
                           for (char& c : n) if (c == '-') c = '_';
                           return n;
                         });

INSTANTIATE_TEST_SUITE_P(Suites, OpensslDtlsInteropTest,
                         ::testing::Values("PSK-AES128-CCM8", "PSK-AES128-GCM-SHA256",
                                           "ECDHE-PSK-AES128-CBC-SHA256"),
                         [](const auto& info) {
                           std::string n = info.param;
                           for (char& c : n) if (c == '-') c = '_';
                           return n;
                         });

}  // namespace
}  // namespace onem2m

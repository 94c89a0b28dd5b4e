// Interop: Debian's `openssl s_client` (TLS 1.2 PSK) as the Enrolee against the in-process MEF over
// a real PostgreSQL (ONEM2M_TEST_PG; skipped when unset, or when /usr/bin/openssl is missing). The
// KeID is computed from s_client's "Keying material:" (EXPORTER-oneM2M-Bootstrap, 48 bytes, no
// context) and must equal the keId in the MEF's JSON answer, whose row must be in the store.
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <memory>
#include <string>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/crypto/envelope.h"
#include "common/crypto/key_id.h"
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
  auto view = mef_->store->GetEnrolmentByKeId(expected_ke_id);
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

INSTANTIATE_TEST_SUITE_P(Suites, OpensslInteropTest,
                         ::testing::Values("PSK-AES128-CBC-SHA256", "PSK-AES128-GCM-SHA256",
                                           "ECDHE-PSK-AES128-CBC-SHA256"),
                         [](const auto& info) {
                           std::string n = info.param;
                           for (char& c : n) if (c == '-') c = '_';
                           return n;
                         });

}  // namespace
}  // namespace onem2m

// Interop: libcoap's `coap-client-openssl` (Debian libcoap3-bin) as the Enrolee against the REAL
// mef_server binary over DTLS-PSK, and the real maf_server over DTLS-PSK, both on PostgreSQL
// (fresh databases on the server named by ONEM2M_TEST_PG, dropped at the end; the test skips only
// when that variable is unset). Checks the TS-0008 V3.9 binding as a third-party client sees it:
//   - CON POST /enrolment with oneM2M-FR 279, oneM2M-RQI 283, oneM2M-RVI 271 (given with -O): the
//     answer is 2.01 with oneM2M-RSC (307) = 2001, oneM2M-RVI "3", the echoed RQI and a JSON body
//     with the keId (TS-0008 6.2.2.4, 6.3.1, table 6.2.4-1);
//   - the same as NON (-N): a NON answer (TS-0008 5.1, 6.3.1);
//   - the pre-V3.7 numbers (FR 256, RQI 257) get 4.02 from a default MEF and are served, answered
//     with RSC in 265, by a MEF started with --coap_legacy_option_numbers;
//   - a payload with Content-Format 41 (application/xml) gets 4.15 and RSC 4015.
// coap-client's -k takes the PSK as literal text, so the enrolees get printable Kpms. The MAF's
// PSK is Km, derived from the exported Ke: coap-client can neither export keying material nor take
// a binary key, so the MAF side uses the device library's DTLS session: a raw TS-0008 V3.9 NON
// datagram, then CON requests through enrolee::MafClient, to the real maf_server. The servers are
// started by Cluster (coap_interop_cluster.h).
#include <sys/stat.h>
#include <unistd.h>

#include <csignal>
#include <memory>
#include <pqxx/pqxx>
#include <string>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/coap/builders.h"
#include "common/coap/parser.h"
#include "common/coap/serializer.h"
#include "common/exchange/coap_adapter.h"
#include "common/exchange/maf_messages.h"
#include "common/exchange/rsc.h"
#include "common/secret_bytes.h"
#include "common/testing/status_matchers.h"
#include "common/testing/wait_for.h"
#include "common/tls/blocking_client.h"
#include "common/tls/psk_context.h"
#include "enrolee/bootstrap_client.h"
#include "enrolee/maf_client.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/e2e/process_runner.h"
#include "tests/interop/coap_interop_cluster.h"
namespace onem2m {
namespace {

using ::onem2m::testing::IsOk;

using interop::Cluster;
using interop::kMafFqdn;
using interop::kMefFqdn;
using interop::RandomAlnum;

constexpr char kCoapClient[] = "/usr/bin/coap-client-openssl";

const bool kSigpipeIgnored = [] {
  std::signal(SIGPIPE, SIG_IGN);
  return true;
}();

// Shown is how coap-client -v 7 prints an option it has no name for: "<number>:" then each value
// byte as \xHH (upper-case hex), e.g. Shown(271, "3") == "271:\x33".
std::string Shown(int number, const std::string& value) {
  std::string out = absl::StrCat(number, ":");
  for (char c : value) {
    out += absl::StrCat("\\x", absl::AsciiStrToUpper(absl::BytesToHexString(std::string(1, c))));
  }
  return out;
}

class CoapClientInteropTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    const char* pg = std::getenv("ONEM2M_TEST_PG");
    if (pg == nullptr || *pg == '\0') return;
    cluster_ = new Cluster();
    start_error_ = new std::string(cluster_->Start(pg));
  }
  static void TearDownTestSuite() {
    delete cluster_;
    cluster_ = nullptr;
    delete start_error_;
    start_error_ = nullptr;
  }
  void SetUp() override {
    const char* pg = std::getenv("ONEM2M_TEST_PG");
    if (pg == nullptr || *pg == '\0') GTEST_SKIP() << "ONEM2M_TEST_PG is unset";
    // The brief's tool, installed by deploy/local/install_deps.sh: a missing binary is a failure.
    ASSERT_EQ(access(kCoapClient, X_OK), 0) << kCoapClient << " missing (Debian libcoap3-bin)";
    ASSERT_NE(cluster_, nullptr);
    ASSERT_TRUE(start_error_->empty()) << *start_error_;
  }

  // Provision an enrolee with a printable 32-character Kpm (coap-client -k is literal text).
  void Provision(const std::string& kpm_id, std::string* kpm) {
    *kpm = RandomAlnum(32);
    const std::string file = cluster_->dir + "/" + kpm_id + ".kpm";
    ASSERT_THAT(e2e::WriteFileWithMode(file, *kpm, 0600), IsOk());
    e2e::CommandResult r =
        cluster_->Admin({"enrolee", "create", "--kpm-id=" + kpm_id, "--kpm-file=" + file,
                         "--enrolee-id=C-" + kpm_id, absl::StrCat("--maf-id=", kMafFqdn)});
    unlink(file.c_str());
    ASSERT_EQ(r.exit_code, 0) << r.output;
  }

  // CoapClient runs coap-client-openssl with debug output (-v 7 prints the answer's header and
  // options) and returns stdout+stderr.
  e2e::CommandResult CoapClient(int port, const std::string& kpm_id, const std::string& kpm,
                                std::vector<std::string> extra) {
    std::vector<std::string> argv = {kCoapClient, "-v", "7",    "-B", "5", "-m",
                                     "post",      "-u", kpm_id, "-k", kpm};
    argv.insert(argv.end(), extra.begin(), extra.end());
    argv.push_back(absl::StrCat("coaps://127.0.0.1:", port, "/enrolment"));
    return e2e::RunCommand(argv, cluster_->dir, absl::Seconds(30));
  }

  static Cluster* cluster_;
  static std::string* start_error_;
};

Cluster* CoapClientInteropTest::cluster_ = nullptr;
std::string* CoapClientInteropTest::start_error_ = nullptr;

const char kBody[] = R"({"enrolment":{"type":"maf"}})";

// TS-0008 V3.9 6.2.2.4 (FR 279, RQI 283, RVI 271), 6.3.1 and table 6.2.4-1 (2001 -> 2.01).
TEST_F(CoapClientInteropTest, ConfirmableEnrolmentWithV3_9Options) {
  std::string kpm;
  Provision("coap-con", &kpm);
  e2e::CommandResult r = CoapClient(
      cluster_->mef.dtls, "coap-con", kpm,
      {"-t", "50", "-O", "279,C-coap-con", "-O", "283,rq-con-1", "-O", "271,3", "-e", kBody});
  SCOPED_TRACE(r.output);
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_TRUE(absl::StrContains(r.output, "t:ACK c:2.01")) << "piggy-backed 2.01";
  // RSC 307 = 2001 (0x07D1), RVI 271 "3", RQI 283 echoed.
  EXPECT_TRUE(absl::StrContains(r.output, Shown(307, "\x07\xD1"))) << "oneM2M-RSC";
  EXPECT_TRUE(absl::StrContains(r.output, Shown(271, "3"))) << "oneM2M-RVI";
  EXPECT_TRUE(absl::StrContains(r.output, Shown(283, "rq-con-1"))) << "oneM2M-RQI";
  EXPECT_TRUE(absl::StrContains(r.output, "\"keId\":\"")) << "body";
  EXPECT_TRUE(absl::StrContains(r.output, "@mef.local\"")) << "KeID suffix";
}

// TS-0008 V3.9 5.1 and 6.3.1: a NON request is served and answered by a NON response.
TEST_F(CoapClientInteropTest, NonConfirmableEnrolmentGetsNonAnswer) {
  std::string kpm;
  Provision("coap-non", &kpm);
  e2e::CommandResult r = CoapClient(cluster_->mef.dtls, "coap-non", kpm,
                                    {"-N", "-t", "50", "-O", "283,rq-non-1", "-e", kBody});
  SCOPED_TRACE(r.output);
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_TRUE(absl::StrContains(r.output, "t:NON c:2.01"));
  EXPECT_TRUE(absl::StrContains(r.output, Shown(307, "\x07\xD1")));
  EXPECT_TRUE(absl::StrContains(r.output, "\"keId\":\""));
}

// Pre-V3.7 numbers: RQI 257 is an unknown critical option for a default MEF (4.02), and served by
// a MEF with --coap_legacy_option_numbers, which answers with RSC in 265.
TEST_F(CoapClientInteropTest, LegacyNumbersOnlyWithTheSwitch) {
  std::string kpm;
  Provision("coap-old", &kpm);
  const std::vector<std::string> old = {"-t", "50",           "-O", "256,C-coap-old",
                                        "-O", "257,rq-old-1", "-e", kBody};
  e2e::CommandResult refused = CoapClient(cluster_->mef.dtls, "coap-old", kpm, old);
  EXPECT_TRUE(absl::StrContains(refused.output, "c:4.02")) << refused.output;
  EXPECT_FALSE(absl::StrContains(refused.output, "\"keId\"")) << refused.output;

  e2e::CommandResult served = CoapClient(cluster_->legacy_mef.dtls, "coap-old", kpm, old);
  SCOPED_TRACE(served.output);
  EXPECT_EQ(served.exit_code, 0);
  EXPECT_TRUE(absl::StrContains(served.output, "t:ACK c:2.01"));
  EXPECT_TRUE(absl::StrContains(served.output, Shown(265, "\x07\xD1"))) << "RSC, old number";
  EXPECT_TRUE(absl::StrContains(served.output, Shown(257, "rq-old-1"))) << "RQI, old number";
  EXPECT_FALSE(absl::StrContains(served.output, "307:"));
  EXPECT_TRUE(absl::StrContains(served.output, "\"keId\":\""));
}

// TS-0008 V3.9 table 6.2.4-1: 4015 UNSUPPORTED_MEDIA_TYPE -> 4.15.
TEST_F(CoapClientInteropTest, XmlPayloadGets4_15) {
  std::string kpm;
  Provision("coap-xml", &kpm);
  e2e::CommandResult r = CoapClient(cluster_->mef.dtls, "coap-xml", kpm,
                                    {"-t", "41", "-O", "283,rq-xml-1", "-e", "<enrolment/>"});
  SCOPED_TRACE(r.output);
  EXPECT_TRUE(absl::StrContains(r.output, "c:4.15"));
  EXPECT_TRUE(absl::StrContains(r.output, Shown(307, "\x0F\xAF"))) << "RSC 4015";
}

// The real maf_server over DTLS-PSK (KeID, Km): client registration as a raw NON datagram
// (TS-0008 6.3.1), then a key registration as CON through the device library.
TEST_F(CoapClientInteropTest, MafOverDtlsAnswersNonWithV3_9Options) {
  std::string kpm;
  Provision("coap-maf", &kpm);
  enrolee::BootstrapOptions bo;
  bo.mef_host = "127.0.0.1";
  bo.mef_port = cluster_->mef.dtls;
  bo.mef_fqdn = kMefFqdn;
  bo.transport = tls::Transport::kDtls;
  bo.kpm_id = "coap-maf";
  bo.kpm = SecretBytes::Copy(kpm);
  bo.attempt_timeout = absl::Seconds(10);
  absl::StatusOr<enrolee::BootstrapResult> boot = enrolee::Bootstrap(bo);
  ASSERT_THAT(boot, IsOk());
  absl::StatusOr<enrolee::MafCredential> cred =
      enrolee::DeriveMafCredential(boot->ke, boot->maf_id, kMafFqdn);
  ASSERT_THAT(cred, IsOk());

  tls::ClientOptions co;
  co.transport = tls::Transport::kDtls;
  co.psk_identity = boot->ke_id;
  co.psk = SecretBytes::Copy(cred->km.Reveal());
  co.server_name = kMafFqdn;
  absl::StatusOr<std::shared_ptr<const tls::PskContext>> ctx = tls::PskContext::NewClient(co);
  ASSERT_THAT(ctx, IsOk());
  const absl::Time deadline = absl::Now() + absl::Seconds(15);
  absl::StatusOr<std::unique_ptr<tls::BlockingClient>> client =
      tls::BlockingClient::Connect(*ctx, "127.0.0.1", cluster_->maf.dtls, deadline);
  ASSERT_THAT(client, IsOk());

  exchange::Request reg;
  reg.path = "/maf/clients";
  reg.request_id = "rq-maf-non";
  reg.originator = "C-coap-maf";
  reg.content_type = std::string(exchange::kJsonMediaType);
  // Table 8.8.2.3-1: MAF-FQDN, expirationTime and adminFQDN are mandatory (the MAF's adminFQDN
  // defaults to its own FQDN).
  exchange::ClientRegistrationRequest reg_body;
  reg_body.maf_fqdn = kMafFqdn;
  reg_body.expiration_time = absl::Now() + absl::Hours(24);
  reg_body.admin_fqdn = kMafFqdn;
  absl::StatusOr<std::string> body = exchange::SerializeClientRegistrationRequest(reg_body);
  ASSERT_THAT(body, IsOk());
  reg.body = *body;
  absl::StatusOr<coap::CoapMessage> m = exchange::RequestToCoap(reg, 0x4242, "nonT");
  ASSERT_THAT(m, IsOk());
  m->type = coap::MessageType::kNonConfirmable;
  absl::StatusOr<std::string> bytes = coap::SerializeMessage(*m);
  ASSERT_THAT(bytes, IsOk());
  ASSERT_THAT((*client)->Write(*bytes, deadline), IsOk());
  absl::StatusOr<std::string> answer = (*client)->Read(4096, deadline);
  ASSERT_THAT(answer, IsOk());
  // Check the raw bytes too: the RSC option is 307 (delta from the previous option), read back by
  // a parser that does not know the legacy numbers.
  absl::StatusOr<coap::CoapMessage> out = coap::ParseDatagram(*answer);
  ASSERT_THAT(out, IsOk());
  EXPECT_EQ(out->type, coap::MessageType::kNonConfirmable);
  EXPECT_EQ(out->token, "nonT");
  EXPECT_EQ(out->onem2m_rvi, "3");
  EXPECT_EQ(out->onem2m_request_id, "rq-maf-non");
  absl::StatusOr<exchange::Response> resp = exchange::ResponseFromCoap(*out);
  ASSERT_THAT(resp, IsOk());
  EXPECT_EQ(resp->rsc, exchange::kRscCreated) << resp->body.dump();
  EXPECT_EQ(out->code, coap::kCodeCreated);
  (void)(*client)->Close(absl::Now() + absl::Seconds(1));

  enrolee::MafClientOptions mo;
  mo.maf_host = "127.0.0.1";
  mo.maf_port = cluster_->maf.dtls;
  mo.maf_fqdn = kMafFqdn;
  mo.transport = tls::Transport::kDtls;
  mo.psk_identity = cred->km_id;
  mo.psk = SecretBytes::Copy(cred->km.Reveal());
  mo.timeout = absl::Seconds(10);
  absl::StatusOr<std::unique_ptr<enrolee::MafClient>> c = enrolee::MafClient::Connect(mo);
  ASSERT_THAT(c, IsOk());
  auto key = (*c)->RegisterKey({"target.local"}, 32);
  ASSERT_THAT(key, IsOk());
  EXPECT_TRUE(absl::EndsWith(key->key_id, "@maf.local")) << key->key_id;
}

}  // namespace
}  // namespace onem2m

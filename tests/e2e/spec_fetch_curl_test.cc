// End-to-end interop test of the MEF's HTTPS credential fetch (TS-0003 8.3.2.1, "Use of Remotely
// Provisioned Credential"; docs/protocol.md 6) with curl as the Enrolment Target: the real
// mef_server (memory store, loopback ports), an enrolee provisioned through the admin gRPC API with
// a fetch grant, a real TLS-PSK bootstrap for Ke/KeID, then `curl --cert --key --cacert` (mutual
// TLS) RETRIEVEs of /fetchCredentials/<KeID>/<SUID>:
//   - the MAF's SUID 21 answer is Km = HMAC-SHA-256(Ke, 10.3.2 label || MAF-ID), derived here from
//     the Ke the enrolee exported;
//   - the 10.3.7 key comes back only for the allowed {target, SUID}; other SUIDs, other targets,
//     an originator unlike the certificate get 4103; an unknown KeID 4004; no certificate, no
//     answer; a revoked enrolee 4004; every attempt is audited with binding "https".
#include <sys/wait.h>
#include <unistd.h>

#include <map>
#include <string>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"
#include "common/crypto/key_derivation.h"
#include "common/crypto/key_id.h"
#include "common/secret_bytes.h"
#include "common/testing/status_matchers.h"
#include "common/testing/test_pki.h"
#include "common/testing/wait_for.h"
#include "enrolee/bootstrap_client.h"
#include "grpcpp/grpcpp.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "proto/onem2m/rsp/v1/mef_admin.grpc.pb.h"
#include "tests/e2e/process_runner.h"

namespace onem2m::e2e {
namespace {

using ::onem2m::testing::IsOk;

namespace v1 = ::onem2m::rsp::v1;

constexpr char kMefFqdn[] = "mef.local";
constexpr char kMaf[] = "maf.local";
constexpr char kCse[] = "cse.local";

// CurlPath finds the curl binary (deploy/local/install_deps.sh installs it); RunCommand execs an
// absolute path.
std::string CurlPath() {
  for (const char* p : {"/usr/bin/curl", "/usr/local/bin/curl", "/bin/curl"}) {
    if (access(p, X_OK) == 0) return p;
  }
  return "";
}

// CurlAnswer is one curl run: its exit code, HTTP status, headers (lower-case names) and body.
struct CurlAnswer {
  int exit_code = -1;
  int status = 0;
  std::map<std::string, std::string> headers;
  std::string body;
  std::string raw;
};

class SpecFetchCurlTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_FALSE(CurlPath().empty()) << "curl is required (deploy/local/install_deps.sh)";
    dir_ = NewTempDir("spec_fetch_curl");
    testing::TestPki pki = testing::TestPki::Create();
    ASSERT_THAT(WriteFileWithMode(dir_ + "/ca.crt", pki.ca_pem(), 0644), IsOk());
    for (const char* name : {kMefFqdn, "admin.local", kMaf, kCse, "other.local"}) {
      testing::TestPki::Leaf leaf = pki.Issue(name);
      ASSERT_THAT(WriteFileWithMode(dir_ + "/" + name + ".crt", leaf.cert_pem, 0644), IsOk());
      ASSERT_THAT(WriteFileWithMode(dir_ + "/" + name + ".key", leaf.key_pem, 0600), IsOk());
    }
    ASSERT_THAT(WriteFileWithMode(dir_ + "/mef.kek", "1:" + std::string(64, 'b') + "\n", 0600),
                IsOk());
    // Ports are picked then bound by the child: retry a start that lost a race.
    for (int attempt = 0; attempt < 3 && !ready_; ++attempt) Start(attempt);
    ASSERT_TRUE(ready_) << ReadFileOrEmpty(log_);
  }

  void Start(int attempt) {
    tls_ = PickFreePort();
    admin_ = PickFreePort();
    ops_ = PickFreePort();
    fetch_ = PickFreePort();
    log_ = absl::StrCat(dir_, "/mef.", attempt, ".log");
    audit_ = absl::StrCat(dir_, "/mef.", attempt, ".audit");
    mef_ = std::make_unique<ChildProcess>();
    ASSERT_TRUE(mef_->Start({RunfilePath("services/mef/mef_server"),
                             absl::StrCat("--mef_fqdn=", kMefFqdn), "--store=memory",
                             "--kek_file=" + dir_ + "/mef.kek",
                             absl::StrCat("--tls_listen=127.0.0.1:", tls_), "--dtls_listen=",
                             "--credential_grpc_listen=",
                             absl::StrCat("--admin_grpc_listen=127.0.0.1:", admin_),
                             absl::StrCat("--fetch_https_listen=127.0.0.1:", fetch_),
                             absl::StrCat("--ops_listen=127.0.0.1:", ops_),
                             "--tls_cert=" + dir_ + "/mef.local.crt",
                             "--tls_key=" + dir_ + "/mef.local.key", "--tls_ca=" + dir_ + "/ca.crt",
                             "--admin_identities=admin.local", "--grace_period=1s",
                             "--audit_log=" + audit_},
                            log_ + ".out", log_)
                    .ok());
    (void)::onem2m::testing::WaitFor(
        [&] {
          if (!mef_->Running()) return true;
          absl::StatusOr<int> code = HttpGetStatus(ops_, "/readyz", absl::Seconds(1));
          ready_ = code.ok() && *code == 200 &&
                   absl::StrContains(ReadFileOrEmpty(log_), "mef_started");
          return ready_;
        },
        absl::Seconds(60), absl::Milliseconds(100));
  }

  void TearDown() override {
    if (mef_ == nullptr) return;
    const int status = mef_->Stop(absl::Seconds(10));
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << ReadFileOrEmpty(log_);
  }

  std::unique_ptr<v1::MefAdminService::Stub> Admin() {
    grpc::SslCredentialsOptions o;
    o.pem_root_certs = ReadFileOrEmpty(dir_ + "/ca.crt");
    o.pem_cert_chain = ReadFileOrEmpty(dir_ + "/admin.local.crt");
    o.pem_private_key = ReadFileOrEmpty(dir_ + "/admin.local.key");
    grpc::ChannelArguments args;
    args.SetSslTargetNameOverride(kMefFqdn);
    return v1::MefAdminService::NewStub(grpc::CreateCustomChannel(
        absl::StrCat("127.0.0.1:", admin_), grpc::SslCredentials(o), args));
  }

  // Curl RETRIEVEs `path` presenting `cert` (none when empty) with X-M2M-Origin `origin`.
  CurlAnswer Curl(const std::string& cert, const std::string& origin, const std::string& path) {
    std::vector<std::string> argv = {CurlPath(), "-sS", "-i", "--max-time", "20",
                                     "--cacert", dir_ + "/ca.crt",
                                     "--resolve", absl::StrCat(kMefFqdn, ":", fetch_, ":127.0.0.1"),
                                     "-H", "X-M2M-Origin: " + origin,
                                     "-H", "X-M2M-RI: ri-" + std::to_string(++ri_),
                                     "-H", "X-M2M-RVI: 3"};
    if (!cert.empty()) {
      argv.insert(argv.end(), {"--cert", dir_ + "/" + cert + ".crt", "--key",
                               dir_ + "/" + cert + ".key"});
    }
    argv.push_back(absl::StrCat("https://", kMefFqdn, ":", fetch_, path));
    CommandResult r = RunCommand(argv, dir_, absl::Seconds(30));
    CurlAnswer a;
    a.exit_code = r.exit_code;
    a.raw = r.output;
    const size_t end = r.output.find("\r\n\r\n");
    if (r.exit_code != 0 || end == std::string::npos) return a;
    std::vector<std::string> lines = absl::StrSplit(r.output.substr(0, end), "\r\n");
    std::vector<std::string> status_line = absl::StrSplit(lines[0], ' ');
    if (status_line.size() >= 2) (void)absl::SimpleAtoi(status_line[1], &a.status);
    for (size_t i = 1; i < lines.size(); ++i) {
      const size_t colon = lines[i].find(':');
      if (colon == std::string::npos) continue;
      a.headers[absl::AsciiStrToLower(lines[i].substr(0, colon))] =
          std::string(absl::StripAsciiWhitespace(lines[i].substr(colon + 1)));
    }
    a.body = r.output.substr(end + 4);
    return a;
  }

  static SecretBytes Credential(const CurlAnswer& a) {
    nlohmann::json j = nlohmann::json::parse(a.body, nullptr, false);
    std::string raw;
    if (!j.is_object() || !j.contains("credential") ||
        !absl::Base64Unescape(j["credential"].get<std::string>(), &raw)) {
      return SecretBytes();
    }
    return SecretBytes::Copy(raw);
  }

  std::string dir_, log_, audit_;
  int tls_ = 0, admin_ = 0, ops_ = 0, fetch_ = 0, ri_ = 0;
  bool ready_ = false;
  std::unique_ptr<ChildProcess> mef_;
};

TEST_F(SpecFetchCurlTest, CurlFetchesKmAndOnlyAllowedUsageConstrainedKeys) {
  // Provision: enrolee for MAF maf.local, allowing cse.local the 10.3.7 key with SUID 42.
  SecretBytes kpm = SecretBytes::Random(32);
  v1::CreateEnroleeRequest create;
  create.mutable_spec()->set_kpm_id("dev-curl");
  create.mutable_spec()->set_enrolee_id("C-dev-curl");
  create.mutable_spec()->set_maf_id(kMaf);
  v1::FetchGrant* grant = create.mutable_spec()->add_fetch_grants();
  grant->set_target_id(kCse);
  grant->set_suid(42);
  create.set_kpm(std::string(kpm.Reveal()));
  {
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(20));
    v1::Enrolee created;
    grpc::Status s = Admin()->CreateEnrolee(&ctx, create, &created);
    ASSERT_TRUE(s.ok()) << s.error_message();
  }

  // Bootstrap for real: the enrolee's own Ke and KeID.
  enrolee::BootstrapOptions bo;
  bo.mef_host = "127.0.0.1";
  bo.mef_port = tls_;
  bo.mef_fqdn = kMefFqdn;
  bo.transport = tls::Transport::kTls;
  bo.kpm_id = "dev-curl";
  bo.kpm = SecretBytes::Copy(kpm.Reveal());
  bo.attempt_timeout = absl::Seconds(20);
  absl::StatusOr<enrolee::BootstrapResult> boot = enrolee::Bootstrap(bo);
  ASSERT_THAT(boot, IsOk());
  const std::string path21 = absl::StrCat("/fetchCredentials/", boot->ke_id, "/21");
  const std::string path42 = absl::StrCat("/fetchCredentials/", boot->ke_id, "/42");

  // The MAF, SUID 21: Km of 10.3.2, Table 8.3.2.1-5, RI echoed.
  CurlAnswer km = Curl(kMaf, kMaf, path21);
  ASSERT_EQ(km.exit_code, 0) << km.raw;
  EXPECT_EQ(km.status, 200) << km.raw;
  EXPECT_EQ(km.headers["x-m2m-rsc"], "2000");
  EXPECT_EQ(km.headers["x-m2m-ri"], absl::StrCat("ri-", ri_));
  absl::StatusOr<SecretBytes> want_km = crypto::DeriveKm(boot->ke, kMaf);
  ASSERT_THAT(want_km, IsOk());
  EXPECT_TRUE(Credential(km).Equals(*want_km)) << km.body;
  nlohmann::json kmj = nlohmann::json::parse(km.body);
  EXPECT_EQ(kmj["status"], true);
  EXPECT_EQ(kmj["enroleeID"], "C-dev-curl");
  // TS-0004 m2m:timestamp: YYYYMMDDThhmmss, UTC, no zone.
  EXPECT_EQ(kmj["lifetime"].get<std::string>().size(), 15u) << kmj["lifetime"];
  EXPECT_EQ(kmj["lifetime"].get<std::string>().find('Z'), std::string::npos);

  // The allowed Enrolment Target and SUID: the 10.3.7 key, not Km.
  CurlAnswer uc = Curl(kCse, kCse, path42);
  ASSERT_EQ(uc.exit_code, 0) << uc.raw;
  EXPECT_EQ(uc.status, 200) << uc.raw;
  absl::StatusOr<SecretBytes> want_uc = crypto::DeriveUsageConstrainedKey(boot->ke, 42, kCse);
  ASSERT_THAT(want_uc, IsOk());
  EXPECT_TRUE(Credential(uc).Equals(*want_uc)) << uc.body;
  EXPECT_FALSE(Credential(uc).Equals(*want_km));

  // Refusals: not allowed SUID / target, SUID 21 from a non-MAF, originator not the certificate.
  struct Refusal {
    const char* cert;
    const char* origin;
    std::string path;
    const char* rsc;
    int http;
  };
  const std::string unknown =
      absl::StrCat("/fetchCredentials/", std::string(32, 'A'), "@", kMefFqdn, "/42");
  for (const Refusal& r : std::vector<Refusal>{
           {kCse, kCse, absl::StrCat("/fetchCredentials/", boot->ke_id, "/43"), "4103", 403},
           {"other.local", "other.local", path42, "4103", 403},
           {kCse, kCse, path21, "4103", 403},
           {kCse, kMaf, path21, "4103", 403},
           {kMaf, kMaf, path42, "4103", 403},
           {kCse, kCse, unknown, "4004", 404},
           {kCse, kCse, absl::StrCat("/fetchCredentials/", boot->ke_id, "/x"), "4000", 400},
       }) {
    SCOPED_TRACE(absl::StrCat(r.cert, " as ", r.origin, " ", r.path));
    CurlAnswer a = Curl(r.cert, r.origin, r.path);
    ASSERT_EQ(a.exit_code, 0) << a.raw;
    EXPECT_EQ(a.status, r.http) << a.raw;
    EXPECT_EQ(a.headers["x-m2m-rsc"], r.rsc) << a.raw;
    EXPECT_FALSE(Credential(a).size() > 0) << a.raw;
    EXPECT_EQ(nlohmann::json::parse(a.body, nullptr, false).value("status", true), false);
  }

  // Without a client certificate there is no TLS session, so no answer at all.
  CurlAnswer anon = Curl("", kCse, path42);
  EXPECT_NE(anon.exit_code, 0) << anon.raw;
  EXPECT_EQ(anon.status, 0);

  // Revocation reaches the HTTPS binding: a revoked enrolee's KeID is NOT_FOUND (4004).
  {
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(20));
    v1::RevokeEnroleeRequest revoke;
    revoke.set_kpm_id("dev-curl");
    revoke.set_reason("test");
    v1::Enrolee out;
    grpc::Status s = Admin()->RevokeEnrolee(&ctx, revoke, &out);
    ASSERT_TRUE(s.ok()) << s.error_message();
  }
  CurlAnswer revoked = Curl(kCse, kCse, path42);
  EXPECT_EQ(revoked.headers["x-m2m-rsc"], "4004") << revoked.raw;

  // Every attempt is audited as a credential fetch over https, and no key is in the audit.
  const std::string audit = ReadFileOrEmpty(audit_);
  EXPECT_NE(audit.find("\"binding\":\"https\""), std::string::npos) << audit;
  EXPECT_NE(audit.find("\"target\":\"other.local\""), std::string::npos) << audit;
  for (const SecretBytes* key : {&*want_km, &*want_uc}) {
    EXPECT_EQ(audit.find(absl::Base64Escape(key->Reveal())), std::string::npos);
    EXPECT_EQ(audit.find(crypto::HexUpper(key->Reveal())), std::string::npos);
  }
}

}  // namespace
}  // namespace onem2m::e2e

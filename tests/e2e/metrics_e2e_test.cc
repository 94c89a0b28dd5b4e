// End-to-end test with the real mef_server and maf_server binaries (PostgreSQL stores, one schema
// each; skipped without ONEM2M_TEST_PG) and one device's whole journey: every metric in
// the table of docs/operations.md ("Metrics and alerts") is exported on the services' /metrics, so
// the table cannot promise a series the binaries lack. It also checks that the table lists every
// onem2m_ and process_ series the binaries export (the table is the one list operators read), that
// each gRPC call is counted with a bounded method label, and that --version prints the build.
// Loopback only.
#include <grpcpp/grpcpp.h>

#include <fstream>
#include <regex>
#include <set>
#include <sstream>
#include <string>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "common/pg/test_schema.h"
#include "common/secret_bytes.h"
#include "enrolee/bootstrap_client.h"
#include "enrolee/maf_client.h"
#include "gtest/gtest.h"
#include "proto/grpc/health/v1/health.grpc.pb.h"
#include "proto/onem2m/rsp/v1/maf_admin.grpc.pb.h"
#include "proto/onem2m/rsp/v1/maf_keys.grpc.pb.h"
#include "proto/onem2m/rsp/v1/mef_admin.grpc.pb.h"
#include "proto/onem2m/rsp/v1/mef_credential.grpc.pb.h"
#include "tests/e2e/process_runner.h"
#include "tests/e2e/service_env.h"

namespace onem2m::e2e {
namespace {

grpc::ClientContext* WithDeadline(grpc::ClientContext* ctx) {
  ctx->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
  return ctx;
}

// DocumentedMetrics returns the first column of the metric table of docs/operations.md: the rows
// after the "Metrics (names and labels" paragraph up to the first line that is not a table row.
std::set<std::string> DocumentedMetrics() {
  std::ifstream in(RunfilePath("docs/operations.md"));
  std::stringstream ss;
  ss << in.rdbuf();
  std::set<std::string> out;
  bool in_section = false, in_table = false;
  for (absl::string_view line : absl::StrSplit(ss.str(), '\n')) {
    if (absl::StartsWith(line, "Metrics (names and labels")) in_section = true;
    if (!in_section) continue;
    if (absl::StartsWith(line, "|")) {
      in_table = true;
      std::vector<absl::string_view> cells = absl::StrSplit(line, '|');
      if (cells.size() > 2 && absl::StartsWith(cells[1], " `")) {
        absl::string_view name = cells[1];
        name.remove_prefix(2);
        out.insert(std::string(name.substr(0, name.find('`'))));
      }
    } else if (in_table) {
      break;
    }
  }
  return out;
}

// ExportedMetrics returns the family names of a /metrics page ("# TYPE <name> <type>" lines).
std::set<std::string> ExportedMetrics(const std::string& page) {
  std::set<std::string> out;
  for (absl::string_view line : absl::StrSplit(page, '\n')) {
    if (!absl::ConsumePrefix(&line, "# TYPE ")) continue;
    out.insert(std::string(line.substr(0, line.find(' '))));
  }
  return out;
}

void HealthCheck(const std::shared_ptr<grpc::Channel>& ch) {
  auto stub = grpc::health::v1::Health::NewStub(ch);
  grpc::ClientContext ctx;
  grpc::health::v1::HealthCheckRequest req;
  grpc::health::v1::HealthCheckResponse resp;
  EXPECT_TRUE(stub->Check(WithDeadline(&ctx), req, &resp).ok());
}

class MetricsE2eTest : public ::testing::Test {
 protected:
  void SetUp() override {
    // PostgreSQL stores, so the pool series exist as in production.
    if (!pg::TestSchema::Available()) GTEST_SKIP() << pg::TestSchema::SkipMessage();
    for (auto* schema : {&mef_schema_, &maf_schema_}) {
      auto s = pg::TestSchema::Create();
      ASSERT_TRUE(s.ok()) << s.status();
      *schema = *std::move(s);
    }
    env_ = ServiceEnv::Create("metrics_e2e");
    for (int attempt = 0; attempt < 3; ++attempt) {
      mef_ports_ = MefPorts::Pick();
      ASSERT_TRUE(mef_.Start(env_.MefArgv(mef_ports_, StoreFlags(*mef_schema_)),
                             env_.dir + "/mef.out", MefLog())
                      .ok());
      if (WaitReady(mef_, mef_ports_.ops, MefLog(), "mef_started").ok()) break;
      mef_.Stop(absl::Seconds(5));  // a port race: try new ports
    }
    for (int attempt = 0; attempt < 3; ++attempt) {
      maf_ports_ = MafPorts::Pick();
      const std::string mef_endpoint =
          absl::StrCat(kEnvMefFqdn, "=", kEnvMefCertName, ":", mef_ports_.cred);
      ASSERT_TRUE(maf_.Start(env_.MafArgv(maf_ports_, mef_endpoint, StoreFlags(*maf_schema_)),
                             env_.dir + "/maf.out", MafLog())
                      .ok());
      if (WaitReady(maf_, maf_ports_.ops, MafLog(), "maf_started").ok()) break;
      maf_.Stop(absl::Seconds(5));
    }
    ASSERT_TRUE(mef_.Running()) << ReadFileOrEmpty(MefLog());
    ASSERT_TRUE(maf_.Running()) << ReadFileOrEmpty(MafLog());
  }

  static std::vector<std::string> StoreFlags(const pg::TestSchema& schema) {
    return {"--store=pg", "--pg_pool_size=2",
            absl::StrCat("--pg=", pg::TestSchema::ConnInfo(),
                         " options='-csearch_path=", schema.name(), "'")};
  }

  // Journey walks one device through docs/protocol.md: provisioned over the MEF admin API,
  // bootstrap over TLS-PSK (enrolment), first contact at the MAF with its KeID (the MAF fetches
  // Km from the MEF), client and key registration, and the Target's GetKey.
  void Journey() {
    const std::string kpm_id = "metrics-e2e-1";
    SecretBytes kpm = SecretBytes::Random(32);
    {
      auto admin = rsp::v1::MefAdminService::NewStub(env_.Channel(mef_ports_.admin, "admin"));
      grpc::ClientContext ctx;
      rsp::v1::CreateEnroleeRequest req;
      req.mutable_spec()->set_kpm_id(kpm_id);
      req.mutable_spec()->set_enrolee_id("C-" + kpm_id);
      req.mutable_spec()->set_maf_id(kEnvMafFqdn);
      req.set_kpm(std::string(kpm.Reveal()));
      rsp::v1::Enrolee out;
      grpc::Status st = admin->CreateEnrolee(WithDeadline(&ctx), req, &out);
      ASSERT_TRUE(st.ok()) << st.error_message();
    }
    enrolee::BootstrapOptions bo;
    bo.mef_host = "127.0.0.1";
    bo.mef_port = mef_ports_.tls;
    bo.mef_fqdn = kEnvMefFqdn;
    bo.kpm_id = kpm_id;
    bo.kpm = SecretBytes::Copy(kpm.Reveal());
    bo.attempt_timeout = absl::Seconds(10);
    absl::StatusOr<enrolee::BootstrapResult> boot = enrolee::Bootstrap(bo);
    ASSERT_TRUE(boot.ok()) << boot.status();
    auto cred = enrolee::DeriveMafCredential(boot->ke, boot->maf_id, kEnvMafFqdn);
    ASSERT_TRUE(cred.ok()) << cred.status();
    enrolee::MafClientOptions mo;
    mo.maf_host = "127.0.0.1";
    mo.maf_port = maf_ports_.tls;
    mo.maf_fqdn = kEnvMafFqdn;
    mo.psk_identity = boot->ke_id;
    mo.psk = SecretBytes::Copy(cred->km.Reveal());
    mo.timeout = absl::Seconds(10);
    auto client = enrolee::MafClient::Connect(mo);
    ASSERT_TRUE(client.ok()) << client.status();
    ASSERT_TRUE((*client)->RegisterClient(cred->km_id).ok());
    auto key = (*client)->RegisterKey({"target.local"}, 32);
    ASSERT_TRUE(key.ok()) << key.status();
    EXPECT_EQ(GetKey(key->key_id), grpc::StatusCode::OK);
  }

  grpc::StatusCode GetKey(const std::string& key_id) {
    auto stub =
        rsp::v1::MafKeyService::NewStub(env_.Channel(maf_ports_.key, "target", kEnvMafFqdn));
    grpc::ClientContext ctx;
    rsp::v1::GetKeyRequest req;
    req.set_key_id(key_id);
    rsp::v1::GetKeyResponse resp;
    return stub->GetKey(WithDeadline(&ctx), req, &resp).error_code();
  }

  // Traffic makes the device journey and one call of each failing kind: health checks on every
  // gRPC port, a GetKey for an unknown key, a FetchCredential for an unknown KeID, and a MAF
  // handshake with an unknown KeID (the MAF fetches it from the MEF and fails).
  void Traffic() {
    Journey();
    for (int port : {mef_ports_.cred, mef_ports_.admin}) HealthCheck(env_.Channel(port, "maf"));
    for (int port : {maf_ports_.key, maf_ports_.admin}) {
      HealthCheck(env_.Channel(port, "target", "maf.local"));
    }
    EXPECT_EQ(GetKey(absl::StrCat(std::string(32, 'B'), "@", kEnvMafFqdn)),
              grpc::StatusCode::NOT_FOUND);
    {
      auto stub = rsp::v1::MefCredentialService::NewStub(env_.Channel(mef_ports_.cred, "maf"));
      grpc::ClientContext ctx;
      rsp::v1::FetchCredentialRequest req;
      req.set_ke_id(absl::StrCat(std::string(32, 'a'), "@", kEnvMefFqdn));
      req.set_suid(21);
      rsp::v1::FetchCredentialResponse resp;
      EXPECT_EQ(stub->FetchCredential(WithDeadline(&ctx), req, &resp).error_code(),
                grpc::StatusCode::NOT_FOUND);
    }
    AttemptUnknownKeId(maf_ports_.tls);
  }

  std::string Scrape(int ops_port) { return HttpGet(ops_port, "/metrics", absl::Seconds(10)); }
  std::string MefLog() const { return env_.dir + "/mef.log"; }
  std::string MafLog() const { return env_.dir + "/maf.log"; }

  std::unique_ptr<pg::TestSchema> mef_schema_, maf_schema_;
  ServiceEnv env_;
  MefPorts mef_ports_;
  MafPorts maf_ports_;
  ChildProcess mef_, maf_;
};

TEST_F(MetricsE2eTest, EveryDocumentedMetricIsExportedAndEveryExportedOneIsDocumented) {
  Traffic();
  if (HasFatalFailure()) return;
  const std::string mef_page = Scrape(mef_ports_.ops);
  const std::string maf_page = Scrape(maf_ports_.ops);
  std::set<std::string> exported = ExportedMetrics(mef_page);
  for (const std::string& m : ExportedMetrics(maf_page)) exported.insert(m);
  const std::set<std::string> documented = DocumentedMetrics();
  ASSERT_GT(documented.size(), 20u) << "the table was not found in docs/operations.md";
  for (const std::string& m : documented) {
    EXPECT_TRUE(exported.count(m)) << m << " is in docs/operations.md but on neither /metrics";
  }
  for (const std::string& m : exported) {
    if (!absl::StartsWith(m, "onem2m_") && !absl::StartsWith(m, "process_")) continue;
    EXPECT_TRUE(documented.count(m)) << m << " is exported but not in docs/operations.md's table";
  }
}

// The admin view's last handshake comes from the running maf_server: the device's first contact
// (a completed handshake with Km) is noted and written to PostgreSQL within about a second, and
// counted as written.
TEST_F(MetricsE2eTest, TheAdminViewShowsTheDevicesLastHandshake) {
  Journey();
  if (HasFatalFailure()) return;
  auto admin =
      rsp::v1::MafAdminService::NewStub(env_.Channel(maf_ports_.admin, "admin", "maf.local"));
  rsp::v1::MafCredential seen;
  const absl::Time deadline = absl::Now() + absl::Seconds(15);
  while (absl::Now() < deadline) {
    grpc::ClientContext ctx;
    rsp::v1::ListCredentialsRequest req;
    rsp::v1::ListCredentialsResponse resp;
    grpc::Status st = admin->ListCredentials(WithDeadline(&ctx), req, &resp);
    ASSERT_TRUE(st.ok()) << st.error_message();
    ASSERT_EQ(resp.credentials_size(), 1);
    seen = resp.credentials(0);
    if (seen.has_last_handshake_time()) break;
    absl::SleepFor(absl::Milliseconds(100));
  }
  ASSERT_TRUE(seen.has_last_handshake_time()) << "no handshake noted in 15 s";
  EXPECT_EQ(seen.last_transport(), rsp::v1::TRANSPORT_TLS);
  const absl::Time at = absl::FromUnixSeconds(seen.last_handshake_time().seconds());
  EXPECT_LT(absl::AbsDuration(absl::Now() - at), absl::Minutes(1));
  EXPECT_TRUE(absl::StrContains(Scrape(maf_ports_.ops),
                                "onem2m_maf_handshake_notes_total{outcome=\"written\"} 1"));
}

TEST_F(MetricsE2eTest, GrpcCallsAreCountedPerServerAndMethod) {
  Traffic();
  if (HasFatalFailure()) return;
  const std::string mef_page = Scrape(mef_ports_.ops);
  const std::string maf_page = Scrape(maf_ports_.ops);
  EXPECT_TRUE(absl::StrContains(
      mef_page,
      "onem2m_grpc_server_handled_total{code=\"NOT_FOUND\",method=\"/"
      "onem2m.rsp.v1.MefCredentialService/FetchCredential\",server=\"credential\"}"))
      << mef_page;
  EXPECT_TRUE(absl::StrContains(mef_page,
                                "onem2m_grpc_server_handled_total{code=\"OK\",method=\"/"
                                "grpc.health.v1.Health/Check\",server=\"admin\"} 1"))
      << mef_page;
  EXPECT_TRUE(absl::StrContains(maf_page,
                                "onem2m_grpc_server_handled_total{code=\"NOT_FOUND\",method=\"/"
                                "onem2m.rsp.v1.MafKeyService/GetKey\",server=\"key\"} 1"))
      << maf_page;
  EXPECT_TRUE(
      absl::StrContains(maf_page, "onem2m_maf_key_retrievals_total{outcome=\"not_found\"} 1"))
      << maf_page;
  EXPECT_TRUE(absl::StrContains(maf_page, "onem2m_maf_key_retrievals_total{outcome=\"ok\"} 1"))
      << maf_page;
  EXPECT_TRUE(absl::StrContains(mef_page, "onem2m_build_info{commit=\""));
}

TEST(VersionFlagTest, BothServersPrintTheirBuild) {
  for (const char* binary : {"mef_server", "maf_server"}) {
    const std::string path =
        RunfilePath(absl::StrCat("services/", binary[1] == 'e' ? "mef" : "maf", "/", binary));
    FILE* p = popen((path + " --version").c_str(), "r");
    ASSERT_NE(p, nullptr);
    char buf[512] = {0};
    const size_t n = fread(buf, 1, sizeof(buf) - 1, p);
    EXPECT_EQ(pclose(p), 0) << binary;
    const std::string out(buf, n);
    // "<binary> <version> (commit <commit>)": "dev"/"unknown" unstamped, the build's when --stamp.
    EXPECT_TRUE(std::regex_match(out, std::regex(absl::StrCat(binary,
                                                              " [A-Za-z0-9._+-]+ \\(commit "
                                                              "[A-Za-z0-9._+-]+\\)\n"))))
        << out;
  }
}

}  // namespace
}  // namespace onem2m::e2e

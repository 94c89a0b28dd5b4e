// End-to-end test of KEKs in an HSM (common/crypto/pkcs11_kek_backend.h) with the REAL
// mef_server, maf_server, rsp_admin and pkcs11_kek_tool binaries and a private SoftHSM2 token
// (SOFTHSM2_CONF is inherited by the children):
//   1. pkcs11_kek_tool generates KEK v2 inside the token;
//   2. a MEF on the file keyring (v1, PostgreSQL store) provisions an enrolee, so its Kpm row is
//      sealed under file v1;
//   3. the MEF restarts with --kek_backend=pkcs11 --kek_active_version=2 (the file keyring still
//      given, to open old rows); `rsp_admin kek status` shows the v1 row, `kek rewrap` moves it to
//      token v2, status then shows no row under an old version;
//   4. a device bootstraps at the token-backed MEF (its Kpm opened through the token, its Ke
//      sealed under token v2), then contacts a MAF whose keyring is the token too: the MAF
//      fetches Km from the MEF, seals it under the token, and a KmID handshake follows.
// Needs ONEM2M_TEST_PG (skipped otherwise); fresh database, dropped at the end. Loopback only.
#include <unistd.h>

#include <memory>
#include <pqxx/pqxx>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/secret_bytes.h"
#include "common/testing/softhsm_token.h"
#include "enrolee/bootstrap_client.h"
#include "enrolee/maf_client.h"
#include "gtest/gtest.h"
#include "tests/e2e/process_runner.h"
#include "tests/e2e/service_env.h"

namespace onem2m::e2e {
namespace {

constexpr char kKpmId[] = "hsm-device-1";

// Database is a fresh MEF database on ONEM2M_TEST_PG, dropped when destroyed.
class Database {
 public:
  explicit Database(std::string admin) : admin_(std::move(admin)) {
    name_ = absl::StrCat("hsm_kek_e2e_", getpid());
    pqxx::connection c(admin_);
    pqxx::nontransaction tx(c);
    tx.exec("DROP DATABASE IF EXISTS " + name_ + " WITH (FORCE)");
    tx.exec("CREATE DATABASE " + name_);
  }
  ~Database() {
    try {
      pqxx::connection c(admin_);
      pqxx::nontransaction tx(c);
      tx.exec("DROP DATABASE IF EXISTS " + name_ + " WITH (FORCE)");
    } catch (const std::exception&) {
    }
  }
  std::string conninfo() const { return admin_ + " dbname=" + name_; }

 private:
  std::string admin_, name_;
};

class HsmKekE2eTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const char* pg = std::getenv("ONEM2M_TEST_PG");
    if (pg == nullptr || *pg == '\0') GTEST_SKIP() << "ONEM2M_TEST_PG not set";
    db_ = std::make_unique<Database>(pg);
    absl::StatusOr<testing::SoftHsmToken> token =
        testing::SoftHsmToken::Create(env_.dir + "/hsm", "onem2m-e2e", "4321");
    ASSERT_TRUE(token.ok()) << token.status();
    token_ = *std::move(token);
  }

  std::vector<std::string> TokenFlags() const {
    return {"--kek_backend=pkcs11", "--pkcs11_token_label=" + token_.label(),
            "--pkcs11_pin_file=" + token_.pin_file(),
            absl::StrCat("--pkcs11_module=", testing::kSoftHsmModule), "--pkcs11_sessions=2"};
  }

  CommandResult Admin(const MefPorts& mef, std::vector<std::string> args) const {
    std::vector<std::string> argv = {RunfilePath("services/admin/rsp_admin"),
                                     absl::StrCat("--mef=127.0.0.1:", mef.admin),
                                     absl::StrCat("--server_name=", kEnvMefCertName),
                                     "--tls_cert=" + env_.dir + "/admin.crt",
                                     "--tls_key=" + env_.dir + "/admin.key",
                                     "--tls_ca=" + env_.dir + "/ca.crt",
                                     "--timeout=20s"};
    argv.insert(argv.end(), args.begin(), args.end());
    return RunCommand(argv, env_.dir, absl::Seconds(30));
  }

  ServiceEnv env_ = ServiceEnv::Create("hsm_kek");
  std::unique_ptr<Database> db_;
  testing::SoftHsmToken token_;
};

TEST_F(HsmKekE2eTest, FileToTokenRewrapThenEnrolmentWithTokenBackedMefAndMaf) {
  // 1. KEK v2 generated inside the token by the tool.
  CommandResult gen = RunCommand(
      {RunfilePath("services/admin/pkcs11_kek_tool"), "generate", "--label=onem2m-kek-v2",
       "--pkcs11_token_label=" + token_.label(), "--pkcs11_pin_file=" + token_.pin_file()},
      env_.dir, absl::Seconds(30));
  ASSERT_EQ(gen.exit_code, 0) << gen.output;
  CommandResult list = RunCommand(
      {RunfilePath("services/admin/pkcs11_kek_tool"), "list",
       "--pkcs11_token_label=" + token_.label(), "--pkcs11_pin_file=" + token_.pin_file()},
      env_.dir, absl::Seconds(30));
  ASSERT_EQ(list.exit_code, 0) << list.output;
  EXPECT_TRUE(absl::StrContains(
      list.output, "onem2m-kek-v2 version=2 sensitive=yes extractable=no value_readable=no"))
      << list.output;

  // 2. File-keyring MEF provisions the enrolee (Kpm sealed under file v1).
  const MefPorts mef = MefPorts::Pick();
  const std::vector<std::string> pg = {"--store=pg", "--pg=" + db_->conninfo(), "--pg_pool_size=2"};
  const SecretBytes kpm = SecretBytes::Random(32);
  {
    ChildProcess p;
    ASSERT_TRUE(
        p.Start(env_.MefArgv(mef, pg), env_.dir + "/mef1.out", env_.dir + "/mef1.log").ok());
    ASSERT_TRUE(WaitReady(p, mef.ops, env_.dir + "/mef1.log", "mef_started").ok())
        << ReadFileOrEmpty(env_.dir + "/mef1.log");
    const std::string kpm_file = env_.dir + "/device.kpm";
    ASSERT_TRUE(WriteFileWithMode(kpm_file, std::string(kpm.Reveal()), 0600).ok());
    CommandResult r = Admin(
        mef, {"enrolee", "create", absl::StrCat("--kpm-id=", kKpmId), "--kpm-file=" + kpm_file,
              "--enrolee-id=C-hsm-1", absl::StrCat("--maf-id=", kEnvMafFqdn)});
    unlink(kpm_file.c_str());
    ASSERT_EQ(r.exit_code, 0) << r.output;
    p.Stop(absl::Seconds(5));
  }

  // 3. Token-backed MEF (file v1 still opens old rows), status and rewrap.
  std::vector<std::string> mef_flags = pg;
  for (const std::string& f : TokenFlags()) mef_flags.push_back(f);
  mef_flags.push_back("--kek_active_version=2");
  ChildProcess mef_p;
  ASSERT_TRUE(
      mef_p.Start(env_.MefArgv(mef, mef_flags), env_.dir + "/mef2.out", env_.dir + "/mef2.log")
          .ok());
  ASSERT_TRUE(WaitReady(mef_p, mef.ops, env_.dir + "/mef2.log", "mef_started").ok())
      << ReadFileOrEmpty(env_.dir + "/mef2.log");
  CommandResult before = Admin(mef, {"kek", "status"});
  ASSERT_EQ(before.exit_code, 0) << before.output;
  EXPECT_TRUE(absl::StrContains(before.output, "active_kek_version: 2")) << before.output;
  EXPECT_TRUE(absl::StrContains(before.output, "keyring_versions:   1 2")) << before.output;
  EXPECT_TRUE(absl::StrContains(before.output, "kek_version=1 rows=1")) << before.output;
  EXPECT_TRUE(absl::StrContains(before.output, "rows_under_old_versions: 1")) << before.output;
  CommandResult rewrap = Admin(mef, {"kek", "rewrap"});
  ASSERT_EQ(rewrap.exit_code, 0) << rewrap.output;
  CommandResult after = Admin(mef, {"kek", "status"});
  ASSERT_EQ(after.exit_code, 0) << after.output;
  EXPECT_TRUE(absl::StrContains(after.output, "kek_version=2 rows=1")) << after.output;
  EXPECT_TRUE(absl::StrContains(after.output, "rows_under_old_versions: 0")) << after.output;

  // 4. Token-backed MAF; a device bootstraps at the MEF and contacts the MAF.
  const MafPorts maf = MafPorts::Pick();
  std::vector<std::string> maf_flags = {"--store=memory"};
  for (const std::string& f : TokenFlags()) maf_flags.push_back(f);
  ChildProcess maf_p;
  ASSERT_TRUE(
      maf_p
          .Start(env_.MafArgv(maf, absl::StrCat(kEnvMefFqdn, "=", kEnvMefCertName, ":", mef.cred),
                              maf_flags),
                 env_.dir + "/maf.out", env_.dir + "/maf.log")
          .ok());
  ASSERT_TRUE(WaitReady(maf_p, maf.ops, env_.dir + "/maf.log", "maf_started").ok())
      << ReadFileOrEmpty(env_.dir + "/maf.log");
  EXPECT_TRUE(absl::StrContains(ReadFileOrEmpty(env_.dir + "/maf.log"), "pkcs11"));

  enrolee::BootstrapOptions o;
  o.mef_host = "127.0.0.1";
  o.mef_port = mef.tls;
  o.mef_fqdn = kEnvMefFqdn;
  o.transport = tls::Transport::kTls;
  o.kpm_id = kKpmId;
  o.kpm = SecretBytes::Copy(kpm.Reveal());
  o.attempt_timeout = absl::Seconds(10);
  absl::StatusOr<enrolee::BootstrapResult> boot = enrolee::Bootstrap(o);
  ASSERT_TRUE(boot.ok()) << boot.status() << ReadFileOrEmpty(env_.dir + "/mef2.log");
  EXPECT_EQ(boot->maf_id, kEnvMafFqdn);
  absl::StatusOr<enrolee::MafCredential> cred =
      enrolee::DeriveMafCredential(boot->ke, boot->maf_id, kEnvMafFqdn);
  ASSERT_TRUE(cred.ok()) << cred.status();

  enrolee::MafClientOptions m;
  m.maf_host = "127.0.0.1";
  m.maf_port = maf.tls;
  m.transport = tls::Transport::kTls;
  m.maf_fqdn = kEnvMafFqdn;
  m.psk_identity = boot->ke_id;
  m.psk = SecretBytes::Copy(cred->km.Reveal());
  m.timeout = absl::Seconds(10);
  auto first = enrolee::MafClient::Connect(m);  // the MAF fetches Km from the MEF
  ASSERT_TRUE(first.ok()) << first.status() << ReadFileOrEmpty(env_.dir + "/maf.log");
  auto reg = (*first)->RegisterClient(cred->km_id);
  ASSERT_TRUE(reg.ok()) << reg.status();
  EXPECT_EQ(reg->maf_client_id, "C-hsm-1");

  m.psk_identity = cred->km_id;  // the Km row the MAF sealed under its token KEK
  auto again = enrolee::MafClient::Connect(m);
  EXPECT_TRUE(again.ok()) << again.status() << ReadFileOrEmpty(env_.dir + "/maf.log");

  // The Ke row sealed at bootstrap is under token v2 as well.
  CommandResult final_status = Admin(mef, {"kek", "status"});
  EXPECT_TRUE(absl::StrContains(final_status.output, "rows_under_old_versions: 0"))
      << final_status.output;
}

}  // namespace
}  // namespace onem2m::e2e

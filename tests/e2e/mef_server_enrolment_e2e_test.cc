// End-to-end tests of the real mef_server binary: TS-0003 8.3.2.1's full enrolment exchange.
// mef_server runs with --store=pg on this test's schema (search_path in the conninfo) and the MAF
// URI flags; the enrolee is seeded through PgEnroleeStore with the same keyring; the device is the
// Enrolee library: Table 8.3.2.1-1 request, Table 8.3.2.1-3 answer, success message, end of the
// exchange; then the short form on the same binary. A bad MAF URI flag stops start-up.
#include <string>

#include "absl/strings/match.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "common/crypto/envelope.h"
#include "common/crypto/key_id.h"
#include "common/pg/test_schema.h"
#include "common/secret_bytes.h"
#include "common/testing/status_matchers.h"
#include "common/testing/wait_for.h"
#include "enrolee/bootstrap_client.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "mef/store/pg_enrolee_store.h"
#include "tests/e2e/process_runner.h"

namespace onem2m {
namespace {

using ::onem2m::testing::IsOk;

TEST(MefServerEnrolmentE2eTest, FullExchangeWithMafUriFlagsOverTlsAndDtls) {
  if (!pg::TestSchema::Available()) GTEST_SKIP() << pg::TestSchema::SkipMessage();
  auto schema = pg::TestSchema::Create();
  ASSERT_THAT(schema, IsOk());
  const std::string dir = e2e::NewTempDir("mef_enrolment");
  const std::string kek = "1:" + std::string(64, 'b') + "\n";
  ASSERT_THAT(e2e::WriteFileWithMode(dir + "/mef.kek", kek, 0600), IsOk());
  auto keyring = crypto::Keyring::Parse(kek);
  ASSERT_THAT(keyring, IsOk());
  crypto::Envelope envelope(*std::move(keyring));

  // Seed one enrolee without a maf_uri, so --default_maf_uri applies.
  mef::PgEnroleeStoreOptions po;
  po.pool = (*schema)->PoolOptionsFor();
  auto store = mef::PgEnroleeStore::Create(po);
  ASSERT_THAT(store, IsOk());
  SecretBytes kpm = SecretBytes::Random(32);
  mef::Enrolee e;
  e.kpm_id = "server-e2e-1";
  auto sealed = envelope.Seal(kpm, e.kpm_id);
  ASSERT_THAT(sealed, IsOk());
  e.kpm = mef::SealedKey{*sealed, 1};
  e.enrolee_id = "C-server-e2e-1";
  e.maf_id = "maf.local";
  ASSERT_THAT((*store)->CreateEnrolee(e), IsOk());

  const int tls_port = e2e::PickFreePort();
  const int dtls_port = e2e::PickFreePort(/*udp_too=*/true);
  const int ops = e2e::PickFreePort();
  e2e::ChildProcess mef;
  const std::string log = dir + "/mef.log";
  ASSERT_TRUE(
      mef.Start({e2e::RunfilePath("services/mef/mef_server"), "--mef_fqdn=mef.local", "--store=pg",
                 absl::StrCat("--pg=", pg::TestSchema::ConnInfo(),
                              " options='-csearch_path=", (*schema)->name(), "'"),
                 "--pg_pool_size=2", "--kek_file=" + dir + "/mef.kek",
                 absl::StrCat("--tls_listen=127.0.0.1:", tls_port),
                 absl::StrCat("--dtls_listen=127.0.0.1:", dtls_port), "--credential_grpc_listen=",
                 "--admin_grpc_listen=", absl::StrCat("--ops_listen=127.0.0.1:", ops),
                 "--grace_period=1s", "--default_maf_uri=https://maf.local:8443",
                 "--maf_key_retrieval_uri=https://gw.local/retrieve"},
                dir + "/mef.out", log)
          .ok());
  bool ready = false;
  (void)::onem2m::testing::WaitFor(
      [&] {
        if (!mef.Running()) return true;
        absl::StatusOr<int> code = e2e::HttpGetStatus(ops, "/readyz", absl::Seconds(1));
        ready = code.ok() && *code == 200;
        return ready;
      },
      absl::Seconds(30), absl::Milliseconds(50));
  ASSERT_TRUE(ready) << e2e::ReadFileOrEmpty(log);

  for (tls::Transport t : {tls::Transport::kTls, tls::Transport::kDtls}) {
    SCOPED_TRACE(tls::TransportName(t));
    enrolee::BootstrapOptions o;
    o.mef_host = "127.0.0.1";
    o.mef_port = t == tls::Transport::kTls ? tls_port : dtls_port;
    o.mef_fqdn = "mef.local";
    o.transport = t;
    o.kpm_id = e.kpm_id;
    o.kpm = kpm;
    o.enrolee_id = e.enrolee_id;
    o.attempt_timeout = absl::Seconds(10);
    o.full_form = true;
    auto x = enrolee::StartEnrolment(o);
    ASSERT_THAT(x, IsOk()) << x.status() << "\n" << e2e::ReadFileOrEmpty(log);
    const enrolee::BootstrapResult& r = (*x)->result();
    ASSERT_TRUE(r.maf_uris.has_value());
    EXPECT_EQ(r.maf_uris->client_registration, "https://maf.local:8443/maf/clients");
    EXPECT_EQ(r.maf_uris->key_registration, "https://maf.local:8443/maf/keys");
    EXPECT_EQ(r.maf_uris->key_retrieval, "https://gw.local/retrieve");
    EXPECT_EQ(r.maf_id, "maf.local");
    EXPECT_EQ(r.enrolee_id, e.enrolee_id);
    // Lifetime = the stored enrolment's expiry (TS-0003 10.7); the row is durable already.
    auto view = (*store)->GetEnrolmentByKeId(*crypto::KeyId::Parse(r.ke_id));
    ASSERT_THAT(view, IsOk());
    EXPECT_EQ(view->enrolment.expires_at, r.expires_at);
    absl::Status done = (*x)->ReportResult(true);
    EXPECT_THAT(done, IsOk());

    // The short form keeps working on the same binary.
    o.full_form = false;
    auto short_form = enrolee::Bootstrap(o);
    ASSERT_THAT(short_form, IsOk());
    EXPECT_FALSE(short_form->maf_uris.has_value());
    EXPECT_NE(short_form->ke_id, r.ke_id);
  }
  const int status = mef.Stop(absl::Seconds(10));
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << status;
}

TEST(MefServerEnrolmentE2eTest, BadMafUriFlagStopsStartUp) {
  const std::string dir = e2e::NewTempDir("mef_bad_uri");
  ASSERT_TRUE(
      e2e::WriteFileWithMode(dir + "/mef.kek", "1:" + std::string(64, 'c') + "\n", 0600).ok());
  e2e::CommandResult r = e2e::RunCommand(
      {e2e::RunfilePath("services/mef/mef_server"), "--mef_fqdn=mef.local", "--store=memory",
       "--kek_file=" + dir + "/mef.kek", "--tls_listen=127.0.0.1:0",
       "--dtls_listen=", "--credential_grpc_listen=", "--admin_grpc_listen=", "--ops_listen=",
       "--maf_key_registration_uri=not a uri"},
      dir, absl::Seconds(20));
  EXPECT_NE(r.exit_code, 0) << r.output;
  EXPECT_TRUE(absl::StrContains(r.output, "maf_key_registration_uri")) << r.output;
}

}  // namespace
}  // namespace onem2m

// End-to-end test with the real mef_server and maf_server binaries on PostgreSQL (ONEM2M_TEST_PG;
// skipped when unset) reached through a TcpProxy that plays the database's failures: stopped before
// start (connections refused), stopped during operation, and black-holed (a listener that accepts
// and never answers). In every case:
//   - /healthz answers 200 at once (liveness comes from the process alone), so Kubernetes never
//     restarts a pod for its database;
//   - /readyz answers at once too (a cached background check) with 503 and why;
//   - the process keeps running (start-up waits for PostgreSQL with backoff instead of exiting)
//     and becomes ready by itself once the database is back.
// Each test runs on a fresh database, dropped at the end. Loopback only.
#include <sys/wait.h>

#include <cstdlib>
#include <functional>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include <postgresql/libpq-fe.h>
#include <pqxx/pqxx>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/testing/status_matchers.h"
#include "common/testing/wait_for.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/e2e/process_runner.h"
#include "tests/e2e/service_env.h"
#include "tests/e2e/tcp_proxy.h"

namespace onem2m::e2e {
namespace {

using ::onem2m::testing::IsOk;

using Mode = TcpProxy::Mode;

// The host and port of a libpq keyword/value conninfo (parsed by libpq itself).
bool HostPort(const std::string& conninfo, std::string* host, int* port) {
  char* err = nullptr;
  PQconninfoOption* opts = PQconninfoParse(conninfo.c_str(), &err);
  if (opts == nullptr) {
    PQfreemem(err);
    return false;
  }
  *host = "127.0.0.1";
  *port = 5432;
  for (PQconninfoOption* o = opts; o->keyword != nullptr; ++o) {
    if (o->val == nullptr) continue;
    if (std::string(o->keyword) == "host") *host = o->val;
    if (std::string(o->keyword) == "port") *port = std::atoi(o->val);
  }
  PQconninfoFree(opts);
  return true;
}

struct Probe {
  std::string answer;
  absl::Duration took;
};

Probe Get(int port, const std::string& path) {
  absl::Time start = absl::Now();
  std::string answer = HttpGet(port, path, absl::Seconds(3));
  return {answer, absl::Now() - start};
}

class PgOutageTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const char* pg = std::getenv("ONEM2M_TEST_PG");
    if (pg == nullptr || *pg == '\0') GTEST_SKIP() << "ONEM2M_TEST_PG unset";
    admin_ = pg;
    std::string host;
    int port = 0;
    ASSERT_TRUE(HostPort(admin_, &host, &port));
    std::random_device rd;
    db_ = absl::StrCat("pg_outage_", getpid(), "_", rd() % 100000);
    pqxx::connection c(admin_);
    pqxx::nontransaction(c).exec("CREATE DATABASE " + db_);
    proxy_ = std::make_unique<TcpProxy>(host, port);
    env_ = ServiceEnv::Create("pg_outage");
  }

  void TearDown() override {
    if (db_.empty()) return;
    mef_.Stop(absl::Seconds(5));
    maf_.Stop(absl::Seconds(5));
    proxy_.reset();
    try {
      pqxx::connection c(admin_);
      pqxx::nontransaction(c).exec("DROP DATABASE IF EXISTS " + db_ + " WITH (FORCE)");
    } catch (const std::exception& e) {
      ADD_FAILURE() << e.what();
    }
  }

  // Through the proxy: a later host/port in a keyword/value conninfo wins.
  std::string Conninfo() const {
    return absl::StrCat(admin_, " dbname=", db_, " host=127.0.0.1 port=", proxy_->port());
  }

  void StartMef() {
    mef_ports_ = MefPorts::Pick();
    ASSERT_TRUE(mef_.Start(env_.MefArgv(mef_ports_, {"--store=pg", "--pg=" + Conninfo(),
                                                     "--pg_pool_size=2", "--pg_wait_max_backoff=1s"}),
                           env_.dir + "/mef.out", MefLog())
                    .ok());
  }

  void StartMaf() {
    maf_ports_ = MafPorts::Pick();
    ASSERT_TRUE(
        maf_.Start(env_.MafArgv(maf_ports_, absl::StrCat(kEnvMefFqdn, "=localhost:1"),
                                {"--store=pg", "--pg=" + Conninfo(), "--pg_pool_size=2",
                                 "--pg_wait_max_backoff=1s"}),
                   env_.dir + "/maf.out", MafLog())
            .ok());
  }

  std::string MefLog() const { return env_.dir + "/mef.log"; }
  std::string MafLog() const { return env_.dir + "/maf.log"; }

  // ExpectAliveNotReady checks, from the ops port's opening until `held` says the outage has
  // lasted long enough in the child's own terms (its retries, its failed checks), that the process
  // runs, /healthz answers 200 and /readyz answers 503 mentioning `why`, each within a second.
  void ExpectAliveNotReady(ChildProcess& p, int ops, const std::string& why,
                           const std::function<bool()>& held, const std::string& log) {
    (void)::onem2m::testing::WaitFor([&] { return !Get(ops, "/healthz").answer.empty(); },
                                     absl::Seconds(10), absl::Milliseconds(20));
    bool saw_why = false;
    const bool lasted = ::onem2m::testing::WaitFor(
        [&] {
          if (!p.Running()) return true;  // reported below
          Probe live = Get(ops, "/healthz");
          EXPECT_TRUE(absl::StrContains(live.answer, "200 OK")) << live.answer;
          EXPECT_LT(live.took, absl::Seconds(1));
          Probe ready = Get(ops, "/readyz");
          EXPECT_TRUE(absl::StrContains(ready.answer, "503")) << ready.answer;
          EXPECT_LT(ready.took, absl::Seconds(1));
          saw_why = saw_why || absl::StrContains(ready.answer, why);
          return held();
        },
        absl::Seconds(30), absl::Milliseconds(100));
    ASSERT_TRUE(p.Running()) << ReadFileOrEmpty(log);
    EXPECT_TRUE(lasted) << "the outage never showed in the child's retries or checks: "
                        << Get(ops, "/readyz").answer;
    EXPECT_TRUE(saw_why) << "/readyz never said '" << why << "': " << Get(ops, "/readyz").answer;
  }

  // Attempt is the start-up attempt /readyz names ("... (attempt 3 failed: ..." or "connecting to
  // PostgreSQL (attempt 3)"), 0 if none: from N on, N - 1 attempts have failed.
  static int Attempt(int ops) {
    const std::string r = Get(ops, "/readyz").answer;
    const size_t at = r.find("(attempt ");
    return at == std::string::npos ? 0 : std::atoi(r.c_str() + at + 9);
  }
  std::function<bool()> AttemptReached(int ops, int n) {
    return [ops, n] { return Attempt(ops) >= n; };
  }

  // FailedStoreChecks is onem2m_readiness_check_runs_total{check="store",result="failed"}.
  static double FailedStoreChecks(int ops) {
    const std::string series =
        "onem2m_readiness_check_runs_total{check=\"store\",result=\"failed\"} ";
    const std::string page = Get(ops, "/metrics").answer;
    const size_t at = page.find(series);
    return at == std::string::npos ? 0 : std::atof(page.c_str() + at + series.size());
  }
  // MoreFailedStoreChecks holds once the store check has failed `n` more times from now.
  std::function<bool()> MoreFailedStoreChecks(int ops, int n) {
    const double base = FailedStoreChecks(ops);
    return [ops, n, base] { return FailedStoreChecks(ops) >= base + n; };
  }

  // WaitNotReady waits until /readyz answers 503 mentioning `why`.
  void WaitNotReady(int ops, const std::string& why) {
    if (::onem2m::testing::WaitFor(
            [&] {
              std::string r = Get(ops, "/readyz").answer;
              return absl::StrContains(r, "503") && absl::StrContains(r, why);
            },
            absl::Seconds(15), absl::Milliseconds(100))) {
      return;
    }
    ADD_FAILURE() << "/readyz did not say '" << why << "': " << Get(ops, "/readyz").answer;
  }

  std::string admin_, db_;
  std::unique_ptr<TcpProxy> proxy_;
  ServiceEnv env_;
  MefPorts mef_ports_;
  MafPorts maf_ports_;
  ChildProcess mef_, maf_;
};

TEST_F(PgOutageTest, StoppedBeforeStartBothWaitThenBecomeReady) {
  proxy_->SetMode(Mode::kRefuse);
  StartMef();
  StartMaf();
  ExpectAliveNotReady(mef_, mef_ports_.ops, "waiting for PostgreSQL",
                      AttemptReached(mef_ports_.ops, 4), MefLog());
  ExpectAliveNotReady(maf_, maf_ports_.ops, "waiting for PostgreSQL",
                      AttemptReached(maf_ports_.ops, 2), MafLog());
  EXPECT_TRUE(absl::StrContains(ReadFileOrEmpty(MefLog()), "waiting_for_database"));
  proxy_->SetMode(Mode::kForward);
  absl::Status mef_ready = WaitReady(mef_, mef_ports_.ops, MefLog(), "mef_started");
  EXPECT_THAT(mef_ready, IsOk());
  absl::Status maf_ready = WaitReady(maf_, maf_ports_.ops, MafLog(), "maf_started");
  EXPECT_THAT(maf_ready, IsOk());
  EXPECT_TRUE(absl::StrContains(ReadFileOrEmpty(MefLog()), "database_ready"));
}

TEST_F(PgOutageTest, SigtermWhileWaitingExitsCleanly) {
  proxy_->SetMode(Mode::kRefuse);
  StartMef();
  ExpectAliveNotReady(mef_, mef_ports_.ops, "waiting for PostgreSQL",
                      AttemptReached(mef_ports_.ops, 3), MefLog());
  const int status = mef_.Stop(absl::Seconds(5));
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << status << ReadFileOrEmpty(MefLog());
}

TEST_F(PgOutageTest, StoppedDuringOperationNotReadyThenRecovers) {
  StartMef();
  ASSERT_THAT(WaitReady(mef_, mef_ports_.ops, MefLog(), "mef_started"), IsOk());
  proxy_->SetMode(Mode::kRefuse);
  WaitNotReady(mef_ports_.ops, "store:");
  ExpectAliveNotReady(mef_, mef_ports_.ops, "store:", MoreFailedStoreChecks(mef_ports_.ops, 3),
                      MefLog());
  proxy_->SetMode(Mode::kForward);
  EXPECT_THAT(WaitReady(mef_, mef_ports_.ops, MefLog(), "mef_started"), IsOk());
}

TEST_F(PgOutageTest, BlackHoledAtStartWaitsThenBecomesReady) {
  proxy_->SetMode(Mode::kBlackHole);
  StartMef();
  // libpq's connect_timeout (5 s) ends each attempt; meanwhile /readyz says it is connecting.
  ExpectAliveNotReady(mef_, mef_ports_.ops, "PostgreSQL", AttemptReached(mef_ports_.ops, 2),
                      MefLog());
  proxy_->SetMode(Mode::kForward);
  EXPECT_THAT(WaitReady(mef_, mef_ports_.ops, MefLog(), "mef_started"), IsOk());
}

TEST_F(PgOutageTest, BlackHoledDuringOperationProbesStayFastThenRecovers) {
  StartMef();
  ASSERT_THAT(WaitReady(mef_, mef_ports_.ops, MefLog(), "mef_started"), IsOk());
  proxy_->SetMode(Mode::kBlackHole);
  // The store check hangs on its query; readiness reports that after the check timeout.
  WaitNotReady(mef_ports_.ops, "store: no answer for");
  // Held once the hung check has gone unanswered for 3 s (or, should it return, failed 3 times).
  const std::function<bool()> failed_thrice = MoreFailedStoreChecks(mef_ports_.ops, 3);
  ExpectAliveNotReady(
      mef_, mef_ports_.ops, "store:",
      [&] {
        const std::string r = Get(mef_ports_.ops, "/readyz").answer;
        const size_t at = r.find("no answer for ");
        return (at != std::string::npos && std::atoi(r.c_str() + at + 14) >= 3) ||
               failed_thrice();
      },
      MefLog());
  proxy_->SetMode(Mode::kForward);  // the stalled connections break, the pool reconnects
  EXPECT_THAT(WaitReady(mef_, mef_ports_.ops, MefLog(), "mef_started"), IsOk());
  const int status = mef_.Stop(absl::Seconds(10));
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << status << ReadFileOrEmpty(MefLog());
}

}  // namespace
}  // namespace onem2m::e2e

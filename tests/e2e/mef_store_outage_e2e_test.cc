// End-to-end test of the MEF (in-process, mef_e2e_fixture.h) through a PostgreSQL outage on its
// own database: refused or read-only connections fail bootstraps clearly (never an answer without
// its durable row), and the MEF recovers by itself, without a restart, once the database is back.
#include <unistd.h>

#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "common/crypto/key_id.h"
#include "common/pg/test_schema.h"
#include "common/secret_bytes.h"
#include "common/testing/status_matchers.h"
#include "enrolee/bootstrap_client.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "pqxx/pqxx"
#include "tests/e2e/mef_e2e_fixture.h"

namespace onem2m {
namespace {

using e2e::MefE2eTest;
using e2e::Refused;
using e2e::StartMef;
using ::onem2m::testing::IsOk;
using ::testing::Not;

class MefOutageTest : public MefE2eTest {
 protected:
  void SetUp() override {
    if (!pg::TestSchema::Available()) GTEST_SKIP() << pg::TestSchema::SkipMessage();
    admin_ = std::make_unique<pqxx::connection>(pg::TestSchema::ConnInfo());
    db_ = absl::StrCat("e2e_outage_", getpid(), "_", absl::ToUnixMicros(absl::Now()) % 1000000);
    pqxx::nontransaction(*admin_).exec("CREATE DATABASE " + db_);
    pool_.conninfo = pg::TestSchema::ConnInfo() + " dbname=" + db_;  // last keyword wins
    pool_.application_name = "e2e-" + db_;
    mef_ = StartMef(pool_, &envelope_);
    ASSERT_NE(mef_, nullptr);
  }
  void TearDown() override {
    mef_.reset();
    if (admin_) {
      try {
        pqxx::nontransaction n(*admin_);
        n.exec("ALTER DATABASE " + db_ + " ALLOW_CONNECTIONS true");
        n.exec("DROP DATABASE IF EXISTS " + db_ + " WITH (FORCE)");
      } catch (const std::exception& e) {
        ADD_FAILURE() << e.what();
      }
    }
  }
  void Down() {
    pqxx::nontransaction n(*admin_);
    n.exec("ALTER DATABASE " + db_ + " ALLOW_CONNECTIONS false");
    n.exec("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = " +
           n.quote(db_));
  }
  void Up() {
    pqxx::nontransaction(*admin_).exec("ALTER DATABASE " + db_ + " ALLOW_CONNECTIONS true");
  }
  // ReadOnly makes new sessions read-only (as after a failover to a replica) and drops the old
  // ones.
  void ReadOnly(bool on) {
    pqxx::nontransaction n(*admin_);
    n.exec("ALTER DATABASE " + db_ + " SET default_transaction_read_only = " + (on ? "on" : "off"));
    n.exec("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = " +
           n.quote(db_));
  }
  int64_t EnrolmentRows() {
    pqxx::connection c(pool_.conninfo);
    pqxx::nontransaction n(c);
    return n.exec("SELECT count(*) FROM enrolments")[0][0].as<int64_t>();
  }

  std::unique_ptr<pqxx::connection> admin_;
  std::string db_;
};

TEST_F(MefOutageTest, OutageFailsClearlyAndRecoversWithoutRestart) {
  std::vector<std::pair<std::string, SecretBytes>> devs;
  for (int i = 0; i < 8; ++i) {
    std::string id = absl::StrCat("o-", i);
    devs.emplace_back(id, AddEnrolee(id));
  }
  auto r0 = enrolee::Bootstrap(Options(devs[0].first, devs[0].second, tls::Transport::kTls));
  ASSERT_THAT(r0, IsOk());
  const int64_t rows_before = EnrolmentRows();

  // 1. Database refuses all connections: handshakes fail (the PSK lookup cannot be made, so the
  //    server uses its dummy key) or the exchange answers 5103; never a success.
  Down();
  int refused = 0;
  for (int i = 1; i < 5; ++i) {
    const tls::Transport t = i % 2 ? tls::Transport::kDtls : tls::Transport::kTls;
    auto o = Options(devs[i].first, devs[i].second, t);
    o.attempt_timeout = absl::Seconds(5);
    auto r = enrolee::Bootstrap(o);
    EXPECT_THAT(r, Not(IsOk())) << "answered as done during an outage: " << r->ke_id;
    EXPECT_TRUE(Refused(r.status(), t) || r.status().code() == absl::StatusCode::kUnavailable)
        << r.status();
    if (!r.ok()) ++refused;
  }
  EXPECT_EQ(refused, 4);
  EXPECT_THAT(mef_->store->CheckHealth(), Not(IsOk()));
  Up();

  // 2. Reads work but writes fail (read-only database): the handshake succeeds, the enrolment is
  //    not stored and the Enrolee is told so (RSC 5103 -> kUnavailable), never 2001.
  ReadOnly(true);
  int unavailable = 0;
  for (int i = 1; i < 5; ++i) {
    const tls::Transport t = i % 2 ? tls::Transport::kDtls : tls::Transport::kTls;
    auto o = Options(devs[i].first, devs[i].second, t);
    o.attempt_timeout = absl::Seconds(5);
    auto r = enrolee::Bootstrap(o);
    EXPECT_THAT(r, Not(IsOk())) << "answered as done without its row: " << r->ke_id;
    if (r.status().code() == absl::StatusCode::kUnavailable) ++unavailable;
    // kUnauthenticated/kDeadlineExceeded: the handshake raced the reconnect (breaker open).
    EXPECT_TRUE(r.status().code() == absl::StatusCode::kUnavailable || Refused(r.status(), t))
        << r.status();
  }
  EXPECT_GE(unavailable, 1) << "no enrolment got the clear 'database unavailable' answer";
  ReadOnly(false);
  EXPECT_EQ(EnrolmentRows(), rows_before);

  // 3. Back: bootstrap succeeds again without restarting the MEF (after the resolver's breaker
  //    and the pool's reconnect; retry policy with real sleeps).
  enrolee::RetryPolicy rp;
  rp.max_attempts = 10;
  rp.initial_backoff = absl::Milliseconds(300);
  rp.max_backoff = absl::Seconds(2);
  for (int i = 5; i < 8; ++i) {
    auto r =
        enrolee::BootstrapWithRetry(Options(devs[i].first, devs[i].second,
                                            i % 2 ? tls::Transport::kDtls : tls::Transport::kTls),
                                    rp);
    ASSERT_THAT(r, IsOk());
    EXPECT_THAT(mef_->store->GetEnrolmentByKeId(*crypto::KeyId::Parse(r->ke_id)), IsOk());
  }
  EXPECT_EQ(EnrolmentRows(), rows_before + 3);
}

}  // namespace
}  // namespace onem2m

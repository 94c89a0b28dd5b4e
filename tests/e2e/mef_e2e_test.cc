// End-to-end tests of the MEF's bootstrap path against a real PostgreSQL (ONEM2M_TEST_PG; skipped
// when unset). The MEF runs in-process, wired exactly as services/mef/mef_server.cc wires it:
// PgEnroleeStore + KpmResolver + EnrolmentSessionFactory + PskServer on 127.0.0.1:0. Each test gets
// its own schema (pg::TestSchema); the outage test gets its own database.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/wait.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/match.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "common/crypto/envelope.h"
#include "common/crypto/key_id.h"
#include "common/pg/test_schema.h"
#include "common/psk_server/psk_server.h"
#include "common/secret_bytes.h"
#include "common/testing/status_matchers.h"
#include "common/testing/wait_for.h"
#include "common/tls/blocking_client.h"
#include "common/tls/psk_context.h"
#include "enrolee/bootstrap_client.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "mef/bootstrap/enrolment_session.h"
#include "mef/bootstrap/kpm_resolver.h"
#include "mef/store/pg_enrolee_store.h"
#include "tests/e2e/in_process_mef.h"
#include "tests/e2e/process_runner.h"
#include "pqxx/pqxx"

namespace onem2m {
namespace {

using ::onem2m::testing::IsOk;
using ::testing::Not;

using e2e::kFqdn;
using e2e::Mef;
using e2e::StartMef;

class MefE2eTest : public ::testing::Test {
 protected:
  MefE2eTest() : envelope_(crypto::Keyring::Generate(1)) {}

  void SetUp() override {
    if (!pg::TestSchema::Available()) GTEST_SKIP() << pg::TestSchema::SkipMessage();
    auto schema = pg::TestSchema::Create();
    ASSERT_THAT(schema, IsOk());
    schema_ = *std::move(schema);
    pool_ = schema_->PoolOptionsFor();
    pool_.application_name = "e2e-" + schema_->name();
    mef_ = StartMef(pool_, &envelope_);
    ASSERT_NE(mef_, nullptr);
  }

  void TearDown() override { mef_.reset(); }

  // AddEnrolee creates an enrolee through the store with its Kpm sealed (AAD = kpm_id).
  SecretBytes AddEnrolee(const std::string& kpm_id, mef::EnroleeState state = mef::EnroleeState::kActive,
                         std::optional<absl::Time> not_after = std::nullopt) {
    SecretBytes kpm = SecretBytes::Random(32);
    mef::Enrolee e;
    e.kpm_id = kpm_id;
    auto sealed = envelope_.Seal(kpm, kpm_id);
    EXPECT_THAT(sealed, IsOk());
    e.kpm = mef::SealedKey{*sealed, static_cast<int32_t>(envelope_.active_version())};
    e.enrolee_id = "C-" + kpm_id;
    e.maf_id = "maf.local";
    e.not_after = not_after;
    e.state = mef::EnroleeState::kActive;
    auto created = mef_->store->CreateEnrolee(e);
    EXPECT_THAT(created, IsOk());
    if (state != mef::EnroleeState::kActive) {
      EXPECT_THAT(mef_->store->SetState(kpm_id, state), IsOk());
    }
    return kpm;
  }

  enrolee::BootstrapOptions Options(const std::string& kpm_id, const SecretBytes& kpm,
                                    tls::Transport t) {
    enrolee::BootstrapOptions o;
    o.mef_host = "127.0.0.1";
    o.mef_port = t == tls::Transport::kTls ? mef_->tls_port : mef_->dtls_port;
    o.mef_fqdn = kFqdn;
    o.transport = t;
    o.kpm_id = kpm_id;
    o.kpm = SecretBytes::Copy(kpm.Reveal());
    o.attempt_timeout = absl::Seconds(15);
    return o;
  }

  // Handshake returns a client with an established TLS session.
  std::unique_ptr<tls::BlockingClient> Handshake(const std::string& kpm_id, const SecretBytes& kpm) {
    tls::ClientOptions co;
    co.transport = tls::Transport::kTls;
    co.psk_identity = kpm_id;
    co.psk = SecretBytes::Copy(kpm.Reveal());
    co.server_name = kFqdn;
    auto ctx = tls::PskContext::NewClient(co);
    EXPECT_THAT(ctx, IsOk());
    auto c = tls::BlockingClient::Connect(*ctx, "127.0.0.1", mef_->tls_port,
                                          absl::Now() + absl::Seconds(15));
    EXPECT_THAT(c, IsOk());
    return c.ok() ? *std::move(c) : nullptr;
  }

  // Exchange writes raw HTTP and reads until the headers and Content-Length body are in (or close).
  std::string Exchange(tls::BlockingClient& c, const std::string& raw) {
    absl::Time deadline = absl::Now() + absl::Seconds(15);
    absl::Status w = c.Write(raw, deadline);
    std::string got;
    while (absl::Now() < deadline) {
      auto r = c.Read(65536, deadline);
      if (!r.ok() || r->empty()) break;
      got += *r;
      size_t hdr_end = got.find("\r\n\r\n");
      if (hdr_end != std::string::npos) {
        size_t cl = got.find("Content-Length:");
        if (cl == std::string::npos) cl = got.find("content-length:");
        if (cl != std::string::npos && cl < hdr_end) {
          size_t len = std::strtoul(got.c_str() + cl + 15, nullptr, 10);
          if (got.size() >= hdr_end + 4 + len) break;
        } else {
          break;
        }
      }
    }
    if (!w.ok() && got.empty()) return "WRITE_FAILED: " + w.ToString();
    return got;
  }

  void ExpectServing() {
    SecretBytes kpm = AddEnrolee(absl::StrCat("alive-", ++alive_));
    auto r = enrolee::Bootstrap(Options(absl::StrCat("alive-", alive_), kpm, tls::Transport::kTls));
    EXPECT_THAT(r, IsOk());
  }

  crypto::Envelope envelope_;
  std::unique_ptr<pg::TestSchema> schema_;  // first: dropped after the MEF closes
  pg::PoolOptions pool_;
  std::unique_ptr<Mef> mef_;
  int alive_ = 0;
};

std::string HttpPost(const std::string& body, const std::string& ri = "ri-1") {
  return absl::StrCat("POST /enrolment HTTP/1.1\r\nHost: mef.local\r\nX-M2M-Origin: C-x\r\nX-M2M-RI: ", ri,
                      "\r\nContent-Type: application/json\r\nContent-Length: ", body.size(),
                      "\r\n\r\n", body);
}

// Refused reports whether `s` is how a refused handshake looks to the Enrolee: kUnauthenticated on
// both transports (over DTLS the server sends no alert; the client reports its unanswered Finished
// as a refused key).
bool Refused(const absl::Status& s, tls::Transport) {
  return s.code() == absl::StatusCode::kUnauthenticated;
}

std::string RscOf(const std::string& response) {
  size_t p = response.find("X-M2M-RSC: ");
  if (p == std::string::npos) p = response.find("x-m2m-rsc: ");
  if (p == std::string::npos) return "";
  return response.substr(p + 11, 4);
}

TEST_F(MefE2eTest, BootstrapOverTlsAndDtlsIsDurableWhenAnswered) {
  for (tls::Transport t : {tls::Transport::kTls, tls::Transport::kDtls}) {
    const std::string id = t == tls::Transport::kTls ? "dev-tls" : "dev-dtls";
    SecretBytes kpm = AddEnrolee(id);
    auto r = enrolee::Bootstrap(Options(id, kpm, t));
    ASSERT_THAT(r, IsOk());
    // bootstrap_client already checks the answer's KeID equals the locally exported one (else
    // kDataLoss); check its shape here.
    EXPECT_TRUE(absl::EndsWith(r->ke_id, std::string("@") + kFqdn)) << r->ke_id;
    EXPECT_EQ(r->ke_id.size(), 32 + 1 + strlen(kFqdn));
    EXPECT_EQ(r->ke.size(), 32u);
    EXPECT_EQ(r->enrolee_id, "C-" + id);
    EXPECT_EQ(r->maf_id, "maf.local");
    // The row must be there the moment the answer arrived.
    auto view = mef_->store->GetEnrolmentByKeId(*crypto::KeyId::Parse(r->ke_id));
    ASSERT_THAT(view, IsOk());
    EXPECT_EQ(view->enrolment.kpm_id, id);
    EXPECT_EQ(view->enrolment.transport,
              t == tls::Transport::kTls ? mef::Transport::kTls : mef::Transport::kDtls);
    // Ke at rest is sealed and opens (AAD = KeID) to the Ke the Enrolee derived.
    auto ke = envelope_.Open(view->enrolment.ke.ciphertext, r->ke_id);
    if (ke.ok()) {
      EXPECT_TRUE(ke->Equals(r->ke));
    }
  }
}

TEST_F(MefE2eTest, WrongKeyUnknownDisabledExpiredAllFailAlike) {
  SecretBytes good = AddEnrolee("good");
  AddEnrolee("disabled", mef::EnroleeState::kDisabled);
  SecretBytes expired_kpm = AddEnrolee("expired", mef::EnroleeState::kActive, absl::Now() - absl::Hours(1));
  SecretBytes disabled_kpm;  // irrelevant: any key
  for (tls::Transport t : {tls::Transport::kTls, tls::Transport::kDtls}) {
    struct Case {
      std::string id;
      SecretBytes key;
    };
    std::vector<Case> cases;
    cases.push_back({"good", SecretBytes::Random(32)});      // wrong key
    cases.push_back({"nobody", SecretBytes::Random(32)});    // unknown KpmID
    cases.push_back({"disabled", SecretBytes::Random(32)});  // disabled
    cases.push_back({"expired", SecretBytes::Copy(expired_kpm.Reveal())});  // right key, expired
    std::vector<absl::StatusCode> codes;
    for (const Case& c : cases) {
      auto o = Options(c.id, c.key, t);
      o.attempt_timeout = absl::Seconds(5);
      auto r = enrolee::Bootstrap(o);
      EXPECT_TRUE(Refused(r.status(), t)) << c.id << " over " << tls::TransportName(t) << ": " << r.status();
      codes.push_back(r.status().code());
    }
    for (absl::StatusCode code : codes) EXPECT_EQ(code, codes[0]) << "refusals differ";
  }
  // The disabled one with its right key fails too: re-key through the store to know it.
  SecretBytes k = SecretBytes::Random(32);
  auto sealed = envelope_.Seal(k, "disabled");
  ASSERT_THAT(sealed, IsOk());
  ASSERT_THAT(mef_->store->RotateKpm("disabled", mef::SealedKey{*sealed, 1}), IsOk());
  auto r = enrolee::Bootstrap(Options("disabled", k, tls::Transport::kTls));
  EXPECT_EQ(r.status().code(), absl::StatusCode::kUnauthenticated) << r.status();
  auto list = mef_->store->ListEnrolments(mef::ListEnrolmentsRequest{});
  ASSERT_THAT(list, IsOk());
  EXPECT_TRUE(list->enrolments.empty());
  // The good one still works.
  EXPECT_THAT(enrolee::Bootstrap(Options("good", good, tls::Transport::kDtls)), IsOk());
}

int ConnectTcp(int port) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
    close(fd);
    return -1;
  }
  return fd;
}

TEST_F(MefE2eTest, GarbageAndTruncatedHandshakesLeaveServerServing) {
  // Garbage over TCP.
  int fd = ConnectTcp(mef_->tls_port);
  ASSERT_GE(fd, 0);
  std::string garbage = "GET / HTTP/1.0\r\n\r\n\x01\x02\x03garbage-garbage-garbage";
  (void)!write(fd, garbage.data(), garbage.size());
  close(fd);
  // Half a ClientHello: a handshake record header announcing 512 bytes, then a few, then close.
  fd = ConnectTcp(mef_->tls_port);
  ASSERT_GE(fd, 0);
  const unsigned char half[] = {0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00, 0x01, 0xfc, 0x03, 0x03,
                                0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff, 0x00, 0x11, 0x22, 0x33};
  (void)!write(fd, half, sizeof half);
  close(fd);
  // Garbage datagrams over UDP.
  int ufd = socket(AF_INET, SOCK_DGRAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(mef_->dtls_port);
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  for (int i = 0; i < 20; ++i) {
    std::string d = i % 2 ? std::string(1, '\x16') + "\xfe\xfd garbage" : std::string(i * 50, 'x');
    sendto(ufd, d.data(), d.size(), 0, reinterpret_cast<sockaddr*>(&a), sizeof a);
    sendto(ufd, half, sizeof half, 0, reinterpret_cast<sockaddr*>(&a), sizeof a);
  }
  close(ufd);
  ExpectServing();
  SecretBytes kpm = AddEnrolee("after-garbage-dtls");
  EXPECT_THAT(enrolee::Bootstrap(Options("after-garbage-dtls", kpm, tls::Transport::kDtls)),
              IsOk());
}

TEST_F(MefE2eTest, MalformedOversizedAndUnsupportedRequests) {
  SecretBytes kpm = AddEnrolee("req");
  {
    auto c = Handshake("req", kpm);
    ASSERT_NE(c, nullptr);
    std::string resp = Exchange(*c, HttpPost("{\"enrolment\":{\"type\":"));
    EXPECT_EQ(RscOf(resp), "4000") << resp;
  }
  {
    auto c = Handshake("req", kpm);
    ASSERT_NE(c, nullptr);
    std::string resp = Exchange(*c, HttpPost("{\"enrolment\":{\"type\":\"certificate\"}}"));
    EXPECT_EQ(RscOf(resp), "5001") << resp;
  }
  {
    auto c = Handshake("req", kpm);
    ASSERT_NE(c, nullptr);
    std::string big = "{\"enrolment\":{\"type\":\"maf\",\"x\":\"" + std::string(100 * 1024, 'a') + "\"}}";
    std::string resp = Exchange(*c, HttpPost(big));
    // 413 (or the connection closed) -- never a success.
    EXPECT_FALSE(absl::StrContains(resp, "2001")) << resp.substr(0, 200);
    EXPECT_TRUE(absl::StartsWith(resp, "HTTP/1.1 413") || absl::StartsWith(resp, "WRITE_FAILED") ||
                resp.empty() || absl::StartsWith(resp, "HTTP/1.1 4"))
        << resp.substr(0, 200);
  }
  auto list = mef_->store->ListEnrolments(mef::ListEnrolmentsRequest{});
  ASSERT_THAT(list, IsOk());
  EXPECT_TRUE(list->enrolments.empty());
  ExpectServing();
}

TEST_F(MefE2eTest, SilentClientIsClosedAtHandshakeDeadline) {
  // Server handshake timeout is 3 s (StartMef).
  int fd = ConnectTcp(mef_->tls_port);
  ASSERT_GE(fd, 0);
  absl::Time start = absl::Now();
  pollfd p{fd, POLLIN, 0};
  int n = poll(&p, 1, 30000);
  absl::Duration waited = absl::Now() - start;
  ASSERT_EQ(n, 1) << "not closed within 30 s";
  char buf[16];
  ssize_t r = read(fd, buf, sizeof buf);
  EXPECT_LE(r, 0);  // EOF or reset
  EXPECT_GE(waited, absl::Seconds(2)) << waited;
  EXPECT_LE(waited, absl::Seconds(25)) << waited;
  close(fd);
  ExpectServing();
}

TEST_F(MefE2eTest, RestartKeepsEnrolments) {
  std::vector<std::string> ke_ids;
  for (int i = 0; i < 3; ++i) {
    std::string id = absl::StrCat("persist-", i);
    SecretBytes kpm = AddEnrolee(id);
    auto r = enrolee::Bootstrap(Options(id, kpm, i % 2 ? tls::Transport::kDtls : tls::Transport::kTls));
    ASSERT_THAT(r, IsOk());
    ke_ids.push_back(r->ke_id);
  }
  mef_.reset();
  mef_ = StartMef(pool_, &envelope_);
  ASSERT_NE(mef_, nullptr);
  for (const std::string& k : ke_ids) {
    auto v = mef_->store->GetEnrolmentByKeId(*crypto::KeyId::Parse(k));
    EXPECT_THAT(v, IsOk()) << k << ": " << v.status();
  }
  ExpectServing();
}

// --- database outage ---------------------------------------------------------------------------

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
    n.exec("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = " + n.quote(db_));
  }
  void Up() {
    pqxx::nontransaction(*admin_).exec("ALTER DATABASE " + db_ + " ALLOW_CONNECTIONS true");
  }
  // ReadOnly makes new sessions read-only (as after a failover to a replica) and drops the old ones.
  void ReadOnly(bool on) {
    pqxx::nontransaction n(*admin_);
    n.exec("ALTER DATABASE " + db_ + " SET default_transaction_read_only = " + (on ? "on" : "off"));
    n.exec("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = " + n.quote(db_));
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
    auto r = enrolee::BootstrapWithRetry(
        Options(devs[i].first, devs[i].second, i % 2 ? tls::Transport::kDtls : tls::Transport::kTls), rp);
    ASSERT_THAT(r, IsOk());
    EXPECT_THAT(mef_->store->GetEnrolmentByKeId(*crypto::KeyId::Parse(r->ke_id)), IsOk());
  }
  EXPECT_EQ(EnrolmentRows(), rows_before + 3);
}


// --- The real mef_server binary: TS-0003 8.3.2.1's full enrolment exchange ------------------------
// mef_server runs with --store=pg on this test's schema (search_path in the conninfo) and the MAF
// URI flags; the enrolee is seeded through PgEnroleeStore with the same keyring; the device is the
// Enrolee library: Table 8.3.2.1-1 request, Table 8.3.2.1-3 answer, success message, end of the
// exchange; then the short form on the same binary.
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
  ASSERT_TRUE(mef.Start({e2e::RunfilePath("services/mef/mef_server"), "--mef_fqdn=mef.local",
                         "--store=pg",
                         absl::StrCat("--pg=", pg::TestSchema::ConnInfo(),
                                      " options='-csearch_path=", (*schema)->name(), "'"),
                         "--pg_pool_size=2", "--kek_file=" + dir + "/mef.kek",
                         absl::StrCat("--tls_listen=127.0.0.1:", tls_port),
                         absl::StrCat("--dtls_listen=127.0.0.1:", dtls_port),
                         "--credential_grpc_listen=", "--admin_grpc_listen=",
                         absl::StrCat("--ops_listen=127.0.0.1:", ops), "--grace_period=1s",
                         "--default_maf_uri=https://maf.local:8443",
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
       "--kek_file=" + dir + "/mef.kek", "--tls_listen=127.0.0.1:0", "--dtls_listen=",
       "--credential_grpc_listen=", "--admin_grpc_listen=", "--ops_listen=",
       "--maf_key_registration_uri=not a uri"},
      dir, absl::Seconds(20));
  EXPECT_NE(r.exit_code, 0) << r.output;
  EXPECT_TRUE(absl::StrContains(r.output, "maf_key_registration_uri")) << r.output;
}

}  // namespace
}  // namespace onem2m

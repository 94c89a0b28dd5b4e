// End-to-end test with REAL PROCESSES: two mef_server replicas on one MEF database and two
// maf_server replicas on one MAF database (fresh databases per run on the PostgreSQL named by
// ONEM2M_TEST_PG, dropped at the end; skipped when unset). Devices use the device library
// in-process (enrolee::Bootstrap, enrolee::MafClient); enrolees are provisioned with the
// rsp_admin binary and revoked/disabled through MefAdminService over gRPC; backend Targets use
// MafKeyService over gRPC with mutual TLS. Loopback only; every wait has a deadline; every child
// is stopped (SIGTERM, then SIGKILL) by RAII even when an assertion fails.
//
// Certificates (common/testing/test_pki.h): MAF maf.local (= the enrolees' MAF-ID), admin
// admin.local, Target target.local, stranger.local. The MEF's gRPC certificate is issued for
// "localhost", not mef.local: maf_server dials --mef_endpoints=mef.local=host:port and verifies
// the MEF certificate against `host` (an entry may name another with "@tls_name",
// services/common/mef_endpoints.h), and TestPki issues one DNS name per certificate
// (deploy/local/make_certs.sh puts both mef.local and localhost in mef.crt for the same reason).
//
// --mef_endpoints maps each MEF-FQDN once (replicas would be joined with '|' into one balanced
// channel); here each MAF replica is pointed at ONE MEF replica: MAF 1 -> MEF 1, MAF 2 -> MEF 2.
#include <sys/socket.h>

#include "tests/e2e/replicas/fixture.h"

namespace onem2m::e2e::replicas {
namespace {

// ---------------------------------------------------------------------------------------------
// The shared cluster for most tests.
class ReplicasTest : public ReplicasTestBase {
 protected:
  static void SetUpTestSuite() {
    if (std::getenv("ONEM2M_TEST_PG") == nullptr || *std::getenv("ONEM2M_TEST_PG") == '\0') return;
    cluster_ = StartCluster(&start_error_).release();
  }
  static void TearDownTestSuite() {
    delete cluster_;
    cluster_ = nullptr;
  }
  void SetUp() override {
    if (std::getenv("ONEM2M_TEST_PG") == nullptr || *std::getenv("ONEM2M_TEST_PG") == '\0') {
      GTEST_SKIP() << "ONEM2M_TEST_PG is unset";
    }
    ASSERT_NE(cluster_, nullptr) << start_error_;
    for (int i = 0; i < 2; ++i) {
      ASSERT_TRUE(cluster_->mefs[i]->proc.Running()) << "MEF " << i + 1 << " died";
      ASSERT_TRUE(cluster_->mafs[i]->proc.Running()) << "MAF " << i + 1 << " died";
    }
  }
  Cluster& cluster() override { return *cluster_; }

  static Cluster* cluster_;
  static std::string start_error_;
};
Cluster* ReplicasTest::cluster_ = nullptr;
std::string ReplicasTest::start_error_;

TEST_F(ReplicasTest, BothReplicasOfEachServiceAreReadyOnSharedDatabases) {
  for (int i = 0; i < 2; ++i) {
    auto code = e2e::HttpGetStatus(cluster().mefs[i]->ops, "/readyz", absl::Seconds(2));
    ASSERT_TRUE(code.ok());
    EXPECT_EQ(*code, 200);
    code = e2e::HttpGetStatus(cluster().mafs[i]->ops, "/readyz", absl::Seconds(2));
    ASSERT_TRUE(code.ok());
    EXPECT_EQ(*code, 200);
  }
  // An enrolee created at replica 1 is visible at replica 2 (same database).
  Device d{"shared-visibility"};
  Provision(d, 0);
  auto admin = cluster().MefAdmin(1);
  grpc::ClientContext ctx;
  ctx.set_deadline(Deadline(absl::Seconds(10)));
  rsp::v1::GetEnroleeRequest req;
  req.set_kpm_id(d.kpm_id);
  rsp::v1::Enrolee e;
  grpc::Status st = admin->GetEnrolee(&ctx, req, &e);
  ASSERT_TRUE(st.ok()) << st.error_message();
  EXPECT_EQ(e.spec().enrolee_id(), "C-" + d.kpm_id);
}

TEST_F(ReplicasTest, BootstrapAtEitherMefKmIdAtEitherMafKeyFromBothMafs) {
  std::vector<Device> devs(4);
  for (int i = 0; i < 4; ++i) {
    devs[i].kpm_id = absl::StrCat("dev-flow-", i);
    Provision(devs[i], /*mef=*/0);
  }
  for (int i = 0; i < 4; ++i) {
    Device& d = devs[i];
    tls::Transport t = (i / 2) % 2 == 0 ? tls::Transport::kTls : tls::Transport::kDtls;
    Bootstrap(d, /*mef=*/i % 2, t);  // alternately MEF 1 and MEF 2; TLS and DTLS
    ASSERT_FALSE(HasFatalFailure());
    // First contact with KeID at MAF 1 (DTLS for odd devices).
    FirstContactAndRegisterKey(d, /*maf=*/0,
                               i % 2 == 0 ? tls::Transport::kTls : tls::Transport::kDtls);
    ASSERT_FALSE(HasFatalFailure());
    // Later contact with KmID at MAF 2: Km comes from the shared MAF database.
    for (tls::Transport kt : {tls::Transport::kTls, tls::Transport::kDtls}) {
      auto c = enrolee::MafClient::Connect(MafOptions(1, d.cred.km_id, d.cred.km, kt));
      ASSERT_TRUE(c.ok()) << "KmID at MAF 2 for " << d.kpm_id << ": " << c.status();
      auto reg = (*c)->RegisterClient(d.cred.km_id);
      ASSERT_TRUE(reg.ok()) << reg.status();
      EXPECT_EQ(reg->assigned_symm_key_id, d.cred.km_id);
    }
    // The backend Target retrieves the key from BOTH MAF replicas.
    for (int m = 0; m < 2; ++m) {
      rsp::v1::GetKeyResponse resp;
      grpc::Status st = GetKey(m, "target", d.key_id, &resp);
      ASSERT_TRUE(st.ok()) << "MAF " << m + 1 << ": " << st.error_message();
      EXPECT_EQ(resp.key(), std::string(d.kc.Reveal())) << "MAF " << m + 1;
      EXPECT_EQ(resp.suid(), 32u);
      EXPECT_EQ(resp.client_id(), "C-" + d.kpm_id);
    }
    // A Target whose identity is not in targetIDs is refused, at both replicas.
    for (int m = 0; m < 2; ++m) {
      rsp::v1::GetKeyResponse resp;
      grpc::Status st = GetKey(m, "stranger", d.key_id, &resp);
      EXPECT_EQ(st.error_code(), grpc::StatusCode::PERMISSION_DENIED)
          << "MAF " << m + 1 << ": " << st.error_message();
      EXPECT_TRUE(resp.key().empty());
    }
  }
}

TEST_F(ReplicasTest, RevocationAtMef2ReachesBothMafsWithinOneSecond) {
  Device d{"dev-revoke"};
  Provision(d, 0);
  Bootstrap(d, 0, tls::Transport::kTls);
  ASSERT_FALSE(HasFatalFailure());
  FirstContactAndRegisterKey(d, 0, tls::Transport::kTls);
  ASSERT_FALSE(HasFatalFailure());
  ASSERT_TRUE(KmIdHandshakeOk(0, d));
  ASSERT_TRUE(KmIdHandshakeOk(1, d));
  absl::Duration took = MeasurePropagation(d, /*mef=*/1, /*revoke=*/true);
  std::printf("REVOCATION propagation to both MAF replicas: %s\n",
              absl::FormatDuration(took).c_str());
  RecordProperty("revoke_propagation_ms", static_cast<int>(absl::ToInt64Milliseconds(took)));
  ASSERT_GE(took, absl::ZeroDuration()) << "never refused";
  EXPECT_LE(took, absl::Seconds(1));
  // A revoked enrolee cannot bootstrap again at either MEF.
  for (int m = 0; m < 2; ++m) {
    auto r = BootstrapAt(d, m, tls::Transport::kTls);
    EXPECT_FALSE(r.ok()) << "MEF " << m + 1;
  }
}

TEST_F(ReplicasTest, DisableAtMef2ReachesBothMafsWithinOneSecond) {
  Device d{"dev-disable"};
  Provision(d, 0);
  Bootstrap(d, 1, tls::Transport::kDtls);
  ASSERT_FALSE(HasFatalFailure());
  FirstContactAndRegisterKey(d, 1, tls::Transport::kTls);
  ASSERT_FALSE(HasFatalFailure());
  ASSERT_TRUE(KmIdHandshakeOk(0, d));
  ASSERT_TRUE(KmIdHandshakeOk(1, d));
  absl::Duration took = MeasurePropagation(d, /*mef=*/1, /*revoke=*/false);
  std::printf("DISABLE propagation to both MAF replicas: %s\n", absl::FormatDuration(took).c_str());
  RecordProperty("disable_propagation_ms", static_cast<int>(absl::ToInt64Milliseconds(took)));
  ASSERT_GE(took, absl::ZeroDuration()) << "never refused";
  EXPECT_LE(took, absl::Seconds(1));
  for (int m = 0; m < 2; ++m) {
    auto r = BootstrapAt(d, m, tls::Transport::kTls);
    EXPECT_FALSE(r.ok()) << "disabled enrolee bootstrapped at MEF " << m + 1;
  }
}

TEST_F(ReplicasTest, ExpiredEnroleeKmIdAndKeysStopWorking) {
  Device d{"dev-expiry"};
  Provision(d, 1, "3s");
  ASSERT_FALSE(HasFatalFailure());
  Bootstrap(d, 1, tls::Transport::kTls);
  ASSERT_FALSE(HasFatalFailure());
  absl::Duration left = d.boot.expires_at - absl::Now();
  EXPECT_LE(left, absl::Seconds(4)) << "lifetime not applied: expires " << d.boot.expires_at;
  FirstContactAndRegisterKey(d, 0, tls::Transport::kTls);
  ASSERT_FALSE(HasFatalFailure());
  ASSERT_TRUE(KmIdHandshakeOk(1, d));
  rsp::v1::GetKeyResponse resp;
  ASSERT_TRUE(GetKey(1, "target", d.key_id, &resp).ok());
  // The replica processes judge the expiry on their own wall clocks: wait until each refuses the
  // KmID, and check that this came with the expiry, not before it.
  for (int m = 0; m < 2; ++m) {
    EXPECT_TRUE(::onem2m::testing::WaitFor([&] { return !KmIdHandshakeOk(m, d); },
                                           d.boot.expires_at - absl::Now() + absl::Seconds(10),
                                           absl::Milliseconds(100)))
        << "MAF " << m + 1 << " accepted an expired KmID";
    EXPECT_GE(absl::Now(), d.boot.expires_at - absl::Seconds(1))
        << "MAF " << m + 1 << " refused the KmID before its expiry";
  }
  for (int m = 0; m < 2; ++m) {
    auto c = enrolee::MafClient::Connect(MafOptions(m, d.boot.ke_id, d.cred.km));
    EXPECT_FALSE(c.ok()) << "MAF " << m + 1 << " accepted an expired KeID";
    grpc::Status st = GetKey(m, "target", d.key_id, &resp);
    EXPECT_EQ(st.error_code(), grpc::StatusCode::NOT_FOUND)
        << "MAF " << m + 1 << " served a key past its client's expiry: " << st.error_message();
  }
  // Past expiry the Enrolee must bootstrap again, and that works.
  Bootstrap(d, 0, tls::Transport::kTls);
  ASSERT_FALSE(HasFatalFailure());
  FirstContactAndRegisterKey(d, 1, tls::Transport::kTls);
}

// Raw garbage to a TCP port and a UDP port.
void SendTcpGarbage(int port) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  ASSERT_GE(fd, 0);
  timeval tv{3, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = htons(static_cast<uint16_t>(port));
  ASSERT_EQ(connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof(a)), 0);
  std::string junk = "GET / HTTP/1.1\r\n\r\n" + std::string(2000, '\x16') + RandomHex(512);
  (void)send(fd, junk.data(), junk.size(), MSG_NOSIGNAL);
  char buf[256];
  // The server answers with an alert and/or closes; it must not hang us (SO_RCVTIMEO).
  while (recv(fd, buf, sizeof(buf), 0) > 0) {
  }
  close(fd);
}
void SendUdpGarbage(int port) {
  int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  ASSERT_GE(fd, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = htons(static_cast<uint16_t>(port));
  std::vector<std::string> junk = {std::string(1, '\x16'), std::string(13, '\x16'),
                                   "\x16\xfe\xfd" + std::string(60, '\xff'), RandomHex(700),
                                   std::string(1400, '\0')};
  for (const std::string& j : junk) {
    (void)sendto(fd, j.data(), j.size(), 0, reinterpret_cast<sockaddr*>(&a), sizeof(a));
  }
  close(fd);
}

TEST_F(ReplicasTest, MalformedRequestsOnEveryEndpoint) {
  // 1. Garbage over the TLS and DTLS ports of every replica; they keep serving.
  for (int i = 0; i < 2; ++i) {
    SendTcpGarbage(cluster().mefs[i]->tls);
    SendUdpGarbage(cluster().mefs[i]->dtls);
    SendTcpGarbage(cluster().mafs[i]->tls);
    SendUdpGarbage(cluster().mafs[i]->dtls);
  }
  Device d{"dev-malformed"};
  Provision(d, 0);
  for (int i = 0; i < 2; ++i) {
    for (tls::Transport t : {tls::Transport::kTls, tls::Transport::kDtls}) {
      auto r = BootstrapAt(d, i, t);
      ASSERT_TRUE(r.ok()) << "MEF " << i + 1 << " after garbage: " << r.status();
    }
  }
  Bootstrap(d, 0, tls::Transport::kTls);
  ASSERT_FALSE(HasFatalFailure());
  FirstContactAndRegisterKey(d, 0, tls::Transport::kTls);
  ASSERT_FALSE(HasFatalFailure());

  // 2. Malformed JSON to each MAF procedure path, at both replicas, over TLS and DTLS -> 4000.
  const std::vector<std::string> paths = {"/maf/clients", "/maf/keys", "/maf/keys/retrieve",
                                          "/maf/keys/update", "/maf/deregistration"};
  const std::vector<std::string> bodies = {"{not json", "[]", "{\"m2m:unknown\":1}"};
  for (int m = 0; m < 2; ++m) {
    for (tls::Transport t : {tls::Transport::kTls, tls::Transport::kDtls}) {
      auto c = enrolee::MafClient::Connect(MafOptions(m, d.cred.km_id, d.cred.km, t));
      ASSERT_TRUE(c.ok()) << c.status();
      for (const std::string& path : paths) {
        for (const std::string& body : bodies) {
          exchange::Request req;
          req.method = exchange::Method::kPost;
          req.path = path;
          req.body = body;
          auto resp = (*c)->Exchange(req);
          ASSERT_TRUE(resp.ok()) << "MAF " << m + 1 << " " << path << " " << body << ": "
                                 << resp.status();
          EXPECT_EQ(resp->rsc, exchange::kRscBadRequest)
              << "MAF " << m + 1 << (t == tls::Transport::kTls ? " TLS " : " DTLS ") << path
              << " body=" << body << " answer=" << resp->body.dump();
        }
      }
    }
  }

  // 3. Malformed JSON to the MEF enrolment path (a valid KpmID session) -> 4000.
  for (int i = 0; i < 2; ++i) {
    for (tls::Transport t : {tls::Transport::kTls, tls::Transport::kDtls}) {
      tls::ClientOptions co;
      co.transport = t;
      co.psk_identity = d.kpm_id;
      co.psk = SecretBytes::Copy(d.kpm.Reveal());
      co.server_name = kMefFqdn;
      auto ctx = tls::PskContext::NewClient(std::move(co));
      ASSERT_TRUE(ctx.ok()) << ctx.status();
      int port = t == tls::Transport::kTls ? cluster().mefs[i]->tls : cluster().mefs[i]->dtls;
      auto client = tls::BlockingClient::Connect(*ctx, "127.0.0.1", static_cast<uint16_t>(port),
                                                 absl::Now() + absl::Seconds(8));
      ASSERT_TRUE(client.ok()) << client.status();
      exchange::Request req;
      req.method = exchange::Method::kPost;
      req.path = "/enrolment";
      req.request_id = enrolee::NewRequestId();
      req.originator = "C-" + d.kpm_id;
      req.content_type = std::string(exchange::kJsonMediaType);
      req.body = "{\"enrolment\":";
      auto resp =
          enrolee::ExchangeOverSession(**client, t, req, kMefFqdn, absl::Now() + absl::Seconds(8));
      ASSERT_TRUE(resp.ok()) << resp.status();
      EXPECT_EQ(resp->rsc, exchange::kRscBadRequest) << "MEF " << i + 1 << " " << resp->body.dump();
    }
  }

  // 4. Malformed gRPC requests -> INVALID_ARGUMENT.
  for (int i = 0; i < 2; ++i) {
    auto stub = cluster().MefCredential(i, "maf");
    for (const std::string& bad : {std::string(""), std::string("not-a-keid"),
                                   std::string("ZZ@mef.local"), std::string(300, 'A')}) {
      grpc::ClientContext ctx;
      ctx.set_deadline(Deadline(absl::Seconds(10)));
      ctx.set_wait_for_ready(true);
      rsp::v1::FetchCredentialRequest req;
      req.set_ke_id(bad);
      req.set_suid(21);
      rsp::v1::FetchCredentialResponse resp;
      grpc::Status st = stub->FetchCredential(&ctx, req, &resp);
      EXPECT_EQ(st.error_code(), grpc::StatusCode::INVALID_ARGUMENT)
          << "MEF " << i + 1 << " FetchCredential(" << bad.substr(0, 20)
          << "): " << st.error_message();
      EXPECT_TRUE(resp.km().empty());
    }
  }
  for (int m = 0; m < 2; ++m) {
    for (const std::string& bad : {std::string(""), std::string("xyz"),
                                   std::string("0123456789ABCDEF0123456789ABCDEF@other.local"),
                                   std::string("GG23456789ABCDEF0123456789ABCDEF@maf.local")}) {
      rsp::v1::GetKeyResponse resp;
      grpc::Status st = GetKey(m, "target", bad, &resp);
      EXPECT_EQ(st.error_code(), grpc::StatusCode::INVALID_ARGUMENT)
          << "MAF " << m + 1 << " GetKey(" << bad << "): " << st.error_message();
    }
  }

  // Everything still alive and the device still served at both MAFs.
  for (int i = 0; i < 2; ++i) {
    EXPECT_TRUE(cluster().mefs[i]->proc.Running());
    EXPECT_TRUE(cluster().mafs[i]->proc.Running());
    EXPECT_TRUE(KmIdHandshakeOk(i, d));
  }
}

}  // namespace
}  // namespace onem2m::e2e::replicas

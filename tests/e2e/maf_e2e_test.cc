// End-to-end test of the MAF path (docs/protocol.md 5-7): in-process MEF over a real PostgreSQL
// (ONEM2M_TEST_PG; skipped when unset) with its credential gRPC service over mutual TLS, and an
// in-process MAF wired as services/maf/maf_server.cc wires it (MemoryMafStore, KmResolver with a
// MefCredentialClient whose client certificate names the MAF-ID, maf::HandshakeServer as the
// binary runs it). Loopback only; every call has a
// deadline.
#include <grpcpp/grpcpp.h>
#include <openssl/ssl.h>

#include <memory>
#include <string>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "common/crypto/envelope.h"
#include "common/crypto/key_id.h"
#include "common/pg/test_schema.h"
#include "common/secret_bytes.h"
#include "common/testing/mtls_env.h"
#include "common/testing/status_matchers.h"
#include "common/testing/wait_for.h"
#include "common/tls/psk_context.h"
#include "enrolee/bootstrap_client.h"
#include "enrolee/maf_client.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "maf/grpc/maf_admin_service.h"
#include "maf/grpc/maf_key_service.h"
#include "maf/km_resolver/km_resolver.h"
#include "maf/mef_client/mef_credential_client.h"
#include "maf/mef_client/revocation_events.h"
#include "maf/mef_client/revocation_watcher.h"
#include "maf/server/handshake_server.h"
#include "maf/store/memory_maf_store.h"
#include "maf/store/pg_maf_store.h"
#include "mef/credential/credential_service.h"
#include "mef/credential/envelope_ke_opener.h"
#include "proto/onem2m/rsp/v1/maf_admin.grpc.pb.h"
#include "proto/onem2m/rsp/v1/maf_keys.grpc.pb.h"
#include "tests/e2e/in_process_maf.h"
#include "tests/e2e/in_process_mef.h"

namespace onem2m {
namespace {

using ::onem2m::testing::IsOk;
using ::testing::Not;

constexpr char kMafFqdn[] = "maf.local";

struct Maf {
  std::unique_ptr<maf::MafStore> store;
  std::shared_ptr<maf::KmResolver> resolver;
  std::unique_ptr<maf::HandshakeServer> server;
  std::unique_ptr<maf::RevocationWatcher> watcher;
  int tls_port = 0;
  int dtls_port = 0;
  ~Maf() {
    if (watcher) watcher->Stop();
    if (server) server->Shutdown(absl::Seconds(1));
    server.reset();
    if (resolver) resolver->WaitIdle(absl::Now() + absl::Seconds(3));
  }
};

class MafE2eTest : public ::testing::Test {
 protected:
  MafE2eTest()
      : envelope_(crypto::Keyring::Generate(1)), maf_envelope_(crypto::Keyring::Generate(1)) {}

  void SetUp() override {
    if (!pg::TestSchema::Available()) GTEST_SKIP() << pg::TestSchema::SkipMessage();
    auto schema = pg::TestSchema::Create();
    ASSERT_THAT(schema, IsOk());
    schema_ = *std::move(schema);
    pool_ = schema_->PoolOptionsFor();
    mef_ = e2e::StartMef(pool_, &envelope_, absl::Seconds(3), 2, 4, absl::Seconds(10), Tls13());
    ASSERT_NE(mef_, nullptr);
    mtls_ = std::make_unique<::onem2m::testing::MtlsEnv>(::onem2m::testing::TempDir());
    opener_ = std::make_unique<mef::EnvelopeKeOpener>(&envelope_);
    StartGrpc(0);
    ASSERT_GT(grpc_port_, 0);
  }

  // Tls13 is the TLS 1.3 setting of the MEF's and the MAF's TLS ports (docs/protocol.md 2a).
  virtual tls::Tls13Options Tls13() const { return {}; }

  void TearDown() override {
    maf_.reset();
    StopGrpc();
    mef_.reset();
  }

  // StartGrpc starts the MEF's credential service on a new server, as a restarted MEF would.
  void StartGrpc(int port) {
    auto cred = mef::MefCredentialServiceImpl::Create(mef_->store.get(), opener_.get(), {});
    ASSERT_THAT(cred, IsOk());
    cred_ = *std::move(cred);
    grpc::ServerBuilder b;
    int chosen = 0;
    b.AddListeningPort(absl::StrCat("127.0.0.1:", port), mtls_->ServerCredentials(), &chosen);
    cred_->Register(&b);
    grpc_ = b.BuildAndStart();
    cred_->Start();
    if (grpc_ != nullptr) grpc_port_ = chosen;
  }
  void StopGrpc() {
    if (cred_) cred_->Shutdown();
    if (grpc_) grpc_->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(1));
    if (cred_) cred_->Stop();
    grpc_.reset();
    cred_.reset();  // after its server
  }

  std::unique_ptr<Maf> StartMaf(const std::string& cert_dns, bool pg_store = false,
                                bool watch = false) {
    auto m = std::make_unique<Maf>();
    if (pg_store) {
      auto schema = pg::TestSchema::Create();
      EXPECT_THAT(schema, IsOk());
      if (!schema.ok()) return nullptr;
      maf_schema_ = *std::move(schema);
      maf::PgMafStoreOptions po;
      po.pool = maf_schema_->PoolOptionsFor();
      po.pool.max_size = 4;
      auto store = maf::PgMafStore::Create(std::move(po));
      EXPECT_THAT(store, IsOk());
      if (!store.ok()) return nullptr;
      m->store = *std::move(store);
    } else {
      m->store = maf::MemoryMafStore::Create();
    }
    maf::KmResolverOptions ko;
    ko.maf_fqdn = kMafFqdn;
    ko.store = m->store.get();
    ko.envelope = &maf_envelope_;
    ko.default_timeout = absl::Seconds(2);
    ko.breaker_open_for = absl::Milliseconds(100);
    ko.negative_ttl = absl::Milliseconds(100);
    ko.fetchers[e2e::kFqdn] = std::make_shared<maf::MefCredentialClient>(
        mtls_->Channel(grpc_port_, cert_dns, maf::MefChannelArguments()), kMafFqdn);
    auto r = maf::KmResolver::Create(std::move(ko));
    EXPECT_THAT(r, IsOk());
    if (!r.ok()) return nullptr;
    m->resolver = *r;
    if (watch) {
      maf::RevocationWatcher::Options wo;
      std::shared_ptr<maf::KmResolver> res = m->resolver;
      wo.on_event = [res](const rsp::v1::RevocationEvent& e) {
        return maf::ApplyRevocationEvent(*res, e2e::kFqdn, e);
      };
      wo.on_resync = [res] { res->OnMefResync(e2e::kFqdn); };
      m->watcher = std::make_unique<maf::RevocationWatcher>(mtls_->Channel(grpc_port_, cert_dns),
                                                            std::move(wo));
      m->watcher->Start();
    }
    auto srv =
        e2e::StartLoopbackMaf(kMafFqdn, m->store.get(), &maf_envelope_, m->resolver, "", Tls13());
    EXPECT_THAT(srv, IsOk());
    if (!srv.ok()) return nullptr;
    m->server = *std::move(srv);
    m->tls_port = m->server->tls_addresses().at(0).port();
    m->dtls_port = m->server->dtls_addresses().at(0).port();
    return m;
  }

  SecretBytes AddEnrolee(const std::string& kpm_id) {
    SecretBytes kpm = SecretBytes::Random(32);
    mef::Enrolee e;
    e.kpm_id = kpm_id;
    auto sealed = envelope_.Seal(kpm, kpm_id);
    EXPECT_THAT(sealed, IsOk());
    e.kpm = mef::SealedKey{*sealed, static_cast<int32_t>(envelope_.active_version())};
    e.enrolee_id = "C-" + kpm_id;
    e.maf_id = kMafFqdn;
    EXPECT_THAT(mef_->store->CreateEnrolee(e), IsOk());
    return kpm;
  }

  enrolee::BootstrapResult Bootstrap(const std::string& kpm_id,
                                     const tls::Tls13Options& tls13 = {}) {
    SecretBytes kpm = AddEnrolee(kpm_id);
    enrolee::BootstrapOptions o;
    o.tls13 = tls13;
    o.mef_host = "127.0.0.1";
    o.mef_port = mef_->tls_port;
    o.mef_fqdn = e2e::kFqdn;
    o.kpm_id = kpm_id;
    o.kpm = std::move(kpm);
    o.attempt_timeout = absl::Seconds(10);
    auto r = enrolee::Bootstrap(o);
    EXPECT_THAT(r, IsOk());
    return r.ok() ? *std::move(r) : enrolee::BootstrapResult{};
  }

  // DeviceRetry is what a device does with a retryable refusal (the MAF's MEF not reachable yet).
  static enrolee::RetryPolicy DeviceRetry() {
    enrolee::RetryPolicy p;
    p.max_attempts = 8;
    p.initial_backoff = absl::Milliseconds(200);
    p.max_backoff = absl::Seconds(2);
    return p;
  }

  enrolee::MafClientOptions MafOptions(const std::string& identity, const SecretBytes& km,
                                       tls::Transport t = tls::Transport::kTls) {
    enrolee::MafClientOptions o;
    o.maf_host = "127.0.0.1";
    o.transport = t;
    o.maf_port = t == tls::Transport::kTls ? maf_->tls_port : maf_->dtls_port;
    o.maf_fqdn = kMafFqdn;
    o.psk_identity = identity;
    o.psk = SecretBytes::Copy(km.Reveal());
    o.timeout = absl::Seconds(8);
    return o;
  }

  crypto::Envelope envelope_;
  crypto::Envelope maf_envelope_;
  std::unique_ptr<pg::TestSchema> schema_;
  std::unique_ptr<pg::TestSchema> maf_schema_;
  pg::PoolOptions pool_;
  std::unique_ptr<e2e::Mef> mef_;
  std::unique_ptr<::onem2m::testing::MtlsEnv> mtls_;
  std::unique_ptr<mef::EnvelopeKeOpener> opener_;
  std::unique_ptr<mef::MefCredentialServiceImpl> cred_;
  std::unique_ptr<grpc::Server> grpc_;
  int grpc_port_ = 0;
  std::unique_ptr<Maf> maf_;
};

// PgMafStore at the MAF, DTLS transport, and a revocation at the MEF reaching the MAF through
// WatchRevocations: the KmID that worked before is refused afterwards.
TEST_F(MafE2eTest, PgStoreDtlsAndRevocationReachesMaf) {
  maf_ = StartMaf(kMafFqdn, /*pg_store=*/true, /*watch=*/true);
  ASSERT_NE(maf_, nullptr);
  enrolee::BootstrapResult dev = Bootstrap("dev-5");
  auto cred = enrolee::DeriveMafCredential(dev.ke, dev.maf_id, kMafFqdn);
  ASSERT_THAT(cred, IsOk());
  {
    auto c = enrolee::MafClient::ConnectWithRetry(
        MafOptions(dev.ke_id, cred->km, tls::Transport::kDtls), DeviceRetry());
    ASSERT_THAT(c, IsOk());
    auto reg = (*c)->RegisterClient(cred->km_id);
    ASSERT_THAT(reg, IsOk());
    EXPECT_EQ(reg->assigned_symm_key_id, cred->km_id);
    auto key = (*c)->RegisterKey({"backend.local"}, 32);
    ASSERT_THAT(key, IsOk());
  }
  {
    auto c = enrolee::MafClient::Connect(MafOptions(cred->km_id, cred->km));
    ASSERT_THAT(c, IsOk());
  }
  ASSERT_THAT(mef_->store->SetState("dev-5", mef::EnroleeState::kRevoked), IsOk());
  EXPECT_TRUE(::onem2m::testing::WaitFor(
      [&] { return !enrolee::MafClient::Connect(MafOptions(cred->km_id, cred->km)).ok(); },
      absl::Seconds(15), absl::Milliseconds(200)));
}

// TLS 1.3 with the RFC 9258 importer at both the MEF and the MAF (docs/protocol.md 2a): a device
// enrols over TLS 1.3 and makes its MAF first contact (KeID, Km fetched from the MEF) and a later
// KmID contact over TLS 1.3; a TLS 1.2 device uses the same ports.
class MafTls13E2eTest : public MafE2eTest {
 protected:
  tls::Tls13Options Tls13() const override {
    tls::Tls13Options o;
    o.enabled = true;
    o.importer = tls::Tls13Importer::kBoth;
    return o;
  }
};

TEST_F(MafTls13E2eTest, EnrolmentAndMafFirstContactOverTls13WithImporter) {
  maf_ = StartMaf(kMafFqdn);
  ASSERT_NE(maf_, nullptr);
  tls::Tls13Options device;
  device.enabled = true;
  device.importer = tls::Tls13Importer::kOn;
  enrolee::BootstrapResult dev = Bootstrap("dev-13", device);
  ASSERT_FALSE(dev.ke_id.empty());
  EXPECT_EQ(dev.cipher, "TLS_AES_128_GCM_SHA256");
  auto cred = enrolee::DeriveMafCredential(dev.ke, dev.maf_id, kMafFqdn);
  ASSERT_THAT(cred, IsOk());
  {
    enrolee::MafClientOptions o = MafOptions(dev.ke_id, cred->km);
    o.tls13 = device;
    auto c = enrolee::MafClient::ConnectWithRetry(o, DeviceRetry());
    ASSERT_THAT(c, IsOk());
    EXPECT_EQ((*c)->session().protocol_version(), TLS1_3_VERSION);
    auto reg = (*c)->RegisterClient(cred->km_id);
    ASSERT_THAT(reg, IsOk());
    EXPECT_EQ(reg->assigned_symm_key_id, cred->km_id);
  }
  {
    enrolee::MafClientOptions o = MafOptions(cred->km_id, cred->km);
    o.tls13 = device;
    auto c = enrolee::MafClient::Connect(o);
    ASSERT_THAT(c, IsOk());
    EXPECT_EQ((*c)->session().protocol_version(), TLS1_3_VERSION);
  }
  // A TLS 1.2 device on the same ports.
  enrolee::BootstrapResult old = Bootstrap("dev-12");
  ASSERT_FALSE(old.ke_id.empty());
  EXPECT_NE(old.cipher, "TLS_AES_128_GCM_SHA256");
  auto old_cred = enrolee::DeriveMafCredential(old.ke, old.maf_id, kMafFqdn);
  ASSERT_THAT(old_cred, IsOk());
  auto c = enrolee::MafClient::ConnectWithRetry(MafOptions(old.ke_id, old_cred->km), DeviceRetry());
  ASSERT_THAT(c, IsOk());
  EXPECT_EQ((*c)->session().protocol_version(), TLS1_2_VERSION);
}

TEST_F(MafE2eTest, RegisterKeyAndTargetRetrievesIt) {
  maf_ = StartMaf(kMafFqdn);
  ASSERT_NE(maf_, nullptr);
  enrolee::BootstrapResult dev = Bootstrap("dev-1");
  auto cred = enrolee::DeriveMafCredential(dev.ke, dev.maf_id, kMafFqdn);
  ASSERT_THAT(cred, IsOk());

  std::string key_id;
  SecretBytes kc;
  {
    auto c = enrolee::MafClient::ConnectWithRetry(MafOptions(dev.ke_id, cred->km),
                                                  DeviceRetry());  // first contact: KeID
    ASSERT_THAT(c, IsOk());
    auto reg = (*c)->RegisterClient(cred->km_id);
    ASSERT_THAT(reg, IsOk());
    EXPECT_EQ(reg->assigned_symm_key_id, cred->km_id);
    EXPECT_EQ(reg->maf_client_id, "C-dev-1");
    auto key = (*c)->RegisterKey({"C-target-1", "backend.local"}, 34);
    ASSERT_THAT(key, IsOk());
    EXPECT_TRUE(absl::EndsWith(key->key_id, "@maf.local")) << key->key_id;
    key_id = key->key_id;
    kc = std::move(key->kc);
  }
  // Later contact with KmID.
  {
    auto c = enrolee::MafClient::Connect(MafOptions(cred->km_id, cred->km));
    ASSERT_THAT(c, IsOk());
    auto reg = (*c)->RegisterClient(cred->km_id);
    ASSERT_THAT(reg, IsOk());
  }
  // The Target (another Enrolee) retrieves the key over its own MAF session.
  enrolee::BootstrapResult target = Bootstrap("target-1");
  auto tcred = enrolee::DeriveMafCredential(target.ke, target.maf_id, kMafFqdn);
  ASSERT_THAT(tcred, IsOk());
  auto t = enrolee::MafClient::ConnectWithRetry(MafOptions(target.ke_id, tcred->km), DeviceRetry());
  ASSERT_THAT(t, IsOk());
  ASSERT_THAT((*t)->RegisterClient(tcred->km_id), IsOk());
  auto got = (*t)->RetrieveKey(key_id);
  ASSERT_THAT(got, IsOk());
  EXPECT_EQ(got->key.Reveal(), kc.Reveal());
  EXPECT_EQ(got->suid, 34);
  // A backend Target retrieves it over gRPC MafKeyService with mutual TLS.
  {
    maf::MafKeyServiceImpl keys(maf_->store.get(), &maf_envelope_, kMafFqdn);
    grpc::ServerBuilder b;
    int port = 0;
    b.AddListeningPort("127.0.0.1:0", mtls_->ServerCredentials(), &port);
    b.RegisterService(&keys);
    std::unique_ptr<grpc::Server> ks = b.BuildAndStart();
    ASSERT_NE(ks, nullptr);
    for (const auto& [dns, want_ok] : {std::pair<std::string, bool>{"backend.local", true},
                                       std::pair<std::string, bool>{"stranger.local", false}}) {
      auto stub = rsp::v1::MafKeyService::NewStub(mtls_->Channel(port, dns));
      grpc::ClientContext ctx;
      ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(5));
      rsp::v1::GetKeyRequest req;
      req.set_key_id(key_id);
      rsp::v1::GetKeyResponse resp;
      grpc::Status st = stub->GetKey(&ctx, req, &resp);
      EXPECT_EQ(st.ok(), want_ok) << dns << ": " << st.error_message();
      if (st.ok()) {
        EXPECT_EQ(resp.key(), std::string(kc.Reveal()));
        EXPECT_EQ(resp.suid(), 34u);
      }
    }
    ks->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(1));
  }
  // The registering device itself is not a target.
  auto d = enrolee::MafClient::Connect(MafOptions(cred->km_id, cred->km));
  ASSERT_THAT(d, IsOk());
  EXPECT_THAT((*d)->RetrieveKey(key_id), Not(IsOk()));
}

TEST_F(MafE2eTest, MafWhoseCertificateNamesAnotherMafIdIsRefused) {
  maf_ = StartMaf("other-maf.local");
  ASSERT_NE(maf_, nullptr);
  enrolee::BootstrapResult dev = Bootstrap("dev-2");
  auto cred = enrolee::DeriveMafCredential(dev.ke, dev.maf_id, kMafFqdn);
  ASSERT_THAT(cred, IsOk());
  absl::Time start = absl::Now();
  auto c = enrolee::MafClient::Connect(MafOptions(dev.ke_id, cred->km));
  EXPECT_THAT(c, Not(IsOk()));
  EXPECT_LT(absl::Now() - start, absl::Seconds(8));
}

// An operator revokes a device's credential at the MAF (MafAdminService.RevokeCredential, what
// `rsp_admin maf credentials revoke` calls; PgMafStore at the MAF): the KmID and the KeID that
// worked before are refused on the next handshake, though the MEF would still hand the Km out.
TEST_F(MafE2eTest, AdminRevokedCredentialIsRefusedOnTheNextHandshake) {
  maf_ = StartMaf(kMafFqdn, /*pg_store=*/true);
  ASSERT_NE(maf_, nullptr);
  enrolee::BootstrapResult dev = Bootstrap("dev-6");
  auto cred = enrolee::DeriveMafCredential(dev.ke, dev.maf_id, kMafFqdn);
  ASSERT_THAT(cred, IsOk());
  {
    auto c = enrolee::MafClient::ConnectWithRetry(MafOptions(dev.ke_id, cred->km), DeviceRetry());
    ASSERT_THAT(c, IsOk());
    ASSERT_THAT((*c)->RegisterClient(cred->km_id), IsOk());
  }
  ASSERT_THAT(enrolee::MafClient::Connect(MafOptions(cred->km_id, cred->km)), IsOk());  // cached Km

  // The MAF's admin API, wired as services/maf/maf_server.cc wires it.
  maf::MafAdminServiceOptions ao;
  ao.store = maf_->store.get();
  ao.admins = {"ops.local"};
  std::shared_ptr<maf::KmResolver> resolver = maf_->resolver;
  ao.on_client_revoked = [resolver](const crypto::KeyId& km_id) { resolver->ForgetKmId(km_id); };
  maf::MafAdminServiceImpl admin(std::move(ao));
  grpc::ServerBuilder b;
  int port = 0;
  b.AddListeningPort("127.0.0.1:0", mtls_->ServerCredentials(), &port);
  b.RegisterService(&admin);
  std::unique_ptr<grpc::Server> server = b.BuildAndStart();
  ASSERT_NE(server, nullptr);
  auto stub = rsp::v1::MafAdminService::NewStub(mtls_->Channel(port, "ops.local"));
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(5));
  rsp::v1::RevokeCredentialRequest req;
  req.set_km_id(cred->km_id);
  req.set_reason("device stolen");
  rsp::v1::MafCredential revoked;
  grpc::Status st = stub->RevokeCredential(&ctx, req, &revoked);
  server->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(1));
  ASSERT_TRUE(st.ok()) << st.error_message();
  EXPECT_EQ(revoked.state(), rsp::v1::MAF_CREDENTIAL_STATE_REVOKED);
  EXPECT_EQ(revoked.ke_id(), dev.ke_id);
  EXPECT_EQ(revoked.enrolee_id(), "C-dev-6");

  EXPECT_THAT(enrolee::MafClient::Connect(MafOptions(cred->km_id, cred->km)), Not(IsOk()));
  EXPECT_THAT(enrolee::MafClient::Connect(MafOptions(dev.ke_id, cred->km)), Not(IsOk()));
  EXPECT_EQ(maf_->store->GetCredentialByKeId(*crypto::KeyId::Parse(dev.ke_id)).status().code(),
            absl::StatusCode::kFailedPrecondition);
}

TEST_F(MafE2eTest, RevokedEnroleeKeIdIsRefused) {
  maf_ = StartMaf(kMafFqdn);
  ASSERT_NE(maf_, nullptr);
  enrolee::BootstrapResult dev = Bootstrap("dev-3");
  auto cred = enrolee::DeriveMafCredential(dev.ke, dev.maf_id, kMafFqdn);
  ASSERT_THAT(cred, IsOk());
  ASSERT_THAT(mef_->store->SetState("dev-3", mef::EnroleeState::kRevoked), IsOk());
  auto c = enrolee::MafClient::Connect(MafOptions(dev.ke_id, cred->km));
  EXPECT_THAT(c, Not(IsOk()));
}

TEST_F(MafE2eTest, MefDownFailsCleanlyThenRecovers) {
  maf_ = StartMaf(kMafFqdn);
  ASSERT_NE(maf_, nullptr);
  enrolee::BootstrapResult dev = Bootstrap("dev-4");
  auto cred = enrolee::DeriveMafCredential(dev.ke, dev.maf_id, kMafFqdn);
  ASSERT_THAT(cred, IsOk());
  int port = grpc_port_;
  StopGrpc();
  // docs/protocol.md 7 (issue 11 item 4): while the MEF is down first contacts fail fast (not after
  // the MAF's 2 s fetch deadline) with internal_error, which the device sees as UNAVAILABLE
  // (retry).
  for (int i = 0; i < 3; ++i) {
    absl::Time start = absl::Now();
    auto down = enrolee::MafClient::Connect(MafOptions(dev.ke_id, cred->km));
    ASSERT_THAT(down, Not(IsOk()));
    EXPECT_EQ(down.status().code(), absl::StatusCode::kUnavailable) << down.status();
    EXPECT_LT(absl::Now() - start, absl::Milliseconds(1500)) << "waited for a MEF known down";
    // Stays: the tries are spread over the MEF's down time on purpose (the breaker and gRPC's
    // reconnect backoff run on the child's and gRPC's own real clocks); nothing is awaited.
    absl::SleepFor(absl::Milliseconds(200));
  }
  StartGrpc(port);
  ASSERT_NE(grpc_, nullptr);
  const absl::Time back = absl::Now();
  const bool ok = ::onem2m::testing::WaitFor(
      [&] {
        auto c = enrolee::MafClient::Connect(MafOptions(dev.ke_id, cred->km));
        return c.ok() && (*c)->RegisterClient(cred->km_id).ok();
      },
      absl::Seconds(20), absl::Milliseconds(50));
  EXPECT_TRUE(ok);
  // Within a second of the MEF's return (reconnect backoff <= 300 ms, breaker 500 ms), plus slack
  // for a loaded test machine.
  EXPECT_LT(absl::Now() - back, absl::Seconds(2)) << absl::Now() - back;
}

}  // namespace
}  // namespace onem2m

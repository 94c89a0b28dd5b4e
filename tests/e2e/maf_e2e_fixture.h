// File: tests/e2e/maf_e2e_fixture.h
//
// The fixture of the MAF end-to-end tests (maf_e2e_*_test.cc, docs/protocol.md 5-7): an
// in-process MEF over a real PostgreSQL (ONEM2M_TEST_PG; skipped when unset) with its credential
// gRPC service over mutual TLS, and an in-process MAF wired as services/maf/maf_server.cc wires it
// (MemoryMafStore or PgMafStore, KmResolver with a MefCredentialClient whose client certificate
// names the MAF-ID, maf::HandshakeServer as the binary runs it). Loopback only; every call has a
// deadline.
#ifndef ONEM2M_TESTS_E2E_MAF_E2E_FIXTURE_H_
#define ONEM2M_TESTS_E2E_MAF_E2E_FIXTURE_H_

#include <grpcpp/grpcpp.h>

#include <chrono>
#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "common/crypto/envelope.h"
#include "common/pg/test_schema.h"
#include "common/secret_bytes.h"
#include "common/testing/mtls_env.h"
#include "common/testing/status_matchers.h"
#include "common/tls/psk_context.h"
#include "enrolee/bootstrap_client.h"
#include "enrolee/maf_client.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "maf/km_resolver/km_resolver.h"
#include "maf/mef_client/mef_credential_client.h"
#include "maf/mef_client/revocation_events.h"
#include "maf/mef_client/revocation_watcher.h"
#include "maf/server/handshake_server.h"
#include "maf/store/memory_maf_store.h"
#include "maf/store/pg_maf_store.h"
#include "mef/credential/credential_service.h"
#include "mef/credential/envelope_ke_opener.h"
#include "tests/e2e/in_process_maf.h"
#include "tests/e2e/in_process_mef.h"

namespace onem2m::e2e {

inline constexpr char kMafFqdn[] = "maf.local";

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

// MafE2eFixture: the in-process MEF (PostgreSQL store, credential gRPC service) per test, and
// StartMaf for an in-process MAF in front of it.
class MafE2eFixture : public ::testing::Test {
 public:
  MafE2eFixture()
      : envelope_(crypto::Keyring::Generate(1)), maf_envelope_(crypto::Keyring::Generate(1)) {}

 protected:
  void SetUp() override {
    if (!pg::TestSchema::Available()) GTEST_SKIP() << pg::TestSchema::SkipMessage();
    auto schema = pg::TestSchema::Create();
    ASSERT_THAT(schema, ::onem2m::testing::IsOk());
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
    ASSERT_THAT(cred, ::onem2m::testing::IsOk());
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

  // StartMaf: the MAF's client certificate names `cert_dns`; it reaches the MEF's credential
  // service on `mef_port` (0: the service's own port; a TcpProxy's to watch its connections).
  std::unique_ptr<Maf> StartMaf(const std::string& cert_dns, bool pg_store = false,
                                bool watch = false, int mef_port = 0) {
    auto m = std::make_unique<Maf>();
    if (pg_store) {
      auto schema = pg::TestSchema::Create();
      EXPECT_THAT(schema, ::onem2m::testing::IsOk());
      if (!schema.ok()) return nullptr;
      maf_schema_ = *std::move(schema);
      maf::PgMafStoreOptions po;
      po.pool = maf_schema_->PoolOptionsFor();
      po.pool.max_size = 4;
      auto store = maf::PgMafStore::Create(std::move(po));
      EXPECT_THAT(store, ::onem2m::testing::IsOk());
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
        mtls_->Channel(mef_port != 0 ? mef_port : grpc_port_, cert_dns,
                       maf::MefChannelArguments()),
        kMafFqdn);
    auto r = maf::KmResolver::Create(std::move(ko));
    EXPECT_THAT(r, ::onem2m::testing::IsOk());
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
    EXPECT_THAT(srv, ::onem2m::testing::IsOk());
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
    EXPECT_THAT(sealed, ::onem2m::testing::IsOk());
    e.kpm = mef::SealedKey{*sealed, static_cast<int32_t>(envelope_.active_version())};
    e.enrolee_id = "C-" + kpm_id;
    e.maf_id = kMafFqdn;
    EXPECT_THAT(mef_->store->CreateEnrolee(e), ::onem2m::testing::IsOk());
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
    EXPECT_THAT(r, ::onem2m::testing::IsOk());
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

}  // namespace onem2m::e2e

#endif  // ONEM2M_TESTS_E2E_MAF_E2E_FIXTURE_H_

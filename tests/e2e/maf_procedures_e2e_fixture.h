// File: tests/e2e/maf_procedures_e2e_fixture.h
//
// MafProceduresE2eTest, parameterised by the device's transport (TLS, DTLS): a real in-process MEF
// on PostgreSQL (ONEM2M_TEST_PG; the test is skipped when unset) with its credential gRPC service
// over mutual TLS, and an in-process MAF wired as services/maf/maf_server.cc wires it
// (MemoryMafStore, KmResolver + MefCredentialClient, maf::HandshakeServer as the binary runs it)
// plus the MAF's MafKeyService for backend Targets. Helpers bootstrap a device with the MEF
// (NewDevice), open its MAF session (Connect, Registered), send the raw key update and combined
// de-registration requests, and fetch a key as a backend Target (GetKey). Loopback only; every
// call has a deadline.
//
//   TEST_P(MafProceduresE2eTest, Something) {
//     Device d = NewDevice("dev-1");
//     std::unique_ptr<enrolee::MafClient> c = Registered(d);
//   }
#ifndef ONEM2M_TESTS_E2E_MAF_PROCEDURES_E2E_FIXTURE_H_
#define ONEM2M_TESTS_E2E_MAF_PROCEDURES_E2E_FIXTURE_H_

#include <grpcpp/grpcpp.h>

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "common/crypto/envelope.h"
#include "common/exchange/maf_messages.h"
#include "common/exchange/message.h"
#include "common/exchange/routes.h"
#include "common/pg/test_schema.h"
#include "common/secret_bytes.h"
#include "common/testing/mtls_env.h"
#include "common/tls/psk_context.h"
#include "enrolee/bootstrap_client.h"
#include "enrolee/maf_client.h"
#include "gtest/gtest.h"
#include "maf/grpc/maf_key_service.h"
#include "maf/km_resolver/km_resolver.h"
#include "maf/mef_client/mef_credential_client.h"
#include "maf/server/handshake_server.h"
#include "maf/store/memory_maf_store.h"
#include "mef/credential/credential_service.h"
#include "mef/credential/envelope_ke_opener.h"
#include "proto/onem2m/rsp/v1/maf_keys.grpc.pb.h"
#include "tests/e2e/in_process_maf.h"
#include "tests/e2e/in_process_mef.h"

namespace onem2m::e2e {

class MafProceduresE2eTest : public ::testing::TestWithParam<tls::Transport> {
 protected:
  static constexpr char kMafFqdn[] = "maf.local";
  static constexpr char kBackend[] = "backend.local";
  // The MAF runs with an administrating stakeholder other than itself (maf_server --admin_fqdn).
  static constexpr char kAdmin[] = "sp.local";

  // Maf is the in-process MAF: its store, resolver, device-facing server and backend key service.
  struct Maf {
    std::unique_ptr<maf::MafStore> store;
    std::shared_ptr<maf::KmResolver> resolver;
    std::unique_ptr<maf::HandshakeServer> server;
    std::unique_ptr<maf::MafKeyServiceImpl> keys;
    std::unique_ptr<grpc::Server> keys_server;
    int tls_port = 0;
    int dtls_port = 0;
    int keys_port = 0;
    ~Maf() {
      if (keys_server)
        keys_server->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(1));
      if (server) server->Shutdown(absl::Seconds(1));
      server.reset();
      if (resolver) resolver->WaitIdle(absl::Now() + absl::Seconds(3));
    }
  };

  // Device is one bootstrapped Enrolee with its MAF credential.
  struct Device {
    std::string enrolee_id;
    std::string ke_id;
    enrolee::MafCredential cred;
  };

  // Dump shows an exchange's outcome in a failure message.
  static std::string Dump(const absl::StatusOr<exchange::Response>& r) {
    return r.ok() ? absl::StrCat(r->rsc, " ", r->body.dump()) : r.status().ToString();
  }

  MafProceduresE2eTest()
      : envelope_(crypto::Keyring::Generate(1)), maf_envelope_(crypto::Keyring::Generate(1)) {}

  void SetUp() override {
    if (!pg::TestSchema::Available()) GTEST_SKIP() << pg::TestSchema::SkipMessage();
    auto schema = pg::TestSchema::Create();
    ASSERT_TRUE(schema.ok()) << schema.status();
    schema_ = *std::move(schema);
    mef_ = StartMef(schema_->PoolOptionsFor(), &envelope_);
    ASSERT_NE(mef_, nullptr);
    mtls_ = std::make_unique<::onem2m::testing::MtlsEnv>(::onem2m::testing::TempDir());
    opener_ = std::make_unique<mef::EnvelopeKeOpener>(&envelope_);
    auto cred = mef::MefCredentialServiceImpl::Create(mef_->store.get(), opener_.get(), {});
    ASSERT_TRUE(cred.ok()) << cred.status();
    cred_ = *std::move(cred);
    grpc::ServerBuilder b;
    b.AddListeningPort("127.0.0.1:0", mtls_->ServerCredentials(), &grpc_port_);
    cred_->Register(&b);
    grpc_ = b.BuildAndStart();
    ASSERT_NE(grpc_, nullptr);
    cred_->Start();
    ASSERT_GT(grpc_port_, 0);
    StartMaf();
  }

  void TearDown() override {
    maf_.reset();
    if (grpc_) grpc_->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(1));
    if (cred_) cred_->Stop();
    grpc_.reset();
    mef_.reset();
  }

  void StartMaf() {
    auto m = std::make_unique<Maf>();
    m->store = maf::MemoryMafStore::Create();
    maf::KmResolverOptions ko;
    ko.maf_fqdn = kMafFqdn;
    ko.store = m->store.get();
    ko.envelope = &maf_envelope_;
    ko.default_timeout = absl::Seconds(2);
    ko.fetchers[kFqdn] =
        std::make_shared<maf::MefCredentialClient>(mtls_->Channel(grpc_port_, kMafFqdn), kMafFqdn);
    auto r = maf::KmResolver::Create(std::move(ko));
    ASSERT_TRUE(r.ok()) << r.status();
    m->resolver = *r;
    auto srv = StartLoopbackMaf(kMafFqdn, m->store.get(), &maf_envelope_, m->resolver, kAdmin);
    ASSERT_TRUE(srv.ok()) << srv.status();
    m->server = *std::move(srv);
    m->tls_port = m->server->tls_addresses().at(0).port();
    m->dtls_port = m->server->dtls_addresses().at(0).port();
    // MafKeyService for backend Targets (mutual TLS).
    m->keys = std::make_unique<maf::MafKeyServiceImpl>(m->store.get(), &maf_envelope_, kMafFqdn);
    grpc::ServerBuilder b;
    b.AddListeningPort("127.0.0.1:0", mtls_->ServerCredentials(), &m->keys_port);
    b.RegisterService(m->keys.get());
    m->keys_server = b.BuildAndStart();
    ASSERT_NE(m->keys_server, nullptr);
    maf_ = std::move(m);
  }

  // NewDevice creates an Enrolee at the MEF, bootstraps it over TLS and derives its MAF credential.
  Device NewDevice(const std::string& kpm_id) {
    SecretBytes kpm = SecretBytes::Random(32);
    mef::Enrolee e;
    e.kpm_id = kpm_id;
    auto sealed = envelope_.Seal(kpm, kpm_id);
    EXPECT_TRUE(sealed.ok());
    e.kpm = mef::SealedKey{*sealed, static_cast<int32_t>(envelope_.active_version())};
    e.enrolee_id = "C-" + kpm_id;
    e.maf_id = kMafFqdn;
    EXPECT_TRUE(mef_->store->CreateEnrolee(e).ok());
    enrolee::BootstrapOptions o;
    o.mef_host = "127.0.0.1";
    o.mef_port = mef_->tls_port;
    o.mef_fqdn = kFqdn;
    o.kpm_id = kpm_id;
    o.kpm = std::move(kpm);
    o.attempt_timeout = absl::Seconds(10);
    auto boot = enrolee::Bootstrap(o);
    EXPECT_TRUE(boot.ok()) << boot.status();
    Device d;
    d.enrolee_id = e.enrolee_id;
    if (!boot.ok()) return d;
    d.ke_id = boot->ke_id;
    auto cred = enrolee::DeriveMafCredential(boot->ke, boot->maf_id, kMafFqdn);
    EXPECT_TRUE(cred.ok()) << cred.status();
    if (cred.ok()) d.cred = *std::move(cred);
    return d;
  }

  // Connect opens a MAF session for `d` over the test's transport: KeID on first contact.
  std::unique_ptr<enrolee::MafClient> Connect(const Device& d, bool first_contact = false) {
    enrolee::MafClientOptions o;
    o.maf_host = "127.0.0.1";
    o.transport = GetParam();
    o.maf_port = o.transport == tls::Transport::kTls ? maf_->tls_port : maf_->dtls_port;
    o.maf_fqdn = kMafFqdn;
    o.admin_fqdn = kAdmin;
    o.psk_identity = first_contact ? d.ke_id : d.cred.km_id;
    o.psk = SecretBytes::Copy(d.cred.km.Reveal());
    o.timeout = absl::Seconds(8);
    // Like a device: a first contact the MAF aborts while its MEF channel is still connecting
    // (internal_error -> UNAVAILABLE, docs/protocol.md 2) is retried with backoff.
    enrolee::RetryPolicy retry;
    retry.max_attempts = 8;
    retry.initial_backoff = absl::Milliseconds(200);
    retry.max_backoff = absl::Seconds(2);
    auto c = enrolee::MafClient::ConnectWithRetry(o, retry);
    EXPECT_TRUE(c.ok()) << c.status();
    return c.ok() ? *std::move(c) : nullptr;
  }

  // Registered connects `d` with its KeID and registers it as a MAF Client.
  std::unique_ptr<enrolee::MafClient> Registered(const Device& d,
                                                 enrolee::MafRegistration* out = nullptr) {
    std::unique_ptr<enrolee::MafClient> c = Connect(d, /*first_contact=*/true);
    if (c == nullptr) return nullptr;
    auto reg = c->RegisterClient(d.cred.km_id);
    EXPECT_TRUE(reg.ok()) << reg.status();
    if (!reg.ok()) return nullptr;
    if (out != nullptr) *out = *reg;
    return c;
  }

  static absl::StatusOr<exchange::Response> Update(enrolee::MafClient& c, const std::string& key_id,
                                                   std::optional<std::vector<std::string>> targets,
                                                   std::optional<absl::Time> expiry) {
    exchange::KeyUpdateRequest u;
    u.key = {key_id.substr(0, key_id.find('@')), kMafFqdn};
    u.target_ids = std::move(targets);
    u.expiration_time = expiry;
    absl::StatusOr<std::string> body = exchange::SerializeKeyUpdateRequest(u);
    if (!body.ok()) return body.status();
    exchange::Request r;
    r.path = std::string(exchange::PathFor(exchange::Operation::kMafKeyUpdate));
    r.body = *std::move(body);
    return c.Exchange(std::move(r));
  }

  static absl::StatusOr<exchange::Response> Deregister(enrolee::MafClient& c,
                                                       const exchange::DeregistrationRequest& d) {
    absl::StatusOr<std::string> body = exchange::SerializeDeregistrationRequest(d);
    if (!body.ok()) return body.status();
    exchange::Request r;
    r.path = std::string(exchange::PathFor(exchange::Operation::kMafDeregistration));
    r.body = *std::move(body);
    return c.Exchange(std::move(r));
  }

  // GetKey asks the MAF's MafKeyService for `key_id` as backend Target `dns`.
  grpc::Status GetKey(const std::string& key_id, const std::string& dns,
                      rsp::v1::GetKeyResponse* resp) {
    auto stub = rsp::v1::MafKeyService::NewStub(mtls_->Channel(maf_->keys_port, dns));
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(5));
    rsp::v1::GetKeyRequest req;
    req.set_key_id(key_id);
    return stub->GetKey(&ctx, req, resp);
  }

  crypto::Envelope envelope_;
  crypto::Envelope maf_envelope_;
  std::unique_ptr<pg::TestSchema> schema_;
  std::unique_ptr<Mef> mef_;
  std::unique_ptr<::onem2m::testing::MtlsEnv> mtls_;
  std::unique_ptr<mef::EnvelopeKeOpener> opener_;
  std::unique_ptr<mef::MefCredentialServiceImpl> cred_;
  std::unique_ptr<grpc::Server> grpc_;
  int grpc_port_ = 0;
  std::unique_ptr<Maf> maf_;
};

// TransportParamName names a MafProceduresE2eTest instance after its transport.
inline std::string TransportParamName(const ::testing::TestParamInfo<tls::Transport>& p) {
  return std::string(p.param == tls::Transport::kTls ? "Tls" : "Dtls");
}

}  // namespace onem2m::e2e

#endif  // ONEM2M_TESTS_E2E_MAF_PROCEDURES_E2E_FIXTURE_H_

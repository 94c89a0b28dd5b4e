// End to end, over TLS and DTLS: the MAF procedures of TS-0003 8.8.2.3 .. 8.8.2.10 (Client
// Configuration Retrieval 8.8.2.4, Client Registration Update 8.8.2.5, Client De-Registration
// 8.8.2.6, Key Registration Update 8.8.2.9, Key De-Registration 8.8.2.10, and the earlier
// combined de-registration alias) through a real in-process MEF (PostgreSQL via ONEM2M_TEST_PG;
// skipped when unset) with its credential gRPC service over mutual TLS, and an in-process MAF wired
// as services/maf/maf_server.cc wires it (MemoryMafStore, KmResolver + MefCredentialClient,
// maf::HandshakeServer as the binary runs it),
// plus the MAF's MafKeyService for backend Targets. Devices bootstrap with the MEF first.
// Loopback only; every call has a deadline.
#include <grpcpp/grpcpp.h>

#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "common/crypto/envelope.h"
#include "common/crypto/key_id.h"
#include "common/exchange/maf_messages.h"
#include "common/exchange/routes.h"
#include "common/exchange/rsc.h"
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

namespace onem2m {
namespace {

constexpr char kMafFqdn[] = "maf.local";
constexpr char kBackend[] = "backend.local";
// The MAF runs with an administrating stakeholder other than itself (maf_server --admin_fqdn).
constexpr char kAdmin[] = "sp.local";

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

class MafProceduresE2eTest : public ::testing::TestWithParam<tls::Transport> {
 protected:
  MafProceduresE2eTest()
      : envelope_(crypto::Keyring::Generate(1)), maf_envelope_(crypto::Keyring::Generate(1)) {}

  void SetUp() override {
    if (!pg::TestSchema::Available()) GTEST_SKIP() << pg::TestSchema::SkipMessage();
    auto schema = pg::TestSchema::Create();
    ASSERT_TRUE(schema.ok()) << schema.status();
    schema_ = *std::move(schema);
    mef_ = e2e::StartMef(schema_->PoolOptionsFor(), &envelope_);
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
    ko.fetchers[e2e::kFqdn] =
        std::make_shared<maf::MefCredentialClient>(mtls_->Channel(grpc_port_, kMafFqdn), kMafFqdn);
    auto r = maf::KmResolver::Create(std::move(ko));
    ASSERT_TRUE(r.ok()) << r.status();
    m->resolver = *r;
    auto srv = e2e::StartLoopbackMaf(kMafFqdn, m->store.get(), &maf_envelope_, m->resolver, kAdmin);
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
    o.mef_fqdn = e2e::kFqdn;
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
  std::unique_ptr<e2e::Mef> mef_;
  std::unique_ptr<::onem2m::testing::MtlsEnv> mtls_;
  std::unique_ptr<mef::EnvelopeKeOpener> opener_;
  std::unique_ptr<mef::MefCredentialServiceImpl> cred_;
  std::unique_ptr<grpc::Server> grpc_;
  int grpc_port_ = 0;
  std::unique_ptr<Maf> maf_;
};

std::string Dump(const absl::StatusOr<exchange::Response>& r) {
  return r.ok() ? absl::StrCat(r->rsc, " ", r->body.dump()) : r.status().ToString();
}

TEST_P(MafProceduresE2eTest, KeyRegistrationUpdateChangesTargetsAndShortensExpiry) {
  Device owner = NewDevice("upd-owner");
  Device target = NewDevice("upd-target");
  Device other = NewDevice("upd-other");
  std::unique_ptr<enrolee::MafClient> c = Registered(owner);
  ASSERT_NE(c, nullptr);
  auto key = c->RegisterKey({"C-nobody"}, 32);
  ASSERT_TRUE(key.ok()) << key.status();
  std::unique_ptr<enrolee::MafClient> t = Registered(target);
  ASSERT_NE(t, nullptr);
  EXPECT_FALSE(t->RetrieveKey(key->key_id).ok());  // not a target yet

  // Change targetIDs: the new Target is served, over its own session and over gRPC.
  auto resp =
      Update(*c, key->key_id, std::vector<std::string>{target.enrolee_id, kBackend}, std::nullopt);
  ASSERT_TRUE(resp.ok()) << resp.status();
  ASSERT_EQ(resp->rsc, exchange::kRscUpdated) << Dump(resp);
  // Table 8.8.2.9-2 NOTE: only what the request carried.
  auto answer = exchange::ParseKeyUpdateAnswer(resp->body);
  ASSERT_TRUE(answer.ok()) << answer.status();
  EXPECT_EQ(answer->target_ids, (std::vector<std::string>{target.enrolee_id, kBackend}));
  EXPECT_FALSE(answer->expiration_time.has_value());
  auto got = t->RetrieveKey(key->key_id);
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_TRUE(got->key.Equals(key->kc));
  rsp::v1::GetKeyResponse gk;
  grpc::Status st = GetKey(key->key_id, kBackend, &gk);
  ASSERT_TRUE(st.ok()) << st.error_message();
  EXPECT_EQ(gk.key(), std::string(key->kc.Reveal()));

  // Shorten the expiry.
  const absl::Time shorter =
      absl::FromUnixSeconds(absl::ToUnixSeconds(absl::Now() + absl::Hours(1)));
  ASSERT_LT(shorter, key->expires_at);
  resp = Update(*c, key->key_id, std::nullopt, shorter);
  ASSERT_TRUE(resp.ok()) << resp.status();
  ASSERT_EQ(resp->rsc, exchange::kRscUpdated) << Dump(resp);
  answer = exchange::ParseKeyUpdateAnswer(resp->body);
  ASSERT_TRUE(answer.ok()) << answer.status();
  EXPECT_EQ(answer->expiration_time, shorter);
  EXPECT_FALSE(answer->target_ids.has_value());
  got = t->RetrieveKey(key->key_id);
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ(got->expires_at, shorter);

  // An expiry beyond Km's is capped: the key never outlives the credential.
  absl::StatusOr<maf::MafCredential> km = maf_->store->GetCredentialByKmId(*crypto::KeyId::Parse(owner.cred.km_id));
  ASSERT_TRUE(km.ok()) << km.status();
  resp = Update(*c, key->key_id, std::nullopt, km->expires_at + absl::Hours(24 * 365));
  ASSERT_TRUE(resp.ok()) << resp.status();
  ASSERT_EQ(resp->rsc, exchange::kRscUpdated) << Dump(resp);  // capped (key_update.h)
  answer = exchange::ParseKeyUpdateAnswer(resp->body);
  ASSERT_TRUE(answer.ok()) << answer.status();
  ASSERT_TRUE(answer->expiration_time.has_value());
  EXPECT_LE(*answer->expiration_time, km->expires_at);
  absl::StatusOr<maf::MafKey> stored = maf_->store->GetKey(key->key_id);
  ASSERT_TRUE(stored.ok()) << stored.status();
  EXPECT_LE(stored->expires_at, km->expires_at);
  // An expiry in the past is refused.
  resp = Update(*c, key->key_id, std::nullopt, absl::Now() - absl::Hours(1));
  ASSERT_TRUE(resp.ok()) << resp.status();
  EXPECT_EQ(resp->rsc, exchange::kRscBadRequest) << Dump(resp);

  // Only the registering client may update: a Target of the key and an unrelated registered
  // client get 4103, and the key is unchanged.
  resp = Update(*t, key->key_id, std::vector<std::string>{target.enrolee_id}, std::nullopt);
  ASSERT_TRUE(resp.ok()) << resp.status();
  EXPECT_EQ(resp->rsc, exchange::kRscOriginatorHasNoPrivilege) << Dump(resp);
  std::unique_ptr<enrolee::MafClient> o = Registered(other);
  ASSERT_NE(o, nullptr);
  resp = Update(*o, key->key_id, std::vector<std::string>{other.enrolee_id}, std::nullopt);
  ASSERT_TRUE(resp.ok()) << resp.status();
  EXPECT_EQ(resp->rsc, exchange::kRscOriginatorHasNoPrivilege) << Dump(resp);
  EXPECT_FALSE(o->RetrieveKey(key->key_id).ok());
  stored = maf_->store->GetKey(key->key_id);
  ASSERT_TRUE(stored.ok());
  EXPECT_EQ(stored->target_ids, (std::vector<std::string>{target.enrolee_id, kBackend}));
  // A device that never registered as a MAF Client may not update either.
  Device unregistered = NewDevice("upd-unregistered");
  std::unique_ptr<enrolee::MafClient> u = Connect(unregistered, /*first_contact=*/true);
  ASSERT_NE(u, nullptr);
  resp = Update(*u, key->key_id, std::vector<std::string>{unregistered.enrolee_id}, std::nullopt);
  ASSERT_TRUE(resp.ok()) << resp.status();
  EXPECT_EQ(resp->rsc, exchange::kRscOriginatorHasNoPrivilege) << Dump(resp);
  // The owner, on a later KmID session, still may.
  std::unique_ptr<enrolee::MafClient> again = Connect(owner);
  ASSERT_NE(again, nullptr);
  resp = Update(*again, key->key_id, std::vector<std::string>{kBackend}, std::nullopt);
  ASSERT_TRUE(resp.ok()) << resp.status();
  EXPECT_EQ(resp->rsc, exchange::kRscUpdated) << Dump(resp);
  EXPECT_FALSE(t->RetrieveKey(key->key_id).ok());  // dropped from the targets
}

TEST_P(MafProceduresE2eTest, DeRegistrationOfAKeyMakesGetKeyNotFound) {
  Device owner = NewDevice("dereg-key-owner");
  Device other = NewDevice("dereg-key-other");
  std::unique_ptr<enrolee::MafClient> c = Registered(owner);
  ASSERT_NE(c, nullptr);
  auto key = c->RegisterKey({kBackend}, 32);
  ASSERT_TRUE(key.ok()) << key.status();
  auto kept = c->RegisterKey({kBackend}, 33, std::nullopt, SecretBytes::Random(32));
  ASSERT_TRUE(kept.ok()) << kept.status();
  rsp::v1::GetKeyResponse gk;
  grpc::Status st = GetKey(key->key_id, kBackend, &gk);
  ASSERT_TRUE(st.ok()) << st.error_message();

  // Another client cannot de-register it.
  std::unique_ptr<enrolee::MafClient> o = Registered(other);
  ASSERT_NE(o, nullptr);
  exchange::DeregistrationRequest d;
  d.key_id = key->key_id;
  auto resp = Deregister(*o, d);
  ASSERT_TRUE(resp.ok()) << resp.status();
  EXPECT_EQ(resp->rsc, exchange::kRscOriginatorHasNoPrivilege) << Dump(resp);
  ASSERT_TRUE(GetKey(key->key_id, kBackend, &gk).ok());

  resp = Deregister(*c, d);
  ASSERT_TRUE(resp.ok()) << resp.status();
  EXPECT_EQ(resp->rsc, exchange::kRscDeleted) << Dump(resp);
  st = GetKey(key->key_id, kBackend, &gk);
  EXPECT_EQ(st.error_code(), grpc::StatusCode::NOT_FOUND) << st.error_message();
  // Again: the key is no longer active.
  resp = Deregister(*c, d);
  ASSERT_TRUE(resp.ok()) << resp.status();
  EXPECT_EQ(resp->rsc, exchange::kRscNotFound) << Dump(resp);
  // Updating it is refused too; the other key is untouched.
  resp = Update(*c, key->key_id, std::vector<std::string>{kBackend}, std::nullopt);
  ASSERT_TRUE(resp.ok()) << resp.status();
  EXPECT_EQ(resp->rsc, exchange::kRscNotFound) << Dump(resp);
  st = GetKey(kept->key_id, kBackend, &gk);
  ASSERT_TRUE(st.ok()) << st.error_message();
  EXPECT_EQ(gk.key(), std::string(kept->kc.Reveal()));
}

TEST_P(MafProceduresE2eTest, DeRegistrationOfAClientEndsItsKeys) {
  Device owner = NewDevice("dereg-client-owner");
  Device target = NewDevice("dereg-client-target");
  enrolee::MafRegistration reg;
  std::unique_ptr<enrolee::MafClient> c = Registered(owner, &reg);
  ASSERT_NE(c, nullptr);
  auto k1 = c->RegisterKey({kBackend}, 32);
  ASSERT_TRUE(k1.ok()) << k1.status();
  auto k2 = c->RegisterKey({target.enrolee_id}, 33, std::nullopt, SecretBytes::Random(32));
  ASSERT_TRUE(k2.ok()) << k2.status();
  enrolee::MafRegistration treg;
  std::unique_ptr<enrolee::MafClient> t = Registered(target, &treg);
  ASSERT_NE(t, nullptr);
  ASSERT_TRUE(t->RetrieveKey(k2->key_id).ok());

  // Another client cannot end this registration (nor guess it exists).
  exchange::DeregistrationRequest d;
  d.maf_client_reg_id = reg.maf_client_reg_id;
  auto resp = Deregister(*t, d);
  ASSERT_TRUE(resp.ok()) << resp.status();
  EXPECT_EQ(resp->rsc, exchange::kRscOriginatorHasNoPrivilege) << Dump(resp);
  rsp::v1::GetKeyResponse gk;
  ASSERT_TRUE(GetKey(k1->key_id, kBackend, &gk).ok());

  // The owner ends it, over a later KmID session.
  std::unique_ptr<enrolee::MafClient> again = Connect(owner);
  ASSERT_NE(again, nullptr);
  resp = Deregister(*again, d);
  ASSERT_TRUE(resp.ok()) << resp.status();
  EXPECT_EQ(resp->rsc, exchange::kRscDeleted) << Dump(resp);

  // Every key it registered stops working, for backend and device Targets alike.
  grpc::Status st = GetKey(k1->key_id, kBackend, &gk);
  EXPECT_EQ(st.error_code(), grpc::StatusCode::NOT_FOUND) << st.error_message();
  EXPECT_FALSE(t->RetrieveKey(k2->key_id).ok());
  // The KmID still authenticates (De-Registration is not revocation), but without a registration
  // it can neither register nor update keys...
  std::unique_ptr<enrolee::MafClient> after = Connect(owner);
  ASSERT_NE(after, nullptr);
  auto refused = after->RegisterKey({kBackend}, 32);
  EXPECT_FALSE(refused.ok());
  resp = Update(*after, k1->key_id, std::vector<std::string>{kBackend}, std::nullopt);
  ASSERT_TRUE(resp.ok()) << resp.status();
  EXPECT_EQ(resp->rsc, exchange::kRscOriginatorHasNoPrivilege) << Dump(resp);
  // ...until it registers again: a new registration, and the old keys stay gone.
  auto reg2 = after->RegisterClient(owner.cred.km_id);
  ASSERT_TRUE(reg2.ok()) << reg2.status();
  EXPECT_NE(reg2->maf_client_reg_id, reg.maf_client_reg_id);
  st = GetKey(k1->key_id, kBackend, &gk);
  EXPECT_EQ(st.error_code(), grpc::StatusCode::NOT_FOUND) << st.error_message();
  auto fresh = after->RegisterKey({kBackend}, 32);
  ASSERT_TRUE(fresh.ok()) << fresh.status();
  EXPECT_TRUE(GetKey(fresh->key_id, kBackend, &gk).ok());
  // The Target's own registration is unaffected.
  EXPECT_TRUE(t->RegisterClient(target.cred.km_id).ok());
}

// 8.8.2.3 .. 8.8.2.6 over the real MAF: registration with labels under the configured adminFQDN,
// the client's configuration, a registration update, and the separate client and key
// de-registrations (8.8.2.6, 8.8.2.10); plus the parameter checks a third party would hit.
TEST_P(MafProceduresE2eTest, ClientConfigurationUpdateAndSeparateDeRegistrations) {
  Device owner = NewDevice("cfg-owner");
  std::unique_ptr<enrolee::MafClient> c = Connect(owner, /*first_contact=*/true);
  ASSERT_NE(c, nullptr);
  auto reg =
      c->RegisterClient(owner.cred.km_id, std::nullopt, std::vector<std::string>{"fleet:north"});
  ASSERT_TRUE(reg.ok()) << reg.status();
  EXPECT_EQ(reg->admin_fqdn, kAdmin);
  EXPECT_EQ(reg->labels, std::vector<std::string>{"fleet:north"});

  // 8.8.2.4: the mafClientCfg (sec:clientRegCfg) of this registration.
  auto cfg = c->RetrieveClientConfig(reg->maf_client_reg_id);
  ASSERT_TRUE(cfg.ok()) << cfg.status();
  EXPECT_EQ(cfg->fqdn, kMafFqdn);
  EXPECT_EQ(cfg->admin_fqdn, kAdmin);
  EXPECT_EQ(cfg->expiration_time, reg->expires_at);
  EXPECT_EQ(cfg->labels, std::vector<std::string>{"fleet:north"});

  // A key, so that shortening the registration shows on it.
  auto key =
      c->RegisterKey({kBackend}, 33, std::nullopt, std::nullopt, std::vector<std::string>{"meter"});
  ASSERT_TRUE(key.ok()) << key.status();

  // 8.8.2.5: shorten and relabel, over a later KmID session; the answer has both, no KmID.
  std::unique_ptr<enrolee::MafClient> again = Connect(owner);
  ASSERT_NE(again, nullptr);
  const absl::Time shorter =
      absl::FromUnixSeconds(absl::ToUnixSeconds(absl::Now() + absl::Hours(2)));
  auto upd = again->UpdateClientRegistration(reg->maf_client_reg_id, shorter,
                                             std::vector<std::string>{"fleet:south"});
  ASSERT_TRUE(upd.ok()) << upd.status();
  EXPECT_EQ(upd->expiration_time, shorter);
  EXPECT_EQ(upd->labels, std::vector<std::string>{"fleet:south"});
  EXPECT_FALSE(upd->assigned_symm_key_id.has_value());
  cfg = again->RetrieveClientConfig(reg->maf_client_reg_id);
  ASSERT_TRUE(cfg.ok()) << cfg.status();
  EXPECT_EQ(cfg->expiration_time, shorter);
  EXPECT_EQ(cfg->labels, std::vector<std::string>{"fleet:south"});
  rsp::v1::GetKeyResponse gk;
  ASSERT_TRUE(GetKey(key->key_id, kBackend, &gk).ok());
  EXPECT_LE(gk.expires_at().seconds(), absl::ToUnixSeconds(shorter));

  // A third party's mistakes: a stakeholder this MAF does not serve (4103), a SUID that is not a
  // MAF-distributed key (4000), another MAF's FQDN (4000).
  {
    exchange::KeyRegistrationRequest r;
    r.maf_fqdn = kMafFqdn;
    r.expiration_time = absl::Now() + absl::Hours(1);
    r.admin_fqdn = "stranger.local";
    r.suid = 32;
    r.key_value = SecretBytes::Random(32);
    exchange::Request q;
    q.path = "/maf/keys";
    q.body = *exchange::SerializeKeyRegistrationRequest(r);
    auto resp = again->Exchange(q);
    ASSERT_TRUE(resp.ok()) << resp.status();
    EXPECT_EQ(resp->rsc, exchange::kRscOriginatorHasNoPrivilege) << Dump(resp);
    nlohmann::json j = nlohmann::json::parse(q.body);
    j["adminFQDN"] = kAdmin;
    j["suid"] = 42;
    q.body = j.dump();
    resp = again->Exchange(q);
    ASSERT_TRUE(resp.ok()) << resp.status();
    EXPECT_EQ(resp->rsc, exchange::kRscBadRequest) << Dump(resp);
    EXPECT_NE(resp->body.dump().find("32..35"), std::string::npos) << Dump(resp);
    j["suid"] = 32;
    j["mafFQDN"] = "other.local";
    q.body = j.dump();
    resp = again->Exchange(q);
    ASSERT_TRUE(resp.ok()) << resp.status();
    EXPECT_EQ(resp->rsc, exchange::kRscBadRequest) << Dump(resp);
  }

  // 8.8.2.10 Key De-Registration, then 8.8.2.6 Client De-Registration.
  ASSERT_TRUE(again->DeregisterKey(key->key_id).ok());
  grpc::Status st = GetKey(key->key_id, kBackend, &gk);
  EXPECT_EQ(st.error_code(), grpc::StatusCode::NOT_FOUND) << st.error_message();
  EXPECT_EQ(again->DeregisterKey(key->key_id).code(), absl::StatusCode::kNotFound);
  ASSERT_TRUE(again->DeregisterClient(reg->maf_client_reg_id).ok());
  EXPECT_FALSE(again->RetrieveClientConfig(reg->maf_client_reg_id).ok());
  EXPECT_FALSE(again
                   ->UpdateClientRegistration(reg->maf_client_reg_id, std::nullopt,
                                              std::vector<std::string>{"x"})
                   .ok());
}

// A Target retrieves by RelativeKeyID alone (Table 8.8.2.8-1) and sees the key's metadata
// (Table 8.8.2.8-2); without targetIDs the MAF names the Source MAF Client itself.
TEST_P(MafProceduresE2eTest, KeyRetrievalByRelativeKeyIdCarriesTheTableMetadata) {
  Device owner = NewDevice("rel-owner");
  Device target = NewDevice("rel-target");
  std::unique_ptr<enrolee::MafClient> c = Registered(owner);
  ASSERT_NE(c, nullptr);
  auto key = c->RegisterKey({target.enrolee_id}, 34, std::nullopt, std::nullopt,
                            std::vector<std::string>{"meter"});
  ASSERT_TRUE(key.ok()) << key.status();
  EXPECT_EQ(key->suid, 34);
  EXPECT_EQ(key->source_maf_client_id, owner.enrolee_id);
  std::unique_ptr<enrolee::MafClient> t = Registered(target);
  ASSERT_NE(t, nullptr);
  auto got = t->RetrieveKey(key->key_id);  // sends {"relativeKeyID": ...}
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_TRUE(got->key.Equals(key->kc));
  EXPECT_EQ(got->suid, 34);
  EXPECT_EQ(got->source_maf_client_id, owner.enrolee_id);
  EXPECT_EQ(got->admin_fqdn, kAdmin);
  EXPECT_EQ(got->labels, std::vector<std::string>{"meter"});
  // The joined alias works too.
  exchange::Request q;
  q.path = "/maf/keys/retrieve";
  q.body = nlohmann::json{{"keyID", key->key_id}}.dump();
  auto resp = t->Exchange(q);
  ASSERT_TRUE(resp.ok()) << resp.status();
  EXPECT_EQ(resp->rsc, exchange::kRscOk) << Dump(resp);

  auto own = c->RegisterKey({}, 35, std::nullopt, SecretBytes::Random(32));
  ASSERT_TRUE(own.ok()) << own.status();
  EXPECT_EQ(own->target_ids, std::vector<std::string>{owner.enrolee_id});
  EXPECT_FALSE(t->RetrieveKey(own->key_id).ok());
}

INSTANTIATE_TEST_SUITE_P(Transports, MafProceduresE2eTest,
                         ::testing::Values(tls::Transport::kTls, tls::Transport::kDtls),
                         [](const ::testing::TestParamInfo<tls::Transport>& p) {
                           return std::string(p.param == tls::Transport::kTls ? "Tls" : "Dtls");
                         });

}  // namespace
}  // namespace onem2m

// End to end, over TLS and DTLS, the MAF's client procedures after a real bootstrap at the MEF
// (maf_procedures_e2e_fixture.h): Client De-Registration ending the client's keys, Client
// Configuration Retrieval (TS-0003 8.8.2.4), Client Registration Update (8.8.2.5) and the separate
// client and key de-registrations (8.8.2.6, 8.8.2.10).
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "common/exchange/maf_messages.h"
#include "common/exchange/rsc.h"
#include "common/secret_bytes.h"
#include "enrolee/maf_client.h"
#include "gtest/gtest.h"
#include "proto/onem2m/rsp/v1/maf_keys.grpc.pb.h"
#include "tests/e2e/maf_procedures_e2e_fixture.h"

namespace onem2m {
namespace {

using e2e::MafProceduresE2eTest;

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

INSTANTIATE_TEST_SUITE_P(Transports, MafProceduresE2eTest,
                         ::testing::Values(tls::Transport::kTls, tls::Transport::kDtls),
                         e2e::TransportParamName);

}  // namespace
}  // namespace onem2m

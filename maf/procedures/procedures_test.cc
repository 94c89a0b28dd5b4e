#include "common/crypto/key_id.h"
#include "common/exchange/rsc.h"
#include "common/testing/status_matchers.h"
#include "maf/procedures/client_config.h"
#include "maf/procedures/client_registration.h"
#include "maf/procedures/deregistration.h"
#include "maf/procedures/key_registration.h"
#include "maf/procedures/key_retrieval.h"
#include "maf/procedures/key_update.h"
#include "maf/procedures/procedure_test_fixture.h"

namespace onem2m {
namespace maf {
namespace {

using ::onem2m::testing::IsOk;
using ::onem2m::testing::StatusIs;

using exchange::RscForStatus;

class ProceduresTest : public ProcedureTest {
 protected:
  // Registered returns a session whose client has registered.
  // Reg is a Table 8.8.2.3-1 request for this MAF, proposing `life` from now.
  exchange::ClientRegistrationRequest Reg(absl::Duration life = absl::Hours(1000)) {
    return exchange::ClientRegistrationRequest{kMaf, Now() + life, std::nullopt, ctx_.AdminFqdn()};
  }
  MafSession Registered(int i, const std::string& enrolee_id,
                        absl::Duration life = absl::Hours(24)) {
    MafSession s = NewSession(i, enrolee_id, life);
    EXPECT_THAT(HandleClientRegistration(ctx_, s, Reg()), IsOk());
    return s;
  }
  std::string RegId(const MafSession& s) {
    return store_->GetActiveClientByKmId(s.km_id)->maf_client_reg_id;
  }
  exchange::KeyRegistrationRequest KeyFor(std::vector<std::string> targets) {
    exchange::KeyRegistrationRequest r;
    r.maf_fqdn = kMaf;
    r.expiration_time = Now() + absl::Hours(1000);
    r.admin_fqdn = kMaf;
    r.target_ids = std::move(targets);
    r.suid = 32;
    return r;
  }
  static std::string KeyIdOf(const exchange::KeyRegistrationAnswer& a) {
    return exchange::KeyRef{a.relative_key_id, kMaf}.KeyId();
  }
  static exchange::KeyRef Ref(const std::string& key_id) { return *exchange::SplitKeyId(key_id); }
};

TEST_F(ProceduresTest, ClientRegistrationAnswersRegIdEnroleeIdExpiryAndKmId) {
  MafSession s = NewSession(1, "C-dev1", absl::Hours(5));
  absl::StatusOr<exchange::ClientRegistrationAnswer> a = HandleClientRegistration(ctx_, s, Reg());
  ASSERT_THAT(a, IsOk());
  EXPECT_FALSE(a->maf_client_reg_id.empty());
  EXPECT_EQ(a->maf_client_id, "C-dev1");
  EXPECT_EQ(a->assigned_symm_key_id, s.km_id.ToString());
  EXPECT_EQ(a->admin_fqdn, kMaf);
  EXPECT_FALSE(a->labels.has_value());
  EXPECT_EQ(a->expiration_time, Now() + absl::Hours(5));
  absl::StatusOr<exchange::ClientRegistrationAnswer> again =
      HandleClientRegistration(ctx_, s, Reg());
  ASSERT_THAT(again, IsOk());
  EXPECT_EQ(again->maf_client_reg_id, a->maf_client_reg_id);
}

TEST_F(ProceduresTest, ClientRegistrationCapsRequestedExpiryAtTheKm) {
  MafSession s = NewSession(1, "C-dev1", absl::Hours(5));
  exchange::ClientRegistrationRequest r = Reg(absl::Hours(50));
  absl::StatusOr<exchange::ClientRegistrationAnswer> a = HandleClientRegistration(ctx_, s, r);
  ASSERT_THAT(a, IsOk());
  EXPECT_EQ(a->expiration_time, Now() + absl::Hours(5));
  MafSession t = NewSession(2, "C-dev2", absl::Hours(5));
  r.expiration_time = Now() - absl::Seconds(1);
  EXPECT_EQ(RscForStatus(HandleClientRegistration(ctx_, t, r).status()), 4000);
}

TEST_F(ProceduresTest, ClientRegistrationRefusedOnceTheKmIsRevokedOrExpired) {
  MafSession s = NewSession(1, "C-dev1", absl::Hours(1));
  ASSERT_THAT(store_->RevokeByEnroleeId("C-dev1", Revocation{"mef", "x", {}}), IsOk());
  EXPECT_EQ(RscForStatus(HandleClientRegistration(ctx_, s, Reg()).status()), 4103);
  MafSession t = NewSession(2, "C-dev2", absl::Hours(1));
  Advance(absl::Hours(1));
  EXPECT_EQ(RscForStatus(HandleClientRegistration(ctx_, t, Reg()).status()), 4103);
}

TEST_F(ProceduresTest, KeyRegistrationRequiresARegisteredClient) {
  MafSession s = NewSession(1, "C-dev1");
  EXPECT_EQ(RscForStatus(HandleKeyRegistration(ctx_, s, KeyFor({"T1"})).status()), 4103);
}

TEST_F(ProceduresTest, KeyRegistrationExportsTheConnectionKeyAndStoresItSealed) {
  MafSession s = Registered(1, "C-dev1");
  absl::StatusOr<exchange::KeyRegistrationAnswer> a =
      HandleKeyRegistration(ctx_, s, KeyFor({"T1", "T2"}));
  ASSERT_THAT(a, IsOk());
  SecretBytes exported = ExportFor(1);
  const std::string kc_id(exported.Reveal().substr(0, 16));
  EXPECT_EQ(KeyIdOf(*a), *crypto::FormatKeyId(kc_id, kMaf));
  EXPECT_EQ(a->expiration_time, Now() + absl::Hours(24));
  EXPECT_EQ(a->source_maf_client_id, "C-dev1");
  EXPECT_EQ(a->admin_fqdn, kMaf);
  EXPECT_EQ(a->suid, 32);
  EXPECT_EQ(a->target_ids, (std::vector<std::string>{"T1", "T2"}));
  absl::StatusOr<MafKey> k = store_->GetActiveKey(KeyIdOf(*a));
  ASSERT_THAT(k, IsOk());
  EXPECT_EQ(k->suid, 32u);
  EXPECT_EQ(k->client_id, "C-dev1");
  absl::StatusOr<SecretBytes> opened = envelope_.Open(k->key.ciphertext, KeyIdOf(*a));
  ASSERT_THAT(opened, IsOk());
  EXPECT_TRUE(opened->Equals(SecretBytes::Copy(exported.Reveal().substr(16, 32))));
  // The same session exports the same KcID: a second registration conflicts.
  EXPECT_EQ(RscForStatus(HandleKeyRegistration(ctx_, s, KeyFor({"T1"})).status()), 4105);
}

TEST_F(ProceduresTest, KeyRegistrationWithASuppliedValueAndCappedExpiry) {
  MafSession s = Registered(1, "C-dev1", absl::Hours(2));
  exchange::KeyRegistrationRequest r = KeyFor({"T1"});
  r.key_value = SecretBytes::Copy(std::string(32, 'v'));
  r.expiration_time = Now() + absl::Hours(10);
  absl::StatusOr<exchange::KeyRegistrationAnswer> a = HandleKeyRegistration(ctx_, s, r);
  ASSERT_THAT(a, IsOk());
  EXPECT_EQ(a->expiration_time, Now() + absl::Hours(2));
  EXPECT_THAT(crypto::ParseKeyId(KeyIdOf(*a)), IsOk());
  absl::StatusOr<MafKey> k = store_->GetActiveKey(KeyIdOf(*a));
  ASSERT_THAT(k, IsOk());
  EXPECT_TRUE(envelope_.Open(k->key.ciphertext, KeyIdOf(*a))->Equals(*r.key_value));
}

TEST_F(ProceduresTest, KeyRegistrationRefusesBadTargetsAndPastExpiry) {
  MafSession s = Registered(1, "C-dev1");
  EXPECT_EQ(RscForStatus(HandleKeyRegistration(ctx_, s, KeyFor({})).status()), 4000);
  exchange::KeyRegistrationRequest r = KeyFor({"T1"});
  r.expiration_time = Now();
  EXPECT_EQ(RscForStatus(HandleKeyRegistration(ctx_, s, r).status()), 4000);
}

TEST_F(ProceduresTest, KeyRetrievalServesATarget) {
  MafSession owner = Registered(1, "C-dev1");
  MafSession target = NewSession(2, "C-target");
  absl::StatusOr<exchange::KeyRegistrationAnswer> reg =
      HandleKeyRegistration(ctx_, owner, KeyFor({"C-target"}));
  ASSERT_THAT(reg, IsOk());
  // By RelativeKeyID alone (Table 8.8.2.8-1), in either case.
  std::string lower = reg->relative_key_id;
  for (char& c : lower) c = static_cast<char>(std::tolower(c));
  absl::StatusOr<exchange::KeyRetrievalAnswer> a =
      HandleKeyRetrieval(ctx_, target, exchange::KeyRetrievalRequest{{lower, ""}});
  ASSERT_THAT(a, IsOk());
  EXPECT_TRUE(a->key_value.Equals(SecretBytes::Copy(ExportFor(1).Reveal().substr(16, 32))));
  EXPECT_EQ(a->suid, 32);
  EXPECT_EQ(a->expiration_time, reg->expiration_time);
  EXPECT_EQ(a->source_maf_client_id, "C-dev1");
  EXPECT_EQ(a->admin_fqdn, kMaf);
  // And by the joined Key Identifier alias.
  EXPECT_THAT(HandleKeyRetrieval(ctx_, target, {Ref(KeyIdOf(*reg))}), IsOk());
}

TEST_F(ProceduresTest, KeyRetrievalRefusesTargetNotInTargetIds) {
  MafSession owner = Registered(1, "C-dev1");
  MafSession intruder = NewSession(2, "C-intruder");
  absl::StatusOr<exchange::KeyRegistrationAnswer> reg =
      HandleKeyRegistration(ctx_, owner, KeyFor({"C-target"}));
  ASSERT_THAT(reg, IsOk());
  EXPECT_EQ(RscForStatus(HandleKeyRetrieval(ctx_, intruder, {Ref(KeyIdOf(*reg))}).status()), 4103);
}

TEST_F(ProceduresTest, KeyRetrievalOfUnknownExpiredOrForeignKeys) {
  MafSession owner = Registered(1, "C-dev1");
  MafSession target = NewSession(2, "C-target");
  absl::StatusOr<exchange::KeyRegistrationAnswer> reg =
      HandleKeyRegistration(ctx_, owner, KeyFor({"C-target"}));
  ASSERT_THAT(reg, IsOk());
  std::string unknown = KeyIdOf(*reg);
  unknown[0] = unknown[0] == 'A' ? 'B' : 'A';
  EXPECT_EQ(RscForStatus(HandleKeyRetrieval(ctx_, target, {Ref(unknown)}).status()), 4004);
  std::string foreign = KeyIdOf(*reg).substr(0, 33) + "other.example.com";
  EXPECT_EQ(RscForStatus(HandleKeyRetrieval(ctx_, target, {Ref(foreign)}).status()), 4000);
  EXPECT_EQ(RscForStatus(HandleKeyRetrieval(ctx_, target, {{"junk", ""}}).status()), 4000);
  ASSERT_THAT(HandleDeregistration(ctx_, owner,
                                   exchange::DeregistrationRequest{std::nullopt, KeyIdOf(*reg)}),
              IsOk());
  EXPECT_EQ(RscForStatus(HandleKeyRetrieval(ctx_, target, {Ref(KeyIdOf(*reg))}).status()), 4004);
}

TEST_F(ProceduresTest, KeyUpdateOnlyByTheRegisteringClientAndCapped) {
  MafSession owner = Registered(1, "C-dev1", absl::Hours(3));
  MafSession other = Registered(2, "C-dev2");
  absl::StatusOr<exchange::KeyRegistrationAnswer> reg =
      HandleKeyRegistration(ctx_, owner, KeyFor({"T1"}));
  ASSERT_THAT(reg, IsOk());
  exchange::KeyUpdateRequest u;
  u.key = {reg->relative_key_id, kMaf};
  u.target_ids = std::vector<std::string>{"T2"};
  u.expiration_time = Now() + absl::Hours(30);
  EXPECT_EQ(RscForStatus(HandleKeyUpdate(ctx_, other, u).status()), 4103);
  absl::StatusOr<exchange::KeyUpdateAnswer> a = HandleKeyUpdate(ctx_, owner, u);
  ASSERT_THAT(a, IsOk());
  EXPECT_EQ(a->expiration_time, Now() + absl::Hours(3));
  EXPECT_EQ(a->target_ids, std::vector<std::string>{"T2"});
  EXPECT_FALSE(a->labels.has_value());  // Table 8.8.2.9-2 NOTE: not in the request
  EXPECT_EQ(store_->GetActiveKey(KeyIdOf(*reg))->target_ids, std::vector<std::string>{"T2"});
  // Labels alone: the answer carries the labels only.
  exchange::KeyUpdateRequest l;
  l.key = u.key;
  l.labels = exchange::Labels{"meter"};
  a = HandleKeyUpdate(ctx_, owner, l);
  ASSERT_THAT(a, IsOk());
  EXPECT_EQ(a->labels, exchange::Labels{"meter"});
  EXPECT_FALSE(a->expiration_time.has_value());
  EXPECT_FALSE(a->target_ids.has_value());
  EXPECT_EQ(store_->GetActiveKey(KeyIdOf(*reg))->labels, std::vector<std::string>{"meter"});
}

TEST_F(ProceduresTest, DeregistrationOfAClientEndsItsKeysAndRefusesOthersIds) {
  MafSession owner = Registered(1, "C-dev1");
  MafSession other = Registered(2, "C-dev2");
  absl::StatusOr<MafClient> owner_client = store_->GetActiveClientByKmId(owner.km_id);
  ASSERT_THAT(owner_client, IsOk());
  absl::StatusOr<exchange::KeyRegistrationAnswer> reg =
      HandleKeyRegistration(ctx_, owner, KeyFor({"T1"}));
  ASSERT_THAT(reg, IsOk());
  exchange::DeregistrationRequest d;
  d.maf_client_reg_id = owner_client->maf_client_reg_id;
  EXPECT_EQ(RscForStatus(HandleDeregistration(ctx_, other, d)), 4103);
  EXPECT_EQ(RscForStatus(HandleDeregistration(
                ctx_, other, exchange::DeregistrationRequest{std::nullopt, KeyIdOf(*reg)})),
            4103);
  ASSERT_THAT(HandleDeregistration(ctx_, owner, d), IsOk());
  EXPECT_THAT(store_->GetActiveKey(KeyIdOf(*reg)), StatusIs(absl::StatusCode::kNotFound));
  // Registered no more: key registration is refused until it registers again.
  EXPECT_EQ(RscForStatus(HandleKeyRegistration(ctx_, owner, KeyFor({"T1"})).status()), 4103);
  EXPECT_EQ(RscForStatus(HandleDeregistration(ctx_, owner, exchange::DeregistrationRequest{})),
            4000);
}

TEST_F(ProceduresTest, RegistrationsCheckMafFqdnAdminFqdnAndSuid) {
  MafSession s = NewSession(1, "C-dev1");
  exchange::ClientRegistrationRequest r = Reg();
  r.maf_fqdn = "other.example.com";
  EXPECT_EQ(RscForStatus(HandleClientRegistration(ctx_, s, r).status()), 4000);
  r = Reg();
  r.maf_fqdn = "MAF.Example.COM";  // DNS names compare case-insensitively
  EXPECT_THAT(HandleClientRegistration(ctx_, s, r), IsOk());
  r.admin_fqdn = "stranger.example.com";
  absl::Status denied = HandleClientRegistration(ctx_, s, r).status();
  EXPECT_EQ(RscForStatus(denied), 4103);
  EXPECT_NE(denied.message().find("adminFQDN"), std::string::npos);
  // A configured administrating stakeholder replaces the MAF-FQDN default.
  ctx_.admin_fqdn = "sp.example.com";
  r.admin_fqdn = kMaf;
  EXPECT_EQ(RscForStatus(HandleClientRegistration(ctx_, s, r).status()), 4103);
  r.admin_fqdn = "sp.example.com";
  absl::StatusOr<exchange::ClientRegistrationAnswer> a = HandleClientRegistration(ctx_, s, r);
  ASSERT_THAT(a, IsOk());
  EXPECT_EQ(a->admin_fqdn, "sp.example.com");
  exchange::KeyRegistrationRequest k = KeyFor({"T1"});
  EXPECT_EQ(RscForStatus(HandleKeyRegistration(ctx_, s, k).status()), 4103);
  k.admin_fqdn = "sp.example.com";
  k.suid = 42;  // an SAEF certificate, not a MAF-distributed key
  EXPECT_EQ(RscForStatus(HandleKeyRegistration(ctx_, s, k).status()), 4000);
  k.suid = 35;
  k.maf_fqdn = "other.example.com";
  EXPECT_EQ(RscForStatus(HandleKeyRegistration(ctx_, s, k).status()), 4000);
  k.maf_fqdn = kMaf;
  absl::StatusOr<exchange::KeyRegistrationAnswer> ka = HandleKeyRegistration(ctx_, s, k);
  ASSERT_THAT(ka, IsOk());
  EXPECT_EQ(ka->suid, 35);
  EXPECT_EQ(ka->admin_fqdn, "sp.example.com");
}

TEST_F(ProceduresTest, KeyRegistrationWithoutTargetIdsNamesTheSourceAndKeepsLabels) {
  MafSession s = Registered(1, "C-dev1");
  exchange::KeyRegistrationRequest r = KeyFor({});
  r.target_ids.reset();
  r.labels = exchange::Labels{"meter", "room:12"};
  absl::StatusOr<exchange::KeyRegistrationAnswer> a = HandleKeyRegistration(ctx_, s, r);
  ASSERT_THAT(a, IsOk());
  EXPECT_EQ(a->target_ids, std::vector<std::string>{"C-dev1"});
  EXPECT_EQ(a->labels, (exchange::Labels{"meter", "room:12"}));
  absl::StatusOr<exchange::KeyRetrievalAnswer> got =
      HandleKeyRetrieval(ctx_, s, {{a->relative_key_id, ""}});
  ASSERT_THAT(got, IsOk());
  EXPECT_EQ(got->labels, (exchange::Labels{"meter", "room:12"}));
}

TEST_F(ProceduresTest, ClientConfigRetrievalAnswersTheRegistrationsSecClientRegCfg) {
  ctx_.admin_fqdn = "sp.example.com";
  MafSession s = NewSession(1, "C-dev1", absl::Hours(5));
  exchange::ClientRegistrationRequest r = Reg();
  r.admin_fqdn = "sp.example.com";
  r.labels = exchange::Labels{"meter"};
  absl::StatusOr<exchange::ClientRegistrationAnswer> reg = HandleClientRegistration(ctx_, s, r);
  ASSERT_THAT(reg, IsOk());
  EXPECT_EQ(reg->labels, exchange::Labels{"meter"});
  absl::StatusOr<exchange::ClientConfigRetrievalAnswer> cfg =
      HandleClientConfigRetrieval(ctx_, s, {kMaf, reg->maf_client_reg_id});
  ASSERT_THAT(cfg, IsOk());
  EXPECT_EQ(cfg->maf_client_cfg.fqdn, kMaf);
  EXPECT_EQ(cfg->maf_client_cfg.admin_fqdn, "sp.example.com");
  EXPECT_EQ(cfg->maf_client_cfg.expiration_time, Now() + absl::Hours(5));
  EXPECT_EQ(cfg->maf_client_cfg.labels, exchange::Labels{"meter"});
  // Another client's registration id, or an unregistered client: 4103; another MAF: 4000.
  MafSession other = Registered(2, "C-dev2");
  EXPECT_EQ(RscForStatus(
                HandleClientConfigRetrieval(ctx_, other, {kMaf, reg->maf_client_reg_id}).status()),
            4103);
  MafSession unregistered = NewSession(3, "C-dev3");
  EXPECT_EQ(
      RscForStatus(
          HandleClientConfigRetrieval(ctx_, unregistered, {kMaf, reg->maf_client_reg_id}).status()),
      4103);
  EXPECT_EQ(RscForStatus(
                HandleClientConfigRetrieval(ctx_, s, {"other.example.com", reg->maf_client_reg_id})
                    .status()),
            4000);
}

TEST_F(ProceduresTest, ClientRegistrationUpdateChangesExpiryAndLabelsAndCapsKeys) {
  MafSession s = Registered(1, "C-dev1", absl::Hours(10));
  const std::string reg_id = RegId(s);
  absl::StatusOr<exchange::KeyRegistrationAnswer> key =
      HandleKeyRegistration(ctx_, s, KeyFor({"T1"}));
  ASSERT_THAT(key, IsOk());
  EXPECT_EQ(key->expiration_time, Now() + absl::Hours(10));
  // Shorten: the registration and its key follow; the answer has expirationTime only.
  exchange::ClientRegistrationUpdateRequest u{kMaf, reg_id, Now() + absl::Hours(2), std::nullopt};
  absl::StatusOr<exchange::ClientRegistrationUpdateAnswer> a =
      HandleClientRegistrationUpdate(ctx_, s, u);
  ASSERT_THAT(a, IsOk());
  EXPECT_EQ(a->expiration_time, Now() + absl::Hours(2));
  EXPECT_FALSE(a->labels.has_value());
  EXPECT_FALSE(a->assigned_symm_key_id.has_value());
  EXPECT_EQ(store_->GetActiveKey(KeyIdOf(*key))->expires_at, Now() + absl::Hours(2));
  // Extend beyond the Km: capped at it. Labels alone: the answer has labels only.
  u.expiration_time = Now() + absl::Hours(100);
  a = HandleClientRegistrationUpdate(ctx_, s, u);
  ASSERT_THAT(a, IsOk());
  EXPECT_EQ(a->expiration_time, Now() + absl::Hours(10));
  a = HandleClientRegistrationUpdate(ctx_, s, {kMaf, reg_id, std::nullopt, exchange::Labels{"x"}});
  ASSERT_THAT(a, IsOk());
  EXPECT_FALSE(a->expiration_time.has_value());
  EXPECT_EQ(a->labels, exchange::Labels{"x"});
  EXPECT_EQ(store_->GetActiveClientByKmId(s.km_id)->labels, std::vector<std::string>{"x"});
  // Errors.
  EXPECT_EQ(RscForStatus(HandleClientRegistrationUpdate(
                             ctx_, s, {kMaf, reg_id, Now() - absl::Seconds(1), std::nullopt})
                             .status()),
            4000);
  EXPECT_EQ(RscForStatus(
                HandleClientRegistrationUpdate(ctx_, s, {kMaf, reg_id, std::nullopt, std::nullopt})
                    .status()),
            4000);
  MafSession other = Registered(2, "C-dev2");
  EXPECT_EQ(RscForStatus(HandleClientRegistrationUpdate(
                             ctx_, other, {kMaf, reg_id, std::nullopt, exchange::Labels{"y"}})
                             .status()),
            4103);
}

TEST_F(ProceduresTest, ClientAndKeyDeregistrationAreSeparateProcedures) {
  MafSession owner = Registered(1, "C-dev1");
  MafSession other = Registered(2, "C-dev2");
  absl::StatusOr<exchange::KeyRegistrationAnswer> k1 =
      HandleKeyRegistration(ctx_, owner, KeyFor({"T1"}));
  ASSERT_THAT(k1, IsOk());
  // 8.8.2.10 Key De-Registration: RelativeKeyID + MAF-FQDN; only the registering client.
  exchange::KeyDeregistrationRequest kd{{k1->relative_key_id, kMaf}};
  EXPECT_EQ(RscForStatus(HandleKeyDeregistration(ctx_, other, kd)), 4103);
  ASSERT_THAT(HandleKeyDeregistration(ctx_, owner, kd), IsOk());
  EXPECT_EQ(RscForStatus(HandleKeyDeregistration(ctx_, owner, kd)), 4004);
  EXPECT_THAT(store_->GetActiveClientByKmId(owner.km_id), IsOk());  // the client stays
  // 8.8.2.6 Client De-Registration.
  const std::string reg_id = RegId(owner);
  EXPECT_EQ(RscForStatus(HandleClientDeregistration(ctx_, other, {kMaf, reg_id})), 4103);
  EXPECT_EQ(RscForStatus(HandleClientDeregistration(ctx_, owner, {"other.example.com", reg_id})),
            4000);
  ASSERT_THAT(HandleClientDeregistration(ctx_, owner, {kMaf, reg_id}), IsOk());
  EXPECT_THAT(store_->GetActiveClientByKmId(owner.km_id), StatusIs(absl::StatusCode::kNotFound));
}

}  // namespace
}  // namespace maf
}  // namespace onem2m

#include "common/crypto/key_id.h"
#include "common/exchange/rsc.h"
#include "maf/procedures/client_registration.h"
#include "maf/procedures/deregistration.h"
#include "maf/procedures/key_registration.h"
#include "maf/procedures/key_retrieval.h"
#include "maf/procedures/key_update.h"
#include "maf/procedures/procedure_test_fixture.h"

namespace onem2m {
namespace maf {
namespace {

using exchange::RscForStatus;

class ProceduresTest : public ProcedureTest {
 protected:
  // Registered returns a session whose client has registered.
  MafSession Registered(int i, const std::string& enrolee_id,
                        absl::Duration life = absl::Hours(24)) {
    MafSession s = NewSession(i, enrolee_id, life);
    EXPECT_TRUE(HandleClientRegistration(ctx_, s, {}).ok());
    return s;
  }
  exchange::KeyRegistrationRequest KeyFor(std::vector<std::string> targets) {
    exchange::KeyRegistrationRequest r;
    r.target_ids = std::move(targets);
    r.suid = 42;
    return r;
  }
};

TEST_F(ProceduresTest, ClientRegistrationAnswersRegIdEnroleeIdExpiryAndKmId) {
  MafSession s = NewSession(1, "C-dev1", absl::Hours(5));
  absl::StatusOr<exchange::ClientRegistrationAnswer> a = HandleClientRegistration(ctx_, s, {});
  ASSERT_TRUE(a.ok()) << a.status();
  EXPECT_FALSE(a->maf_client_reg_id.empty());
  EXPECT_EQ(a->maf_client_id, "C-dev1");
  EXPECT_EQ(a->assigned_symm_key_id, s.km_id);
  EXPECT_EQ(a->expiration_time, Now() + absl::Hours(5));
  absl::StatusOr<exchange::ClientRegistrationAnswer> again = HandleClientRegistration(ctx_, s, {});
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->maf_client_reg_id, a->maf_client_reg_id);
}

TEST_F(ProceduresTest, ClientRegistrationCapsRequestedExpiryAtTheKm) {
  MafSession s = NewSession(1, "C-dev1", absl::Hours(5));
  exchange::ClientRegistrationRequest r;
  r.expiration_time = Now() + absl::Hours(50);
  absl::StatusOr<exchange::ClientRegistrationAnswer> a = HandleClientRegistration(ctx_, s, r);
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(a->expiration_time, Now() + absl::Hours(5));
  MafSession t = NewSession(2, "C-dev2", absl::Hours(5));
  r.expiration_time = Now() - absl::Seconds(1);
  EXPECT_EQ(RscForStatus(HandleClientRegistration(ctx_, t, r).status()), 4000);
}

TEST_F(ProceduresTest, ClientRegistrationRefusedOnceTheKmIsRevokedOrExpired) {
  MafSession s = NewSession(1, "C-dev1", absl::Hours(1));
  ASSERT_TRUE(store_->RevokeByEnroleeId("C-dev1", Revocation{"mef", "x", {}}).ok());
  EXPECT_EQ(RscForStatus(HandleClientRegistration(ctx_, s, {}).status()), 4103);
  MafSession t = NewSession(2, "C-dev2", absl::Hours(1));
  Advance(absl::Hours(1));
  EXPECT_EQ(RscForStatus(HandleClientRegistration(ctx_, t, {}).status()), 4103);
}

TEST_F(ProceduresTest, KeyRegistrationRequiresARegisteredClient) {
  MafSession s = NewSession(1, "C-dev1");
  EXPECT_EQ(RscForStatus(HandleKeyRegistration(ctx_, s, KeyFor({"T1"})).status()), 4103);
}

TEST_F(ProceduresTest, KeyRegistrationExportsTheConnectionKeyAndStoresItSealed) {
  MafSession s = Registered(1, "C-dev1");
  absl::StatusOr<exchange::KeyRegistrationAnswer> a =
      HandleKeyRegistration(ctx_, s, KeyFor({"T1", "T2"}));
  ASSERT_TRUE(a.ok()) << a.status();
  SecretBytes exported = ExportFor(1);
  const std::string kc_id(exported.Reveal().substr(0, 16));
  EXPECT_EQ(a->key_id, *crypto::FormatKeyId(kc_id, kMaf));
  EXPECT_EQ(a->expiration_time, Now() + absl::Hours(24));
  absl::StatusOr<MafKey> k = store_->GetActiveKey(a->key_id);
  ASSERT_TRUE(k.ok());
  EXPECT_EQ(k->suid, 42u);
  EXPECT_EQ(k->client_id, "C-dev1");
  absl::StatusOr<SecretBytes> opened = envelope_.Open(k->key.ciphertext, a->key_id);
  ASSERT_TRUE(opened.ok());
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
  ASSERT_TRUE(a.ok()) << a.status();
  EXPECT_EQ(a->expiration_time, Now() + absl::Hours(2));
  EXPECT_TRUE(crypto::ParseKeyId(a->key_id).ok());
  absl::StatusOr<MafKey> k = store_->GetActiveKey(a->key_id);
  ASSERT_TRUE(k.ok());
  EXPECT_TRUE(envelope_.Open(k->key.ciphertext, a->key_id)->Equals(*r.key_value));
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
  ASSERT_TRUE(reg.ok());
  std::string lower = reg->key_id;
  for (size_t i = 0; i < 32; ++i) lower[i] = static_cast<char>(std::tolower(lower[i]));
  absl::StatusOr<exchange::KeyRetrievalAnswer> a =
      HandleKeyRetrieval(ctx_, target, exchange::KeyRetrievalRequest{lower});
  ASSERT_TRUE(a.ok()) << a.status();
  EXPECT_TRUE(a->key_value.Equals(SecretBytes::Copy(ExportFor(1).Reveal().substr(16, 32))));
  EXPECT_EQ(a->suid, 42);
  EXPECT_EQ(a->expiration_time, reg->expiration_time);
}

TEST_F(ProceduresTest, KeyRetrievalRefusesTargetNotInTargetIds) {
  MafSession owner = Registered(1, "C-dev1");
  MafSession intruder = NewSession(2, "C-intruder");
  absl::StatusOr<exchange::KeyRegistrationAnswer> reg =
      HandleKeyRegistration(ctx_, owner, KeyFor({"C-target"}));
  ASSERT_TRUE(reg.ok());
  EXPECT_EQ(RscForStatus(
                HandleKeyRetrieval(ctx_, intruder, exchange::KeyRetrievalRequest{reg->key_id})
                    .status()),
            4103);
}

TEST_F(ProceduresTest, KeyRetrievalOfUnknownExpiredOrForeignKeys) {
  MafSession owner = Registered(1, "C-dev1");
  MafSession target = NewSession(2, "C-target");
  absl::StatusOr<exchange::KeyRegistrationAnswer> reg =
      HandleKeyRegistration(ctx_, owner, KeyFor({"C-target"}));
  ASSERT_TRUE(reg.ok());
  std::string unknown = reg->key_id;
  unknown[0] = unknown[0] == 'A' ? 'B' : 'A';
  EXPECT_EQ(RscForStatus(
                HandleKeyRetrieval(ctx_, target, exchange::KeyRetrievalRequest{unknown}).status()),
            4004);
  std::string foreign = reg->key_id.substr(0, 33) + "other.example.com";
  EXPECT_EQ(RscForStatus(
                HandleKeyRetrieval(ctx_, target, exchange::KeyRetrievalRequest{foreign}).status()),
            4000);
  EXPECT_EQ(RscForStatus(
                HandleKeyRetrieval(ctx_, target, exchange::KeyRetrievalRequest{"junk"}).status()),
            4000);
  ASSERT_TRUE(
      HandleDeregistration(ctx_, owner, exchange::DeregistrationRequest{std::nullopt, reg->key_id})
          .ok());
  EXPECT_EQ(RscForStatus(
                HandleKeyRetrieval(ctx_, target, exchange::KeyRetrievalRequest{reg->key_id})
                    .status()),
            4004);
}

TEST_F(ProceduresTest, KeyUpdateOnlyByTheRegisteringClientAndCapped) {
  MafSession owner = Registered(1, "C-dev1", absl::Hours(3));
  MafSession other = Registered(2, "C-dev2");
  absl::StatusOr<exchange::KeyRegistrationAnswer> reg =
      HandleKeyRegistration(ctx_, owner, KeyFor({"T1"}));
  ASSERT_TRUE(reg.ok());
  exchange::KeyUpdateRequest u;
  u.key_id = reg->key_id;
  u.target_ids = std::vector<std::string>{"T2"};
  u.expiration_time = Now() + absl::Hours(30);
  EXPECT_EQ(RscForStatus(HandleKeyUpdate(ctx_, other, u).status()), 4103);
  absl::StatusOr<exchange::KeyUpdateAnswer> a = HandleKeyUpdate(ctx_, owner, u);
  ASSERT_TRUE(a.ok()) << a.status();
  EXPECT_EQ(a->expiration_time, Now() + absl::Hours(3));
  EXPECT_EQ(store_->GetActiveKey(reg->key_id)->target_ids, std::vector<std::string>{"T2"});
}

TEST_F(ProceduresTest, DeregistrationOfAClientEndsItsKeysAndRefusesOthersIds) {
  MafSession owner = Registered(1, "C-dev1");
  MafSession other = Registered(2, "C-dev2");
  absl::StatusOr<MafClient> owner_client = store_->GetActiveClientByKmId(owner.km_id);
  ASSERT_TRUE(owner_client.ok());
  absl::StatusOr<exchange::KeyRegistrationAnswer> reg =
      HandleKeyRegistration(ctx_, owner, KeyFor({"T1"}));
  ASSERT_TRUE(reg.ok());
  exchange::DeregistrationRequest d;
  d.maf_client_reg_id = owner_client->maf_client_reg_id;
  EXPECT_EQ(RscForStatus(HandleDeregistration(ctx_, other, d)), 4103);
  EXPECT_EQ(RscForStatus(HandleDeregistration(ctx_, other,
                                              exchange::DeregistrationRequest{
                                                  std::nullopt, reg->key_id})),
            4103);
  ASSERT_TRUE(HandleDeregistration(ctx_, owner, d).ok());
  EXPECT_EQ(store_->GetActiveKey(reg->key_id).status().code(), absl::StatusCode::kNotFound);
  // Registered no more: key registration is refused until it registers again.
  EXPECT_EQ(RscForStatus(HandleKeyRegistration(ctx_, owner, KeyFor({"T1"})).status()), 4103);
  EXPECT_EQ(RscForStatus(HandleDeregistration(ctx_, owner, exchange::DeregistrationRequest{})),
            4000);
}

}  // namespace
}  // namespace maf
}  // namespace onem2m

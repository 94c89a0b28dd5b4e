// End to end, over TLS and DTLS, the MAF's key procedures after a real bootstrap at the MEF
// (maf_procedures_e2e_fixture.h): Key Registration Update (TS-0003 8.8.2.9), Key De-Registration
// through the combined alias (8.8.2.10), and Key Retrieval by RelativeKeyID with the table's
// metadata (8.8.2.8), checked from the device and from a backend Target's MafKeyService.
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "common/crypto/key_id.h"
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
                         e2e::TransportParamName);

}  // namespace
}  // namespace onem2m

// The MafStoreTest cases for registered keys, client updates and revocations that reach keys, key
// lists, KEK rewrap and a revocation racing key registrations, run against every MafStore
// (maf_store_test_suite.h).
#include <algorithm>
#include <atomic>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "common/crypto/key_id.h"
#include "common/testing/status_matchers.h"
#include "maf/store/maf_store_test_fixture.h"

namespace onem2m {
namespace maf {
namespace {

using namespace store_test;  // NOLINT(build/namespaces): the suite's shared helpers
using ::onem2m::testing::IsOk;
using ::onem2m::testing::StatusIs;

TEST_P(MafStoreTest, RegisterKeyRequiresAnActiveClient) {
  MAKE_FIXTURE();
  MafClient ghost;
  ghost.maf_client_reg_id = "MC00";
  EXPECT_THAT(store.RegisterKey(f.Key(1, ghost, {"T1"})),
              StatusIs(absl::StatusCode::kFailedPrecondition));
  MafClient c = f.Registered(1);
  ASSERT_THAT(store.DeregisterClient(c.maf_client_reg_id), IsOk());
  EXPECT_THAT(store.RegisterKey(f.Key(1, c, {"T1"})),
              StatusIs(absl::StatusCode::kFailedPrecondition));
}

TEST_P(MafStoreTest, RegisterKeyStoresEverythingAndRefusesDuplicates) {
  MAKE_FIXTURE();
  MafClient c = f.Registered(1);
  absl::StatusOr<MafKey> k = store.RegisterKey(f.Key(1, c, {"T1", "T2"}));
  ASSERT_THAT(k, IsOk());
  absl::StatusOr<MafKey> got = store.GetActiveKey(KeyId(1));
  ASSERT_THAT(got, IsOk());
  EXPECT_EQ(got->key.ciphertext, "sealed-key-1");
  EXPECT_EQ(got->suid, 42u);
  EXPECT_EQ(got->target_ids, (std::vector<std::string>{"T1", "T2"}));
  EXPECT_EQ(got->km_id, KmId(1));
  EXPECT_EQ(got->client_id, "C-dev1");
  EXPECT_EQ(got->maf_client_reg_id, c.maf_client_reg_id);
  EXPECT_EQ(got->expires_at, kT0 + absl::Hours(1));
  EXPECT_THAT(store.RegisterKey(f.Key(1, c, {"T1"})), StatusIs(absl::StatusCode::kAlreadyExists));
}

TEST_P(MafStoreTest, RegisterKeyRefusesExpiryAfterTheClientsAndBadTargets) {
  MAKE_FIXTURE();
  MafClient c = f.Registered(1, absl::Hours(1));
  EXPECT_THAT(store.RegisterKey(f.Key(1, c, {"T1"}, absl::Hours(2))),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(store.RegisterKey(f.Key(1, c, {})), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(store.RegisterKey(f.Key(1, c, {"T1", "T1"})),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(store.RegisterKey(f.Key(1, c, {"has space"})),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST_P(MafStoreTest, KeyIsNotFoundOnceExpired) {
  MAKE_FIXTURE();
  MafClient c = f.Registered(1);
  ASSERT_THAT(store.RegisterKey(f.Key(1, c, {"T1"}, absl::Minutes(5))), IsOk());
  f.Advance(absl::Minutes(5));
  EXPECT_THAT(store.GetActiveKey(KeyId(1)), StatusIs(absl::StatusCode::kNotFound));
  EXPECT_EQ(EffectiveKeyState(*store.GetKey(KeyId(1)), f.Now()), EffectiveState::kExpired);
}

TEST_P(MafStoreTest, UpdateKeyOnlyByTheRegisteringClient) {
  MAKE_FIXTURE();
  MafClient a = f.Registered(1);
  MafClient b = f.Registered(2);
  ASSERT_THAT(store.RegisterKey(f.Key(1, a, {"T1"})), IsOk());
  KeyUpdate u;
  u.target_ids = std::vector<std::string>{"T3"};
  u.suid = 7;
  u.expires_at = kT0 + absl::Hours(2);
  EXPECT_THAT(store.UpdateKey(KeyId(1), b.maf_client_reg_id, u),
              StatusIs(absl::StatusCode::kPermissionDenied));
  absl::StatusOr<MafKey> k = store.UpdateKey(KeyId(1), a.maf_client_reg_id, u);
  ASSERT_THAT(k, IsOk());
  EXPECT_EQ(k->target_ids, std::vector<std::string>{"T3"});
  EXPECT_EQ(k->suid, 7u);
  EXPECT_EQ(k->expires_at, kT0 + absl::Hours(2));
  EXPECT_EQ(k->key.ciphertext, "sealed-key-1");
  u = KeyUpdate();
  u.expires_at = kT0 + absl::Hours(25);  // past the client's expiry
  EXPECT_THAT(store.UpdateKey(KeyId(1), a.maf_client_reg_id, u),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(store.UpdateKey(KeyId(9), a.maf_client_reg_id, KeyUpdate()),
              StatusIs(absl::StatusCode::kNotFound));
}

// MAF Client Registration Update (TS-0003 8.8.2.5) and labels (8.8.2.3, 8.8.2.7, 8.8.2.9).
TEST_P(MafStoreTest, UpdateClientChangesExpiryAndLabelsAndCapsTheKeys) {
  MAKE_FIXTURE();
  MafClient a = f.Registered(1, absl::Hours(10));
  MafClient b = f.Registered(2);
  MafKey k = f.Key(1, a, {"T1"}, absl::Hours(8));
  k.labels = {"meter", "room:1"};
  ASSERT_THAT(store.RegisterKey(k), IsOk());
  EXPECT_EQ(store.GetKey(KeyId(1))->labels, (std::vector<std::string>{"meter", "room:1"}));

  ClientUpdate u;
  u.labels = std::vector<std::string>{"fleet:north"};
  absl::StatusOr<MafClient> c = store.UpdateClient(a.maf_client_reg_id, KmId(1), u);
  ASSERT_THAT(c, IsOk());
  EXPECT_EQ(c->labels, std::vector<std::string>{"fleet:north"});
  EXPECT_EQ(c->expires_at, kT0 + absl::Hours(10));
  EXPECT_EQ(store.GetActiveClientByKmId(KmId(1))->labels,
            std::vector<std::string>{"fleet:north"});
  // Shorter: the key follows. Longer than the Km: capped at it.
  u = ClientUpdate();
  u.expires_at = kT0 + absl::Hours(2);
  c = store.UpdateClient(a.maf_client_reg_id, KmId(1), u);
  ASSERT_THAT(c, IsOk());
  EXPECT_EQ(c->expires_at, kT0 + absl::Hours(2));
  EXPECT_EQ(c->labels, std::vector<std::string>{"fleet:north"});
  EXPECT_EQ(store.GetKey(KeyId(1))->expires_at, kT0 + absl::Hours(2));
  u.expires_at = kT0 + absl::Hours(99);
  c = store.UpdateClient(a.maf_client_reg_id, KmId(1), u);
  ASSERT_THAT(c, IsOk());
  EXPECT_EQ(c->expires_at, kT0 + absl::Hours(10));
  EXPECT_EQ(store.GetKey(KeyId(1))->expires_at, kT0 + absl::Hours(2));  // keys never grow
  // Errors.
  EXPECT_THAT(store.UpdateClient(a.maf_client_reg_id, KmId(2), u),
              StatusIs(absl::StatusCode::kPermissionDenied));
  EXPECT_THAT(store.UpdateClient("MCnope", KmId(1), u), StatusIs(absl::StatusCode::kNotFound));
  u.expires_at = kT0;
  EXPECT_THAT(store.UpdateClient(a.maf_client_reg_id, KmId(1), u),
              StatusIs(absl::StatusCode::kInvalidArgument));
  ClientUpdate bad;
  bad.labels = std::vector<std::string>{"a\nb"};
  EXPECT_THAT(store.UpdateClient(a.maf_client_reg_id, KmId(1), bad),
              StatusIs(absl::StatusCode::kInvalidArgument));
  // A key update replaces the labels; clearing needs an empty list.
  KeyUpdate ku;
  ku.labels = std::vector<std::string>{"x"};
  absl::StatusOr<MafKey> key = f.store->UpdateKey(KeyId(1), a.maf_client_reg_id, ku);
  ASSERT_THAT(key, IsOk());
  EXPECT_EQ(key->labels, std::vector<std::string>{"x"});
  EXPECT_EQ(f.store->GetKey(KeyId(1))->labels, std::vector<std::string>{"x"});
  // A de-registered client cannot be updated.
  ASSERT_THAT(f.store->DeregisterClient(b.maf_client_reg_id), IsOk());
  ClientUpdate l;
  l.labels = std::vector<std::string>{"y"};
  EXPECT_THAT(f.store->UpdateClient(b.maf_client_reg_id, KmId(2), l),
              StatusIs(absl::StatusCode::kNotFound));
}

TEST_P(MafStoreTest, DeregisterKeyOnlyByTheRegisteringClient) {
  MAKE_FIXTURE();
  MafClient a = f.Registered(1);
  MafClient b = f.Registered(2);
  ASSERT_THAT(store.RegisterKey(f.Key(1, a, {"T1"})), IsOk());
  EXPECT_THAT(store.DeregisterKey(KeyId(1), b.maf_client_reg_id),
              StatusIs(absl::StatusCode::kPermissionDenied));
  EXPECT_THAT(store.DeregisterKey(KeyId(1), a.maf_client_reg_id), IsOk());
  EXPECT_THAT(store.DeregisterKey(KeyId(1), a.maf_client_reg_id),
              StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(store.GetActiveKey(KeyId(1)), StatusIs(absl::StatusCode::kNotFound));
}

TEST_P(MafStoreTest, RevokeClientRevokesItsKeysAndCredential) {
  MAKE_FIXTURE();
  MafClient a = f.Registered(1);
  MafClient b = f.Registered(2);
  ASSERT_THAT(store.RegisterKey(f.Key(1, a, {"T1"})), IsOk());
  ASSERT_THAT(store.RegisterKey(f.Key(2, b, {"T1"})), IsOk());
  absl::StatusOr<MafClient> r = store.RevokeClient(a.maf_client_reg_id, kWhy);
  ASSERT_THAT(r, IsOk());
  EXPECT_EQ(r->state, ClientState::kRevoked);
  EXPECT_EQ(r->revocation->reason, "test");
  EXPECT_THAT(store.GetActiveKey(KeyId(1)), StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(store.GetActiveKey(KeyId(2)), IsOk());
  EXPECT_THAT(store.GetCredentialByKmId(KmId(1)), StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_THAT(store.RegisterClient(KmId(1), absl::InfiniteFuture()),
              StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_THAT(store.RevokeClient(a.maf_client_reg_id, kWhy), IsOk());  // idempotent
  EXPECT_THAT(store.RevokeClient("MCnope", kWhy), StatusIs(absl::StatusCode::kNotFound));
}

TEST_P(MafStoreTest, RevokeKeyIsIdempotent) {
  MAKE_FIXTURE();
  MafClient a = f.Registered(1);
  ASSERT_THAT(store.RegisterKey(f.Key(1, a, {"T1"})), IsOk());
  absl::StatusOr<MafKey> k = store.RevokeKey(KeyId(1), kWhy);
  ASSERT_THAT(k, IsOk());
  EXPECT_EQ(k->state, KeyState::kRevoked);
  ASSERT_TRUE(k->revocation.has_value());
  EXPECT_EQ(k->revocation->time, kT0);
  f.Advance(absl::Seconds(5));
  k = store.RevokeKey(KeyId(1), kWhy);
  ASSERT_THAT(k, IsOk());
  EXPECT_EQ(k->revocation->time, kT0);
  EXPECT_THAT(store.GetActiveKey(KeyId(1)), StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(store.RevokeKey(KeyId(9), kWhy), StatusIs(absl::StatusCode::kNotFound));
}

TEST_P(MafStoreTest, ListKeysFiltersByTargetClientAndStateWithActiveCounts) {
  MAKE_FIXTURE();
  MafClient a = f.Registered(1);
  MafClient b = f.Registered(2);
  ASSERT_THAT(store.RegisterKey(f.Key(1, a, {"T1", "T2"})), IsOk());
  ASSERT_THAT(store.RegisterKey(f.Key(2, a, {"T2"}, absl::Minutes(1))), IsOk());
  ASSERT_THAT(store.RegisterKey(f.Key(3, b, {"T3"})), IsOk());
  f.Advance(absl::Minutes(2));
  ListKeysRequest req;
  req.target_id = "T2";
  absl::StatusOr<ListKeysResponse> r = store.ListKeys(req);
  ASSERT_THAT(r, IsOk());
  ASSERT_EQ(r->keys.size(), 2u);
  EXPECT_EQ(r->keys[0].key_id, KeyId(1));
  req.state = EffectiveState::kExpired;
  r = store.ListKeys(req);
  ASSERT_EQ(r->keys.size(), 1u);
  EXPECT_EQ(r->keys[0].key_id, KeyId(2));
  ListKeysRequest by_client;
  by_client.maf_client_reg_id = b.maf_client_reg_id;
  r = store.ListKeys(by_client);
  ASSERT_EQ(r->keys.size(), 1u);
  EXPECT_EQ(r->keys[0].key_id, KeyId(3));
  EXPECT_EQ(store.GetClient(a.maf_client_reg_id)->active_key_count, 1);
}

// KEK rotation (docs/operations.md "Rotate the key-encryption key (KEK)"): counts per version,
// batched re-sealing with the row id as associated data, revoked (wiped) Km left alone.
TEST_P(MafStoreTest, CountKekVersionsAndRewrapBatchResealEveryColumn) {
  MAKE_FIXTURE();
  MafClient c1 = f.Registered(1);
  MafClient c2 = f.Registered(2);
  f.Registered(3);
  ASSERT_THAT(store.RegisterKey(f.Key(1, c1, {"T1"})), IsOk());
  ASSERT_THAT(store.RegisterKey(f.Key(2, c2, {"T1"})), IsOk());
  ASSERT_THAT(store.RevokeByKeId(KeId(3), kWhy), IsOk());  // wipes Km 3: nothing to re-seal

  absl::StatusOr<std::vector<KekVersionCount>> counts = store.CountKekVersions();
  ASSERT_THAT(counts, IsOk());
  ASSERT_EQ(counts->size(), 2u);
  EXPECT_EQ((*counts)[0].column, SealedColumn::kCredentialKm);
  EXPECT_EQ((*counts)[0].kek_version, 1);
  EXPECT_EQ((*counts)[0].rows, 2);
  EXPECT_EQ((*counts)[1].column, SealedColumn::kKeyValue);
  EXPECT_EQ((*counts)[1].rows, 2);
  EXPECT_EQ(SealedColumnName((*counts)[1].column), "maf_keys.key");

  std::vector<std::string> seen;
  Resealer reseal = [&seen](SealedColumn column, absl::string_view id,
                            const SealedKey& old) -> absl::StatusOr<SealedKey> {
    seen.push_back(absl::StrCat(SealedColumnName(column), ":", id));
    return SealedKey{"v2:" + old.ciphertext, 2};
  };
  absl::StatusOr<RewrapResult> r = store.RewrapBatch(2, 3, reseal);
  ASSERT_THAT(r, IsOk());
  EXPECT_EQ(r->rewrapped, 3);
  EXPECT_EQ(r->raced, 0);
  EXPECT_EQ(r->left, 1);
  // Credentials come first, each named by the id its blob is bound to.
  ASSERT_EQ(seen.size(), 3u);
  EXPECT_EQ(seen[0].rfind("maf_credentials.km:", 0), 0u) << seen[0];
  r = store.RewrapBatch(2, 10, reseal);
  ASSERT_THAT(r, IsOk());
  EXPECT_EQ(r->rewrapped, 1);
  EXPECT_EQ(r->left, 0);
  r = store.RewrapBatch(2, 10, reseal);  // resuming after completion is a no-op
  ASSERT_THAT(r, IsOk());
  EXPECT_EQ(r->rewrapped, 0);
  EXPECT_EQ(r->left, 0);

  absl::StatusOr<MafCredential> cred = store.GetCredentialByKmId(KmId(1));
  ASSERT_THAT(cred, IsOk());
  EXPECT_EQ(cred->km.ciphertext, "v2:sealed-km-1");
  EXPECT_EQ(cred->km.kek_version, 2);
  absl::StatusOr<MafKey> key = store.GetKey(KeyId(2));
  ASSERT_THAT(key, IsOk());
  EXPECT_EQ(key->key.ciphertext, "v2:sealed-key-2");
  EXPECT_EQ(key->key.kek_version, 2);
  EXPECT_EQ(key->state, KeyState::kActive);
  counts = store.CountKekVersions();
  ASSERT_THAT(counts, IsOk());
  ASSERT_EQ(counts->size(), 2u);
  EXPECT_EQ((*counts)[0].kek_version, 2);
  EXPECT_EQ((*counts)[1].kek_version, 2);
}

TEST_P(MafStoreTest, RewrapBatchLosesToAConcurrentWriterAndStopsOnResealError) {
  MAKE_FIXTURE();
  MafClient c = f.Registered(1);
  ASSERT_THAT(store.RegisterKey(f.Key(1, c, {"T1"})), IsOk());
  // The re-sealer runs between the read and the update: a key update landing then wins.
  Resealer racing = [&](SealedColumn column, absl::string_view,
                        const SealedKey& old) -> absl::StatusOr<SealedKey> {
    if (column == SealedColumn::kKeyValue) {
      KeyUpdate u;
      u.key = SealedKey{"new-value", 1};
      EXPECT_THAT(store.UpdateKey(KeyId(1), c.maf_client_reg_id, u), IsOk());
    }
    return SealedKey{"v2:" + old.ciphertext, 2};
  };
  absl::StatusOr<RewrapResult> r = store.RewrapBatch(2, 10, racing);
  ASSERT_THAT(r, IsOk());
  EXPECT_EQ(r->rewrapped, 1);
  EXPECT_EQ(r->raced, 1);
  EXPECT_EQ(r->left, 1);
  absl::StatusOr<MafKey> key = store.GetKey(KeyId(1));
  ASSERT_THAT(key, IsOk());
  EXPECT_EQ(key->key.ciphertext, "new-value");

  Resealer failing = [](SealedColumn, absl::string_view,
                        const SealedKey&) -> absl::StatusOr<SealedKey> {
    return absl::DataLossError("cannot open");
  };
  EXPECT_THAT(store.RewrapBatch(2, 10, failing), StatusIs(absl::StatusCode::kDataLoss));
}

TEST_P(MafStoreTest, RevocationRacingKeyRegistrationsLeavesNoActiveKey) {
  MAKE_FIXTURE();
  MafClient c = f.Registered(1);
  std::atomic<int> registered{0};
  std::vector<std::thread> writers;
  for (int t = 0; t < 4; ++t) {
    writers.emplace_back([&, t] {
      for (int i = 0; i < 10; ++i) {
        if (store.RegisterKey(f.Key(t * 10 + i + 1, c, {"T1"})).ok()) ++registered;
      }
    });
  }
  std::thread revoker([&] { EXPECT_THAT(store.RevokeByKeId(KeId(1), kWhy), IsOk()); });
  for (auto& w : writers) w.join();
  revoker.join();
  // Whatever got in before the revocation was revoked with it; nothing got in after.
  ListKeysRequest active;
  active.state = EffectiveState::kActive;
  absl::StatusOr<ListKeysResponse> r = store.ListKeys(active);
  ASSERT_THAT(r, IsOk());
  EXPECT_TRUE(r->keys.empty()) << r->keys.size() << " of " << registered << " keys still active";
}

}  // namespace
}  // namespace maf
}  // namespace onem2m

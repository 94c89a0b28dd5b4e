#include "maf/store/maf_store_test_suite.h"

#include <algorithm>
#include <atomic>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "common/crypto/key_id.h"
#include "common/testing/status_matchers.h"
#include "common/time/testing/fake_clock.h"

namespace onem2m {
namespace maf {
namespace {

using ::onem2m::testing::IsOk;
using ::onem2m::testing::StatusIs;

constexpr char kMaf[] = "maf.example.com";
constexpr char kMef[] = "mef.example.com";
const absl::Time kT0 = absl::FromUnixSeconds(1800000000);

std::string Id(int i, const char* fqdn, char tag) {
  std::string rel(16, tag);
  rel[15] = static_cast<char>(i);
  return *crypto::FormatKeyId(rel, fqdn);
}
std::string KmId(int i) { return Id(i, kMaf, 'K'); }
std::string KeId(int i) { return Id(i, kMef, 'E'); }
std::string KeyId(int i) { return Id(i, kMaf, 'C'); }

MafCredential Cred(int i, absl::Time expires, const std::string& enrolee = "") {
  MafCredential c;
  c.km_id = KmId(i);
  c.ke_id = KeId(i);
  c.km = SealedKey{absl::StrCat("sealed-km-", i), 1};
  c.enrolee_id = enrolee.empty() ? absl::StrCat("C-dev", i) : enrolee;
  c.mef_fqdn = kMef;
  c.expires_at = expires;
  return c;
}

class Fixture {
 public:
  explicit Fixture(const MafStoreFactory& factory) { store = factory(&clock); }
  void Advance(absl::Duration d) { clock.Advance(d); }
  absl::Time Now() { return clock.Now(); }
  MafKey Key(int i, const MafClient& client, std::vector<std::string> targets,
             absl::Duration life = absl::Hours(1)) {
    MafKey k;
    k.key_id = KeyId(i);
    k.relative_id = k.key_id.substr(0, 32);
    k.key = SealedKey{absl::StrCat("sealed-key-", i), 1};
    k.suid = 42;
    k.target_ids = std::move(targets);
    k.maf_client_reg_id = client.maf_client_reg_id;
    k.expires_at = Now() + life;
    return k;
  }
  // Registered returns an active client for credential i (expiring in `life`).
  MafClient Registered(int i, absl::Duration life = absl::Hours(24)) {
    EXPECT_THAT(store->PutCredential(Cred(i, Now() + life)), IsOk());
    absl::StatusOr<MafClient> c = store->RegisterClient(KmId(i), absl::InfiniteFuture());
    EXPECT_THAT(c, IsOk());
    return c.ok() ? *c : MafClient();
  }

  FakeClock clock{kT0};
  std::unique_ptr<MafStore> store;
};

#define MAKE_FIXTURE()                                         \
  Fixture f(GetParam());                                       \
  if (f.store == nullptr) GTEST_SKIP() << "store unavailable"; \
  MafStore& store = *f.store

const Revocation kWhy{"admin.example.com", "test", absl::InfinitePast()};

TEST_P(MafStoreTest, PutThenGetCredentialByKmIdAndKeId) {
  MAKE_FIXTURE();
  absl::StatusOr<MafCredential> put = store.PutCredential(Cred(1, kT0 + absl::Hours(1)));
  ASSERT_THAT(put, IsOk());
  EXPECT_EQ(put->created_at, kT0);
  absl::StatusOr<MafCredential> a = store.GetCredentialByKmId(KmId(1));
  absl::StatusOr<MafCredential> b = store.GetCredentialByKeId(KeId(1));
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ(a->km.ciphertext, "sealed-km-1");
  EXPECT_EQ(a->km.kek_version, 1);
  EXPECT_EQ(b->km_id, KmId(1));
  EXPECT_EQ(a->enrolee_id, "C-dev1");
  EXPECT_EQ(a->expires_at, kT0 + absl::Hours(1));
  EXPECT_FALSE(a->revoked);
}

TEST_P(MafStoreTest, PutCredentialIsIdempotentAndKeepsFirstRow) {
  MAKE_FIXTURE();
  ASSERT_THAT(store.PutCredential(Cred(1, kT0 + absl::Hours(1))), IsOk());
  MafCredential again = Cred(1, kT0 + absl::Hours(2));
  again.km.ciphertext = "other";
  absl::StatusOr<MafCredential> put = store.PutCredential(again);
  ASSERT_THAT(put, IsOk());
  EXPECT_EQ(put->km.ciphertext, "sealed-km-1");
}

TEST_P(MafStoreTest, PutCredentialWithKeIdUnderAnotherKmIdFails) {
  MAKE_FIXTURE();
  ASSERT_THAT(store.PutCredential(Cred(1, kT0 + absl::Hours(1))), IsOk());
  MafCredential other = Cred(2, kT0 + absl::Hours(1));
  other.ke_id = KeId(1);
  EXPECT_THAT(store.PutCredential(other), StatusIs(absl::StatusCode::kAlreadyExists));
}

TEST_P(MafStoreTest, PutCredentialRejectsInvalidFields) {
  MAKE_FIXTURE();
  MafCredential c = Cred(1, kT0 + absl::Hours(1));
  c.km_id = absl::AsciiStrToLower(c.km_id);
  EXPECT_THAT(store.PutCredential(c), StatusIs(absl::StatusCode::kInvalidArgument));
  c = Cred(1, kT0 + absl::Hours(1));
  c.mef_fqdn = "other.example.com";
  EXPECT_THAT(store.PutCredential(c), StatusIs(absl::StatusCode::kInvalidArgument));
  c = Cred(1, absl::InfiniteFuture());
  EXPECT_THAT(store.PutCredential(c), StatusIs(absl::StatusCode::kInvalidArgument));
  c = Cred(1, kT0 + absl::Hours(1));
  c.km.ciphertext.clear();
  EXPECT_THAT(store.PutCredential(c), StatusIs(absl::StatusCode::kInvalidArgument));
}

// docs/protocol.md 7, "Identity privacy": the decoy write of an unknown KeID stores nothing, also
// when a stored credential has the same identifiers, and validates like PutCredential.
TEST_P(MafStoreTest, WriteDecoyCredentialStoresNothing) {
  MAKE_FIXTURE();
  ASSERT_THAT(store.WriteDecoyCredential(Cred(1, kT0 + absl::Hours(1))), IsOk());
  EXPECT_THAT(store.GetCredentialByKmId(KmId(1)), StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(store.GetCredentialByKeId(KeId(1)), StatusIs(absl::StatusCode::kNotFound));
  ASSERT_THAT(store.PutCredential(Cred(2, kT0 + absl::Hours(1))), IsOk());
  MafCredential same = Cred(2, kT0 + absl::Hours(2));
  same.km.ciphertext = "other";
  ASSERT_THAT(store.WriteDecoyCredential(same), IsOk());
  absl::StatusOr<MafCredential> kept = store.GetCredentialByKmId(KmId(2));
  ASSERT_THAT(kept, IsOk());
  EXPECT_EQ(kept->km.ciphertext, "sealed-km-2");
  EXPECT_EQ(kept->expires_at, kT0 + absl::Hours(1));
  MafCredential bad = Cred(3, kT0 + absl::Hours(1));
  bad.km.ciphertext.clear();
  EXPECT_THAT(store.WriteDecoyCredential(bad), StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST_P(MafStoreTest, ExpiredCredentialIsNotFound) {
  MAKE_FIXTURE();
  ASSERT_THAT(store.PutCredential(Cred(1, kT0 + absl::Minutes(1))), IsOk());
  f.Advance(absl::Minutes(1));
  EXPECT_THAT(store.GetCredentialByKmId(KmId(1)), StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(store.GetCredentialByKeId(KeId(1)), StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(store.RegisterClient(KmId(1), absl::InfiniteFuture()),
              StatusIs(absl::StatusCode::kFailedPrecondition));
}

TEST_P(MafStoreTest, RevokeByKeIdWipesKmAndRevokesClientAndKeys) {
  MAKE_FIXTURE();
  MafClient c = f.Registered(1);
  ASSERT_THAT(store.RegisterKey(f.Key(1, c, {"T1"})), IsOk());
  absl::StatusOr<std::vector<std::string>> r = store.RevokeByKeId(KeId(1), kWhy);
  ASSERT_THAT(r, IsOk());
  EXPECT_EQ(*r, std::vector<std::string>{KmId(1)});
  EXPECT_THAT(store.GetCredentialByKmId(KmId(1)), StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_THAT(store.GetCredentialByKeId(KeId(1)), StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_THAT(store.GetActiveClientByKmId(KmId(1)), StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(store.GetActiveKey(KeyId(1)), StatusIs(absl::StatusCode::kNotFound));
  absl::StatusOr<MafClient> admin = store.GetClient(c.maf_client_reg_id);
  ASSERT_THAT(admin, IsOk());
  EXPECT_EQ(admin->state, ClientState::kRevoked);
  ASSERT_TRUE(admin->revocation.has_value());
  EXPECT_EQ(admin->revocation->actor, "admin.example.com");
  absl::StatusOr<MafKey> key = store.GetKey(KeyId(1));
  ASSERT_THAT(key, IsOk());
  EXPECT_EQ(key->state, KeyState::kRevoked);
  // A racing replica's PutCredential must not resurrect the revoked Km.
  absl::StatusOr<MafCredential> put = store.PutCredential(Cred(1, kT0 + absl::Hours(24)));
  ASSERT_THAT(put, IsOk());
  EXPECT_TRUE(put->revoked);
  EXPECT_TRUE(put->km.ciphertext.empty());
  // Unknown KeID: nothing to do, no error.
  r = store.RevokeByKeId(KeId(9), kWhy);
  ASSERT_THAT(r, IsOk());
  EXPECT_TRUE(r->empty());
}

TEST_P(MafStoreTest, RevokeByEnroleeIdReturnsEveryKmIdOfTheEnrolee) {
  MAKE_FIXTURE();
  ASSERT_THAT(store.PutCredential(Cred(1, kT0 + absl::Hours(1), "C-shared")), IsOk());
  ASSERT_THAT(store.PutCredential(Cred(2, kT0 + absl::Hours(1), "C-shared")), IsOk());
  ASSERT_THAT(store.PutCredential(Cred(3, kT0 + absl::Hours(1), "C-other")), IsOk());
  absl::StatusOr<std::vector<std::string>> r = store.RevokeByEnroleeId("C-shared", kWhy);
  ASSERT_THAT(r, IsOk());
  std::set<std::string> got(r->begin(), r->end());
  EXPECT_EQ(got, (std::set<std::string>{KmId(1), KmId(2)}));
  EXPECT_THAT(store.GetCredentialByKmId(KmId(3)), IsOk());
}

TEST_P(MafStoreTest, RegisterClientIsIdempotentPerKmId) {
  MAKE_FIXTURE();
  MafClient a = f.Registered(1);
  absl::StatusOr<MafClient> b = store.RegisterClient(KmId(1), absl::InfiniteFuture());
  ASSERT_THAT(b, IsOk());
  EXPECT_EQ(a.maf_client_reg_id, b->maf_client_reg_id);
  EXPECT_EQ(a.enrolee_id, "C-dev1");
  EXPECT_EQ(a.ke_id, KeId(1));
  EXPECT_EQ(a.expires_at, kT0 + absl::Hours(24));
  EXPECT_EQ(a.state, ClientState::kActive);
  absl::StatusOr<MafClient> active = store.GetActiveClientByKmId(KmId(1));
  ASSERT_THAT(active, IsOk());
  EXPECT_EQ(active->maf_client_reg_id, a.maf_client_reg_id);
}

TEST_P(MafStoreTest, RecordHandshakeShowsInAdminReadsAtMostOncePerInterval) {
  MAKE_FIXTURE();
  MafClient c = f.Registered(1);
  EXPECT_EQ(c.last_transport, Transport::kUnspecified);
  ASSERT_THAT(store.RecordHandshake(KmId(1), Transport::kDtls), IsOk());
  absl::StatusOr<MafClient> got = store.GetClient(c.maf_client_reg_id);
  ASSERT_THAT(got, IsOk());
  EXPECT_EQ(got->last_transport, Transport::kDtls);
  EXPECT_EQ(got->last_handshake_at, kT0);
  f.Advance(absl::Seconds(30));
  ASSERT_THAT(store.RecordHandshake(KmId(1), Transport::kTls), IsOk());  // within the interval
  EXPECT_EQ(store.GetClient(c.maf_client_reg_id)->last_transport, Transport::kDtls);
  f.Advance(absl::Seconds(30));
  ASSERT_THAT(store.RecordHandshake(KmId(1), Transport::kTls), IsOk());
  got = store.GetLatestClientByKmId(KmId(1));
  EXPECT_EQ(got->last_transport, Transport::kTls);
  EXPECT_EQ(got->last_handshake_at, kT0 + absl::Minutes(1));
  ListClientsRequest all;
  EXPECT_EQ(store.ListClients(all)->clients.at(0).last_transport, Transport::kTls);
  EXPECT_THAT(store.RecordHandshake(KmId(9), Transport::kTls),
              StatusIs(absl::StatusCode::kNotFound));
}

TEST_P(MafStoreTest, RegisterClientRefusesUnknownCredential) {
  MAKE_FIXTURE();
  EXPECT_THAT(store.RegisterClient(KmId(7), absl::InfiniteFuture()),
              StatusIs(absl::StatusCode::kFailedPrecondition));
}

TEST_P(MafStoreTest, RegisterClientCapsTheRequestedExpiryAtTheKms) {
  MAKE_FIXTURE();
  ASSERT_THAT(store.PutCredential(Cred(1, kT0 + absl::Hours(2))), IsOk());
  ASSERT_THAT(store.PutCredential(Cred(2, kT0 + absl::Hours(2))), IsOk());
  absl::StatusOr<MafClient> a = store.RegisterClient(KmId(1), kT0 + absl::Hours(1));
  ASSERT_THAT(a, IsOk());
  EXPECT_EQ(a->expires_at, kT0 + absl::Hours(1));
  absl::StatusOr<MafClient> b = store.RegisterClient(KmId(2), kT0 + absl::Hours(99));
  ASSERT_THAT(b, IsOk());
  EXPECT_EQ(b->expires_at, kT0 + absl::Hours(2));
  EXPECT_THAT(store.RegisterClient(KmId(2), kT0), StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST_P(MafStoreTest, DeregisterClientDeregistersKeysAndAllowsANewRegistration) {
  MAKE_FIXTURE();
  MafClient c = f.Registered(1);
  ASSERT_THAT(store.RegisterKey(f.Key(1, c, {"T1"})), IsOk());
  ASSERT_THAT(store.DeregisterClient(c.maf_client_reg_id), IsOk());
  EXPECT_THAT(store.DeregisterClient(c.maf_client_reg_id), StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(store.GetActiveKey(KeyId(1)), StatusIs(absl::StatusCode::kNotFound));
  EXPECT_EQ(store.GetKey(KeyId(1))->state, KeyState::kDeregistered);
  EXPECT_THAT(store.GetActiveClientByKmId(KmId(1)), StatusIs(absl::StatusCode::kNotFound));
  f.Advance(absl::Seconds(1));
  absl::StatusOr<MafClient> again = store.RegisterClient(KmId(1), absl::InfiniteFuture());
  ASSERT_THAT(again, IsOk());
  EXPECT_NE(again->maf_client_reg_id, c.maf_client_reg_id);
  EXPECT_EQ(store.GetLatestClientByKmId(KmId(1))->maf_client_reg_id, again->maf_client_reg_id);
}

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
  Fixture f(GetParam());
  MafClient a = f.Registered(1, absl::Hours(10));
  MafClient b = f.Registered(2);
  MafKey k = f.Key(1, a, {"T1"}, absl::Hours(8));
  k.labels = {"meter", "room:1"};
  ASSERT_THAT(f.store->RegisterKey(k), IsOk());
  EXPECT_EQ(f.store->GetKey(KeyId(1))->labels, (std::vector<std::string>{"meter", "room:1"}));

  ClientUpdate u;
  u.labels = std::vector<std::string>{"fleet:north"};
  absl::StatusOr<MafClient> c = f.store->UpdateClient(a.maf_client_reg_id, KmId(1), u);
  ASSERT_THAT(c, IsOk());
  EXPECT_EQ(c->labels, std::vector<std::string>{"fleet:north"});
  EXPECT_EQ(c->expires_at, kT0 + absl::Hours(10));
  EXPECT_EQ(f.store->GetActiveClientByKmId(KmId(1))->labels,
            std::vector<std::string>{"fleet:north"});
  // Shorter: the key follows. Longer than the Km: capped at it.
  u = ClientUpdate();
  u.expires_at = kT0 + absl::Hours(2);
  c = f.store->UpdateClient(a.maf_client_reg_id, KmId(1), u);
  ASSERT_THAT(c, IsOk());
  EXPECT_EQ(c->expires_at, kT0 + absl::Hours(2));
  EXPECT_EQ(c->labels, std::vector<std::string>{"fleet:north"});
  EXPECT_EQ(f.store->GetKey(KeyId(1))->expires_at, kT0 + absl::Hours(2));
  u.expires_at = kT0 + absl::Hours(99);
  c = f.store->UpdateClient(a.maf_client_reg_id, KmId(1), u);
  ASSERT_THAT(c, IsOk());
  EXPECT_EQ(c->expires_at, kT0 + absl::Hours(10));
  EXPECT_EQ(f.store->GetKey(KeyId(1))->expires_at, kT0 + absl::Hours(2));  // keys never grow
  // Errors.
  EXPECT_THAT(f.store->UpdateClient(a.maf_client_reg_id, KmId(2), u),
              StatusIs(absl::StatusCode::kPermissionDenied));
  EXPECT_THAT(f.store->UpdateClient("MCnope", KmId(1), u), StatusIs(absl::StatusCode::kNotFound));
  u.expires_at = kT0;
  EXPECT_THAT(f.store->UpdateClient(a.maf_client_reg_id, KmId(1), u),
              StatusIs(absl::StatusCode::kInvalidArgument));
  ClientUpdate bad;
  bad.labels = std::vector<std::string>{"a\nb"};
  EXPECT_THAT(f.store->UpdateClient(a.maf_client_reg_id, KmId(1), bad),
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

TEST_P(MafStoreTest, ListClientsPaginatesAndFilters) {
  MAKE_FIXTURE();
  std::set<std::string> all;
  for (int i = 1; i <= 5; ++i) all.insert(f.Registered(i).maf_client_reg_id);
  ASSERT_THAT(store.RevokeByKeId(KeId(5), kWhy), IsOk());
  std::set<std::string> seen;
  ListClientsRequest req;
  req.page_size = 2;
  int pages = 0;
  do {
    absl::StatusOr<ListClientsResponse> page = store.ListClients(req);
    ASSERT_THAT(page, IsOk());
    for (const MafClient& c : page->clients) seen.insert(c.maf_client_reg_id);
    req.page_token = page->next_page_token;
    ++pages;
  } while (!req.page_token.empty() && pages < 10);
  EXPECT_EQ(seen, all);
  EXPECT_EQ(pages, 3);

  ListClientsRequest active;
  active.state = EffectiveState::kActive;
  EXPECT_EQ(store.ListClients(active)->clients.size(), 4u);
  ListClientsRequest revoked;
  revoked.state = EffectiveState::kRevoked;
  EXPECT_EQ(store.ListClients(revoked)->clients.size(), 1u);
  ListClientsRequest by_id;
  by_id.client_id = "C-dev3";
  ASSERT_EQ(store.ListClients(by_id)->clients.size(), 1u);

  // A token is bound to its filter.
  ListClientsRequest first;
  first.page_size = 1;
  std::string token = store.ListClients(first)->next_page_token;
  ASSERT_FALSE(token.empty());
  active.page_token = token;
  EXPECT_THAT(store.ListClients(active), StatusIs(absl::StatusCode::kInvalidArgument));
  first.page_token = "%%%";
  EXPECT_THAT(store.ListClients(first), StatusIs(absl::StatusCode::kInvalidArgument));
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

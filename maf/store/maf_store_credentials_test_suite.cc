// The MafStoreTest cases for the admin view of credentials (FindCredential, ListCredentials,
// RevokeCredential), run against every MafStore like the rest of maf_store_test_suite.cc.
#include <set>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "common/crypto/key_id.h"
#include "common/testing/status_matchers.h"
#include "common/time/testing/fake_clock.h"
#include "maf/store/maf_store_test_suite.h"

namespace onem2m {
namespace maf {
namespace {

using ::onem2m::testing::IsOk;
using ::onem2m::testing::StatusIs;

constexpr char kMaf[] = "maf.example.com";
constexpr char kMef[] = "mef.example.com";
constexpr char kOtherMef[] = "mef2.example.com";
const absl::Time kT0 = absl::FromUnixSeconds(1800000000);

crypto::KeyId Id(int i, const char* fqdn, char tag) {
  std::string rel(16, tag);
  rel[15] = static_cast<char>(i);
  return *crypto::KeyId::FromParts(rel, fqdn);
}
crypto::KeyId KmId(int i) { return Id(i, kMaf, 'K'); }
std::string KeyId(int i) { return Id(i, kMaf, 'C').ToString(); }

MafCredential Cred(int i, absl::Time expires, const char* mef = kMef) {
  MafCredential c;
  c.km_id = KmId(i);
  c.ke_id = Id(i, mef, 'E');
  c.km = SealedKey{absl::StrCat("sealed-km-", i), 1};
  c.enrolee_id = absl::StrCat("C-dev", i);
  c.mef_fqdn = mef;
  c.expires_at = expires;
  return c;
}

// Clocked is a store whose clock the test moves.
struct Clocked {
  explicit Clocked(const MafStoreFactory& factory) { store = factory(&clock); }
  void Advance(absl::Duration d) { clock.Advance(d); }
  absl::Time Now() const { return clock.Now(); }
  FakeClock clock{kT0};
  std::unique_ptr<MafStore> store;
};

#define MAKE_STORE()                                           \
  Clocked f(GetParam());                                       \
  if (f.store == nullptr) GTEST_SKIP() << "store unavailable"; \
  MafStore& store = *f.store

const Revocation kOps{"ops.example.com", "device lost", absl::InfinitePast()};

TEST_P(MafStoreTest, FindCredentialByEitherIdInAnyStateWithoutTheSealedKm) {
  MAKE_STORE();
  ASSERT_THAT(store.PutCredential(Cred(1, kT0 + absl::Hours(1))), IsOk());
  ASSERT_THAT(store.RecordHandshake(KmId(1), Transport::kDtls), IsOk());
  for (const auto& [key, id] : {std::make_pair(CredentialKey::kKmId, KmId(1)),
                                std::make_pair(CredentialKey::kKeId, Id(1, kMef, 'E'))}) {
    absl::StatusOr<MafCredential> c = store.FindCredential(key, id);
    ASSERT_THAT(c, IsOk());
    EXPECT_EQ(c->km_id, KmId(1));
    EXPECT_EQ(c->ke_id, Id(1, kMef, 'E'));
    EXPECT_EQ(c->enrolee_id, "C-dev1");
    EXPECT_EQ(c->mef_fqdn, kMef);
    EXPECT_EQ(c->expires_at, kT0 + absl::Hours(1));
    EXPECT_EQ(c->created_at, kT0);
    EXPECT_EQ(c->last_transport, Transport::kDtls);
    EXPECT_EQ(c->last_handshake_at, kT0);
    EXPECT_TRUE(c->km.ciphertext.empty());  // admin reads never carry the sealed Km
    EXPECT_EQ(c->km.kek_version, 1);
    EXPECT_FALSE(c->revoked);
    EXPECT_FALSE(c->revocation.has_value());
    EXPECT_EQ(EffectiveCredentialState(*c, kT0), EffectiveState::kActive);
  }
  // Expired credentials stay visible to the admin read (the handshake read says kNotFound).
  f.Advance(absl::Hours(1));
  absl::StatusOr<MafCredential> expired = store.FindCredential(CredentialKey::kKmId, KmId(1));
  ASSERT_THAT(expired, IsOk());
  EXPECT_EQ(EffectiveCredentialState(*expired, f.Now()), EffectiveState::kExpired);
  EXPECT_THAT(store.FindCredential(CredentialKey::kKmId, KmId(9)),
              StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(store.FindCredential(CredentialKey::kKeId, Id(9, kMef, 'E')),
              StatusIs(absl::StatusCode::kNotFound));
}

TEST_P(MafStoreTest, ListCredentialsPaginatesAndFiltersByStateEnroleeAndMef) {
  MAKE_STORE();
  for (int i = 1; i <= 4; ++i)
    ASSERT_THAT(store.PutCredential(Cred(i, kT0 + absl::Hours(2))), IsOk());
  ASSERT_THAT(store.PutCredential(Cred(5, kT0 + absl::Minutes(30), kOtherMef)), IsOk());
  ASSERT_THAT(store.RevokeCredential(KmId(2), kOps), IsOk());
  f.Advance(absl::Hours(1));  // credential 5 has expired

  std::vector<crypto::KeyId> seen;
  ListCredentialsRequest req;
  req.page_size = 2;
  int pages = 0;
  do {
    absl::StatusOr<ListCredentialsResponse> page = store.ListCredentials(req);
    ASSERT_THAT(page, IsOk());
    for (const MafCredential& c : page->credentials) {
      seen.push_back(c.km_id);
      EXPECT_TRUE(c.km.ciphertext.empty());
    }
    req.page_token = page->next_page_token;
    ++pages;
  } while (!req.page_token.empty() && pages < 10);
  EXPECT_EQ(seen, (std::vector<crypto::KeyId>{KmId(1), KmId(2), KmId(3), KmId(4), KmId(5)}));
  EXPECT_EQ(pages, 3);

  auto ids = [&](const ListCredentialsRequest& r) {
    std::set<crypto::KeyId> out;
    absl::StatusOr<ListCredentialsResponse> page = store.ListCredentials(r);
    EXPECT_THAT(page, IsOk());
    if (page.ok()) {
      for (const MafCredential& c : page->credentials) out.insert(c.km_id);
    }
    return out;
  };
  ListCredentialsRequest active;
  active.state = EffectiveState::kActive;
  EXPECT_EQ(ids(active), (std::set<crypto::KeyId>{KmId(1), KmId(3), KmId(4)}));
  ListCredentialsRequest revoked;
  revoked.state = EffectiveState::kRevoked;
  EXPECT_EQ(ids(revoked), std::set<crypto::KeyId>{KmId(2)});
  ListCredentialsRequest expired;
  expired.state = EffectiveState::kExpired;
  EXPECT_EQ(ids(expired), std::set<crypto::KeyId>{KmId(5)});
  ListCredentialsRequest deregistered;
  deregistered.state = EffectiveState::kDeregistered;
  EXPECT_TRUE(ids(deregistered).empty());
  ListCredentialsRequest by_enrolee;
  by_enrolee.enrolee_id = "C-dev3";
  EXPECT_EQ(ids(by_enrolee), std::set<crypto::KeyId>{KmId(3)});
  ListCredentialsRequest by_mef;
  by_mef.mef_fqdn = kOtherMef;
  EXPECT_EQ(ids(by_mef), std::set<crypto::KeyId>{KmId(5)});

  // A token is bound to its filter.
  ListCredentialsRequest first;
  first.page_size = 1;
  absl::StatusOr<ListCredentialsResponse> one = store.ListCredentials(first);
  ASSERT_THAT(one, IsOk());
  ASSERT_FALSE(one->next_page_token.empty());
  active.page_token = one->next_page_token;
  EXPECT_THAT(store.ListCredentials(active), StatusIs(absl::StatusCode::kInvalidArgument));
  first.page_token = "%%%";
  EXPECT_THAT(store.ListCredentials(first), StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST_P(MafStoreTest, RevokeCredentialRevokesItsClientsAndKeysAndKeepsTheFirstRevocation) {
  MAKE_STORE();
  ASSERT_THAT(store.PutCredential(Cred(1, kT0 + absl::Hours(2))), IsOk());
  ASSERT_THAT(store.PutCredential(Cred(2, kT0 + absl::Hours(2))), IsOk());
  absl::StatusOr<MafClient> client = store.RegisterClient(KmId(1), absl::InfiniteFuture());
  ASSERT_THAT(client, IsOk());
  MafKey k;
  k.key_id = KeyId(1);
  k.relative_id = k.key_id.substr(0, 32);
  k.key = SealedKey{"sealed-key-1", 1};
  k.suid = 42;
  k.target_ids = {"T1"};
  k.maf_client_reg_id = client->maf_client_reg_id;
  k.expires_at = kT0 + absl::Hours(1);
  ASSERT_THAT(store.RegisterKey(k), IsOk());

  f.Advance(absl::Minutes(5));
  absl::StatusOr<MafCredential> r = store.RevokeCredential(KmId(1), kOps);
  ASSERT_THAT(r, IsOk());
  EXPECT_TRUE(r->revoked);
  EXPECT_TRUE(r->km.ciphertext.empty());
  EXPECT_EQ(EffectiveCredentialState(*r, f.Now()), EffectiveState::kRevoked);
  ASSERT_TRUE(r->revocation.has_value());
  EXPECT_EQ(r->revocation->actor, "ops.example.com");
  EXPECT_EQ(r->revocation->reason, "device lost");
  EXPECT_EQ(r->revocation->time, kT0 + absl::Minutes(5));

  // The handshake reads refuse both identifiers; the client and its key are revoked with it.
  EXPECT_THAT(store.GetCredentialByKmId(KmId(1)), StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_THAT(store.GetCredentialByKeId(Id(1, kMef, 'E')),
              StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_THAT(store.RegisterClient(KmId(1), absl::InfiniteFuture()),
              StatusIs(absl::StatusCode::kFailedPrecondition));
  absl::StatusOr<MafClient> admin = store.GetClient(client->maf_client_reg_id);
  ASSERT_THAT(admin, IsOk());
  EXPECT_EQ(admin->state, ClientState::kRevoked);
  EXPECT_THAT(store.GetActiveKey(KeyId(1)), StatusIs(absl::StatusCode::kNotFound));
  // The wiped Km has nothing left to re-seal: only credential 2 and the key are counted.
  absl::StatusOr<std::vector<KekVersionCount>> counts = store.CountKekVersions();
  ASSERT_THAT(counts, IsOk());
  ASSERT_FALSE(counts->empty());
  EXPECT_EQ(counts->front().column, SealedColumn::kCredentialKm);
  EXPECT_EQ(counts->front().rows, 1);
  // Credential 2 is untouched.
  EXPECT_THAT(store.GetCredentialByKmId(KmId(2)), IsOk());

  // Idempotent; the first revocation stays recorded.
  f.Advance(absl::Minutes(5));
  absl::StatusOr<MafCredential> again =
      store.RevokeCredential(KmId(1), Revocation{"other.example.com", "again", {}});
  ASSERT_THAT(again, IsOk());
  ASSERT_TRUE(again->revocation.has_value());
  EXPECT_EQ(again->revocation->actor, "ops.example.com");
  EXPECT_EQ(again->revocation->time, kT0 + absl::Minutes(5));
  EXPECT_THAT(store.RevokeCredential(KmId(9), kOps), StatusIs(absl::StatusCode::kNotFound));
}

TEST_P(MafStoreTest, MefRevocationEventShowsAsTheCredentialsRevocation) {
  MAKE_STORE();
  ASSERT_THAT(store.PutCredential(Cred(1, kT0 + absl::Hours(2))), IsOk());
  ASSERT_THAT(
      store.RevokeByKeId(Id(1, kMef, 'E'), Revocation{"mef:mef.example.com", "revoked", {}}),
      IsOk());
  absl::StatusOr<MafCredential> c = store.FindCredential(CredentialKey::kKmId, KmId(1));
  ASSERT_THAT(c, IsOk());
  EXPECT_TRUE(c->revoked);
  ASSERT_TRUE(c->revocation.has_value());
  EXPECT_EQ(c->revocation->actor, "mef:mef.example.com");
  EXPECT_EQ(c->revocation->time, kT0);
}

}  // namespace
}  // namespace maf
}  // namespace onem2m

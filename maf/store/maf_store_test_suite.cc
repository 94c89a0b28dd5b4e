// The MafStoreTest cases for credentials (put, decoy write, reads, revocation) and MAF Client
// Registrations, run against every MafStore (maf_store_test_suite.h).
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
  c.km_id = crypto::KeyId();  // unset (a non-canonical KmID no longer exists: it is a KeyId)
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
  absl::StatusOr<std::vector<crypto::KeyId>> r = store.RevokeByKeId(KeId(1), kWhy);
  ASSERT_THAT(r, IsOk());
  EXPECT_EQ(*r, std::vector<crypto::KeyId>{KmId(1)});
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
  absl::StatusOr<std::vector<crypto::KeyId>> r = store.RevokeByEnroleeId("C-shared", kWhy);
  ASSERT_THAT(r, IsOk());
  std::set<crypto::KeyId> got(r->begin(), r->end());
  EXPECT_EQ(got, (std::set<crypto::KeyId>{KmId(1), KmId(2)}));
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

TEST_P(MafStoreTest, RecordHandshakesWritesEachNoteAtItsOwnTimeOncePerInterval) {
  MAKE_FIXTURE();
  MafClient one = f.Registered(1);
  MafClient two = f.Registered(2);
  ASSERT_THAT(store.RecordHandshakes({}), IsOk());
  // Notes of an unknown credential are skipped, not errors: the batch still lands.
  ASSERT_THAT(store.RecordHandshakes({{KmId(1), Transport::kTls, kT0 + absl::Seconds(5)},
                                      {KmId(9), Transport::kTls, kT0 + absl::Seconds(5)},
                                      {KmId(2), Transport::kDtls, kT0 + absl::Seconds(7)}}),
              IsOk());
  absl::StatusOr<MafClient> got = store.GetClient(one.maf_client_reg_id);
  ASSERT_THAT(got, IsOk());
  EXPECT_EQ(got->last_transport, Transport::kTls);
  EXPECT_EQ(got->last_handshake_at, kT0 + absl::Seconds(5));
  got = store.GetClient(two.maf_client_reg_id);
  ASSERT_THAT(got, IsOk());
  EXPECT_EQ(got->last_transport, Transport::kDtls);
  EXPECT_EQ(got->last_handshake_at, kT0 + absl::Seconds(7));
  // Within the interval of the stored note: dropped. At the interval: written.
  ASSERT_THAT(store.RecordHandshakes({{KmId(1), Transport::kDtls, kT0 + absl::Seconds(64)},
                                      {KmId(2), Transport::kTls, kT0 + absl::Seconds(67)}}),
              IsOk());
  absl::StatusOr<MafCredential> c1 = store.FindCredential(CredentialKey::kKmId, KmId(1));
  ASSERT_THAT(c1, IsOk());
  EXPECT_EQ(c1->last_transport, Transport::kTls);
  EXPECT_EQ(c1->last_handshake_at, kT0 + absl::Seconds(5));
  absl::StatusOr<MafCredential> c2 = store.FindCredential(CredentialKey::kKmId, KmId(2));
  ASSERT_THAT(c2, IsOk());
  EXPECT_EQ(c2->last_transport, Transport::kTls);
  EXPECT_EQ(c2->last_handshake_at, kT0 + absl::Seconds(67));
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

}  // namespace
}  // namespace maf
}  // namespace onem2m

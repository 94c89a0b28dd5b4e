// KmResolver resolving one identity at a time: a first contact fetched from the MEF, derived and
// stored sealed; a KmID read back from the store; what is refused (expired, garbage, other MEF,
// malformed answers). Fixture: maf/km_resolver/testing/km_resolver_fixture.h.
#include <cctype>
#include <string>

#include "common/crypto/key_derivation.h"
#include "common/crypto/key_id.h"
#include "common/testing/status_matchers.h"
#include "gtest/gtest.h"
#include "maf/km_resolver/km_resolver.h"
#include "maf/km_resolver/testing/km_resolver_fixture.h"

namespace onem2m {
namespace maf {
namespace {

using ::onem2m::testing::IsOk;
using ::onem2m::testing::StatusIs;
using testing::Id;
using testing::KeId;
using testing::kMaf;
using testing::kMef;
using KmResolverTest = testing::KmResolverFixture;

TEST_F(KmResolverTest, KeIdIsFetchedDerivedAndStoredSealed) {
  absl::StatusOr<ResolvedKm> r = Resolve(KeId(1));
  ASSERT_THAT(r, IsOk());
  FetchedCredential expected = fetcher_->Good(Id(1));
  EXPECT_TRUE(r->km.Equals(expected.km));
  EXPECT_EQ(r->km_id.ToString(), *crypto::DeriveKmId(expected.km, kMaf));
  EXPECT_EQ(r->enrolee_id, expected.enrolee_id);
  absl::StatusOr<MafCredential> stored = store_->GetCredentialByKmId(r->km_id);
  ASSERT_THAT(stored, IsOk());
  EXPECT_EQ(stored->ke_id, Id(1));
  EXPECT_EQ(stored->km.kek_version, 3);
  EXPECT_EQ(stored->km.ciphertext.find(std::string(expected.km.Reveal())), std::string::npos);
  absl::StatusOr<SecretBytes> opened = envelope_.Open(stored->km.ciphertext, r->km_id.ToString());
  ASSERT_THAT(opened, IsOk());
  EXPECT_TRUE(opened->Equals(expected.km));
  // Sealed under the KmID: opening with another AAD fails.
  EXPECT_THAT(envelope_.Open(stored->km.ciphertext, KeId(1)), ::testing::Not(IsOk()));
}

TEST_F(KmResolverTest, KmIdResolvesFromTheStoreWithoutFetching) {
  absl::StatusOr<ResolvedKm> first = Resolve(KeId(1));
  ASSERT_THAT(first, IsOk());
  Build();  // a fresh resolver (another replica, or after a restart): empty cache
  absl::StatusOr<ResolvedKm> again = Resolve(first->km_id);
  ASSERT_THAT(again, IsOk());
  EXPECT_TRUE(again->km.Equals(first->km));
  EXPECT_EQ(again->ke_id.ToString(), KeId(1));
  // The same KeID again is answered from the entry the KmID's store read cached, not the MEF.
  ASSERT_THAT(Resolve(KeId(1)), IsOk());
  EXPECT_EQ(fetcher_->calls, 1);
  // KmID in lower-case hex is the same identity.
  std::string lower = first->km_id.ToString();
  for (char& ch : lower) ch = static_cast<char>(std::tolower(ch));
  EXPECT_THAT(Resolve(lower), IsOk());
}

TEST_F(KmResolverTest, AStoredKeIdIsAskedOfTheMefAgainAndTheMefDecides) {
  // A first contact with a KeID stored before (a device that lost its KmID, another replica's
  // first contact) is not read from the store first: the MEF is asked, and the stored row answers
  // once it has said the enrolment is usable.
  absl::StatusOr<ResolvedKm> first = Resolve(KeId(1));
  ASSERT_THAT(first, IsOk());
  ASSERT_TRUE(resolver_->WaitIdle(absl::Now() + absl::Seconds(5)));
  Build();  // another replica, or after a restart: empty cache
  absl::StatusOr<ResolvedKm> again = Resolve(KeId(1));
  ASSERT_THAT(again, IsOk());
  EXPECT_EQ(again->km_id, first->km_id);
  EXPECT_TRUE(again->km.Equals(first->km));
  EXPECT_EQ(fetcher_->calls, 2);
  // The enrolment has since ended at the MEF: the stored credential no longer serves a KeID.
  fetcher_->answer = [](const crypto::KeyId&, absl::Time) -> absl::StatusOr<FetchedCredential> {
    return absl::NotFoundError("no usable enrolment for this KeID");
  };
  ASSERT_TRUE(resolver_->WaitIdle(absl::Now() + absl::Seconds(5)));
  Build();
  EXPECT_THAT(Resolve(KeId(1)), StatusIs(absl::StatusCode::kNotFound));
  EXPECT_EQ(fetcher_->calls, 3);
}

TEST_F(KmResolverTest, NothingOutlivesKe) {
  absl::StatusOr<ResolvedKm> r = Resolve(KeId(1));
  ASSERT_THAT(r, IsOk());
  clock_.Advance(absl::Hours(1));  // the Ke's expiry
  EXPECT_THAT(Resolve(r->km_id), StatusIs(absl::StatusCode::kNotFound));
  // A MEF answer that is already expired is refused too.
  fetcher_->answer = [this](const crypto::KeyId& ke_id, absl::Time) {
    FetchedCredential c = fetcher_->Good(ke_id);
    c.expires_at = clock_.Now() - absl::Seconds(1);
    return absl::StatusOr<FetchedCredential>(std::move(c));
  };
  EXPECT_THAT(Resolve(KeId(2)), StatusIs(absl::StatusCode::kNotFound));
}

TEST_F(KmResolverTest, RefusesGarbageUnknownMefAndMalformedAnswers) {
  EXPECT_THAT(Resolve("device-0001"), StatusIs(absl::StatusCode::kInvalidArgument));
  std::string other = KeId(1);
  other.replace(other.find('@') + 1, std::string::npos, "mef.other.com");
  EXPECT_THAT(Resolve(other), StatusIs(absl::StatusCode::kNotFound));
  fetcher_->answer = [this](const crypto::KeyId& ke_id, absl::Time) {
    FetchedCredential c = fetcher_->Good(ke_id);
    c.km = SecretBytes::Copy("short");
    return absl::StatusOr<FetchedCredential>(std::move(c));
  };
  EXPECT_THAT(Resolve(KeId(3)), StatusIs(absl::StatusCode::kInternal));
  // An unknown KmID of this MAF.
  std::string km_id = KeId(4);
  km_id.replace(km_id.find('@') + 1, std::string::npos, kMaf);
  EXPECT_THAT(Resolve(km_id), StatusIs(absl::StatusCode::kNotFound));
}

}  // namespace
}  // namespace maf
}  // namespace onem2m

// MafPskResolver (maf_psk_resolver.h): KeID/KmID -> Km through a real KmResolver over a
// MemoryMafStore and a fake MEF fetcher; every failure (unknown, revoked, expired, deadline,
// garbage) is a failed Resolve; a found Km carries its own credential metadata (ResolvedIdentity).
#include "maf/server/maf_psk_resolver.h"

#include <atomic>
#include <functional>
#include <memory>
#include <string>

#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "common/crypto/key_derivation.h"
#include "common/crypto/key_id.h"
#include "common/testing/status_matchers.h"
#include "common/time/testing/fake_clock.h"
#include "gtest/gtest.h"
#include "maf/km_resolver/testing/fake_fetcher.h"
#include "maf/store/memory_maf_store.h"

namespace onem2m {
namespace maf {
namespace {

using ::onem2m::testing::IsOk;
using ::onem2m::testing::StatusIs;

using testing::FakeFetcher;

constexpr char kMaf[] = "maf.example.com";
constexpr char kMef[] = "mef.example.com";

std::string KeId(int i) { return testing::FakeKeId(i, kMef); }

// Id(i) is KeId(i) as the resolver's callers hold it.
crypto::KeyId Id(int i) { return *crypto::KeyId::Parse(KeId(i)); }

SecretBytes KmFor(const std::string& ke_id) { return testing::FakeKmFor(ke_id); }

// IdOf returns the credential metadata a found Km carries, or null.
const ResolvedIdentity* IdOf(const absl::StatusOr<tls::ResolvedPsk>& got) {
  if (!got.ok()) return nullptr;
  return dynamic_cast<const ResolvedIdentity*>(got->context.get());
}

class MafPskResolverTest : public ::testing::Test {
 protected:
  void SetUp() override {
    KmResolverOptions o;
    o.maf_fqdn = kMaf;
    o.fetchers[kMef] = fetcher_;
    o.store = store_.get();
    o.envelope = &envelope_;
    o.clock = &clock_;
    absl::StatusOr<std::shared_ptr<KmResolver>> r = KmResolver::Create(std::move(o));
    ASSERT_THAT(r, IsOk());
    km_resolver_ = *r;
    psk_ = std::make_unique<MafPskResolver>(km_resolver_, absl::Milliseconds(500));
  }
  void TearDown() override { EXPECT_TRUE(km_resolver_->WaitIdle(absl::Now() + absl::Seconds(10))); }
  void Advance(absl::Duration d) { clock_.Advance(d); }

  FakeClock clock_;
  std::shared_ptr<FakeFetcher> fetcher_ = std::make_shared<FakeFetcher>(&clock_);
  std::unique_ptr<MemoryMafStore> store_ = MemoryMafStore::Create(&clock_);
  crypto::Envelope envelope_{crypto::Keyring::Generate(1)};
  std::shared_ptr<KmResolver> km_resolver_;
  std::unique_ptr<MafPskResolver> psk_;
};

TEST_F(MafPskResolverTest, KeIdMapsToKmAndIsRemembered) {
  absl::StatusOr<tls::ResolvedPsk> km = psk_->Resolve(KeId(1));
  ASSERT_THAT(km, IsOk());
  EXPECT_TRUE(km->key.Equals(KmFor(KeId(1))));
  const ResolvedIdentity* last = IdOf(km);
  ASSERT_NE(last, nullptr);
  EXPECT_EQ(last->identity, KeId(1));
  EXPECT_EQ(last->km_id.ToString(), *crypto::DeriveKmId(KmFor(KeId(1)), kMaf));
  EXPECT_EQ(last->ke_id, Id(1));
  EXPECT_EQ(last->enrolee_id, fetcher_->Good(Id(1)).enrolee_id);
  EXPECT_EQ(last->mef_fqdn, kMef);
  EXPECT_GT(last->expires_at, clock_.Now() + absl::Minutes(59));
  EXPECT_LE(last->expires_at, clock_.Now() + absl::Hours(1));
  // Another identity's answer carries its own metadata; this one's is unchanged.
  absl::StatusOr<tls::ResolvedPsk> other = psk_->Resolve(KeId(2));
  ASSERT_NE(IdOf(other), nullptr);
  EXPECT_EQ(IdOf(other)->ke_id, Id(2));
  EXPECT_EQ(last->ke_id, Id(1));
}

TEST_F(MafPskResolverTest, KmIdMapsToTheStoredKm) {
  ASSERT_THAT(psk_->Resolve(KeId(1)), IsOk());
  const std::string km_id = *crypto::DeriveKmId(KmFor(KeId(1)), kMaf);
  absl::StatusOr<tls::ResolvedPsk> km = psk_->Resolve(km_id);
  ASSERT_THAT(km, IsOk());
  EXPECT_TRUE(km->key.Equals(KmFor(KeId(1))));
  const ResolvedIdentity* last = IdOf(km);
  ASSERT_NE(last, nullptr);
  EXPECT_EQ(last->identity, km_id);
  EXPECT_EQ(last->km_id.ToString(), km_id);
  EXPECT_EQ(last->ke_id, Id(1));
  EXPECT_EQ(fetcher_->calls, 1);
}

TEST_F(MafPskResolverTest, UnknownKeIdAndKmIdFail) {
  ASSERT_THAT(psk_->Resolve(KeId(1)), IsOk());
  fetcher_->answer = [](const crypto::KeyId&, absl::Time) {
    return absl::StatusOr<FetchedCredential>(absl::NotFoundError("unknown"));
  };
  EXPECT_THAT(psk_->Resolve(KeId(2)), StatusIs(absl::StatusCode::kNotFound));
  std::string km_id = KeId(3);
  km_id.replace(km_id.find('@') + 1, std::string::npos, kMaf);
  EXPECT_THAT(psk_->Resolve(km_id), StatusIs(absl::StatusCode::kNotFound));
  std::string other_mef = KeId(4);
  other_mef.replace(other_mef.find('@') + 1, std::string::npos, "mef.other.com");
  EXPECT_THAT(psk_->Resolve(other_mef), StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(psk_->Resolve("not-a-key-id"), StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST_F(MafPskResolverTest, RevokedKeIdAndKmIdFail) {
  ASSERT_THAT(psk_->Resolve(KeId(1)), IsOk());
  const std::string km_id = *crypto::DeriveKmId(KmFor(KeId(1)), kMaf);
  ASSERT_THAT(km_resolver_->OnRevokedKeId(Id(1), Revocation{"mef", "test", {}}), IsOk());
  EXPECT_THAT(psk_->Resolve(km_id), StatusIs(absl::StatusCode::kPermissionDenied));
  EXPECT_THAT(psk_->Resolve(KeId(1)), StatusIs(absl::StatusCode::kPermissionDenied));
}

TEST_F(MafPskResolverTest, ExpiredKmFails) {
  ASSERT_THAT(psk_->Resolve(KeId(1)), IsOk());
  const std::string km_id = *crypto::DeriveKmId(KmFor(KeId(1)), kMaf);
  Advance(absl::Hours(1) + absl::Seconds(1));
  EXPECT_THAT(psk_->Resolve(km_id), StatusIs(absl::StatusCode::kNotFound));
  // A MEF answer already expired is refused too.
  fetcher_->answer = [this](const crypto::KeyId& ke_id, absl::Time) {
    FetchedCredential c = fetcher_->Good(ke_id);
    c.expires_at = clock_.Now() - absl::Seconds(1);
    return absl::StatusOr<FetchedCredential>(std::move(c));
  };
  EXPECT_THAT(psk_->Resolve(KeId(2)), StatusIs(absl::StatusCode::kNotFound));
}

TEST_F(MafPskResolverTest, SlowFetchFailsAtTheFetchTimeout) {
  // Shared with the flight, which outlives this test body until TearDown's WaitIdle.
  auto release = std::make_shared<absl::Notification>();
  fetcher_->answer = [this, release](const crypto::KeyId& ke_id, absl::Time) {
    release->WaitForNotificationWithTimeout(absl::Seconds(5));
    return absl::StatusOr<FetchedCredential>(fetcher_->Good(ke_id));
  };
  const absl::Time start = absl::Now();
  absl::StatusOr<tls::ResolvedPsk> km = psk_->Resolve(KeId(1));  // fetch_timeout = 500 ms
  const absl::Duration took = absl::Now() - start;
  EXPECT_THAT(km, StatusIs(absl::StatusCode::kDeadlineExceeded));
  EXPECT_GE(took, absl::Milliseconds(400));
  EXPECT_LT(took, absl::Milliseconds(2500));
  release->Notify();
}

// docs/protocol.md 2 and 7: an unreachable or overloaded MEF is a failed lookup (the handshake is
// aborted with internal_error and the device retries), not an unknown KeID; answers about the
// KeID itself stay "unusable identity" (the dummy key, like a wrong key).
TEST_F(MafPskResolverTest, UnreachableMefIsALookupFailureAnswersAboutTheKeIdAreNot) {
  fetcher_->answer = [](const crypto::KeyId&, absl::Time) {
    return absl::StatusOr<FetchedCredential>(absl::UnavailableError("MEF unreachable"));
  };
  absl::StatusOr<tls::ResolvedPsk> down = psk_->Resolve(KeId(1));
  ASSERT_THAT(down, ::testing::Not(IsOk()));
  EXPECT_TRUE(tls::IsPskLookupFailure(down.status())) << down.status();
  // The breaker keeps other KeIDs of that MEF failing fast the same way.
  absl::StatusOr<tls::ResolvedPsk> breaker = psk_->Resolve(KeId(2));
  EXPECT_TRUE(tls::IsPskLookupFailure(breaker.status())) << breaker.status();

  Advance(absl::Seconds(1));  // past the breaker
  for (absl::Status about_key :
       {absl::NotFoundError("unknown KeID"), absl::PermissionDeniedError("KeID of another MAF")}) {
    fetcher_->answer = [about_key](const crypto::KeyId&, absl::Time) {
      return absl::StatusOr<FetchedCredential>(about_key);
    };
    absl::StatusOr<tls::ResolvedPsk> r = psk_->Resolve(KeId(3));
    ASSERT_THAT(r, ::testing::Not(IsOk()));
    EXPECT_FALSE(tls::IsPskLookupFailure(r.status())) << r.status();
  }
  EXPECT_FALSE(tls::IsPskLookupFailure(psk_->Resolve("not-a-key-id").status()));
}

// Two lookups of one identity (two devices' sessions, or one device's retry) each carry their own
// metadata object: neither session can see or take the other's.
TEST_F(MafPskResolverTest, ConcurrentLookupsOfOneIdentityCarryTheirOwnContext) {
  absl::StatusOr<tls::ResolvedPsk> first = absl::UnknownError("no answer");
  absl::StatusOr<tls::ResolvedPsk> second = absl::UnknownError("no answer");
  absl::Notification first_done, second_done;
  psk_->ResolveAsync(KeId(1), [&](absl::StatusOr<tls::ResolvedPsk> r) {
    first = std::move(r);
    first_done.Notify();
  });
  psk_->ResolveAsync(KeId(1), [&](absl::StatusOr<tls::ResolvedPsk> r) {
    second = std::move(r);
    second_done.Notify();
  });
  first_done.WaitForNotification();
  second_done.WaitForNotification();
  ASSERT_NE(IdOf(first), nullptr);
  ASSERT_NE(IdOf(second), nullptr);
  EXPECT_NE(IdOf(first), IdOf(second));
  EXPECT_EQ(IdOf(first)->ke_id, Id(1));
  EXPECT_EQ(IdOf(second)->ke_id, Id(1));
  EXPECT_EQ(IdOf(first)->km_id, IdOf(second)->km_id);
}

}  // namespace
}  // namespace maf
}  // namespace onem2m

// KmResolver revocations: by KeID and by enrolee, in cache and store, winning over a racing
// fetch, and a failed revocation write retried and counted.
// Fixture: maf/km_resolver/testing/km_resolver_fixture.h.
#include <atomic>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/synchronization/notification.h"
#include "common/crypto/key_derivation.h"
#include "common/crypto/key_id.h"
#include "common/testing/status_matchers.h"
#include "gtest/gtest.h"
#include "maf/km_resolver/km_resolver.h"
#include "maf/km_resolver/testing/km_resolver_fixture.h"
#include "maf/store/forwarding_maf_store.h"

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

TEST_F(KmResolverTest, RevocationByKeIdInvalidatesCacheAndStore) {
  absl::StatusOr<ResolvedKm> r = Resolve(KeId(1));
  ASSERT_THAT(r, IsOk());
  ASSERT_THAT(store_->RegisterClient(r->km_id, absl::InfiniteFuture()), IsOk());
  ASSERT_THAT(resolver_->OnRevokedKeId(Id(1), Revocation{"mef:" + std::string(kMef), "x", {}}),
              IsOk());
  EXPECT_THAT(Resolve(r->km_id), StatusIs(absl::StatusCode::kPermissionDenied));
  EXPECT_THAT(Resolve(KeId(1)), StatusIs(absl::StatusCode::kPermissionDenied));
  EXPECT_EQ(fetcher_->calls, 1);  // refused without asking the MEF
  EXPECT_THAT(store_->GetActiveClientByKmId(r->km_id), StatusIs(absl::StatusCode::kNotFound));
}

TEST_F(KmResolverTest, RevocationByEnroleeInvalidatesEveryKmOfTheEnrolee) {
  absl::StatusOr<ResolvedKm> r = Resolve(KeId(1));
  ASSERT_THAT(r, IsOk());
  ASSERT_THAT(resolver_->OnRevokedEnrolee(r->enrolee_id, Revocation{"mef", "x", {}}), IsOk());
  EXPECT_THAT(Resolve(r->km_id), StatusIs(absl::StatusCode::kPermissionDenied));
}

TEST_F(KmResolverTest, RevocationDuringAFetchWins) {
  absl::Notification fetching, release;
  fetcher_->answer = [&](const crypto::KeyId& ke_id, absl::Time) {
    fetching.Notify();
    release.WaitForNotificationWithTimeout(absl::Seconds(5));
    return absl::StatusOr<FetchedCredential>(fetcher_->Good(ke_id));
  };
  absl::StatusOr<ResolvedKm> r = absl::UnknownError("");
  std::thread t([&] { r = Resolve(KeId(1), absl::Seconds(5)); });
  fetching.WaitForNotification();
  ASSERT_THAT(resolver_->OnRevokedKeId(Id(1), Revocation{"mef", "x", {}}), IsOk());
  release.Notify();
  t.join();
  EXPECT_THAT(r, StatusIs(absl::StatusCode::kPermissionDenied));
  EXPECT_THAT(store_->GetCredentialByKeId(Id(1)), StatusIs(absl::StatusCode::kFailedPrecondition));
}

// FailingRevokes fails the next `fail_revokes` revocation writes by KeID, like a database outage.
class FailingRevokes : public ForwardingMafStore {
 public:
  using ForwardingMafStore::ForwardingMafStore;
  absl::StatusOr<std::vector<crypto::KeyId>> RevokeByKeId(const crypto::KeyId& id,
                                                          const Revocation& w) override {
    if (fail_revokes > 0) {
      --fail_revokes;
      return absl::UnavailableError("store down");
    }
    return ForwardingMafStore::RevokeByKeId(id, w);
  }
  std::atomic<int> fail_revokes{0};
};

TEST_F(KmResolverTest, FailedRevocationWriteAfterARacingFetchIsRetriedAndCounted) {
  auto failing = std::make_unique<FailingRevokes>(std::move(store_));
  FailingRevokes* store = failing.get();
  slow_store_ = std::move(failing);
  std::atomic<int> reported{0};
  KmResolverOptions o;
  o.maf_fqdn = kMaf;
  o.fetchers[kMef] = fetcher_;
  o.store = store;
  o.envelope = &envelope_;
  o.clock = &clock_;
  o.on_revocation_write_failed = [&](const absl::Status& s) {
    EXPECT_THAT(s, StatusIs(absl::StatusCode::kUnavailable));
    ++reported;
  };
  resolver_ = *KmResolver::Create(std::move(o));

  absl::Notification fetching, release;
  fetcher_->answer = [&](const crypto::KeyId& ke_id, absl::Time) {
    fetching.Notify();
    release.WaitForNotification();
    return absl::StatusOr<FetchedCredential>(fetcher_->Good(ke_id));
  };
  // The revocation arrives during the fetch and its own write fails; so does the flight's write
  // after storing the fetched credential.
  store->fail_revokes = 2;
  absl::StatusOr<ResolvedKm> r = absl::UnknownError("");
  std::thread t([&] { r = Resolve(KeId(1), absl::Seconds(5)); });
  fetching.WaitForNotification();
  EXPECT_THAT(resolver_->OnRevokedKeId(Id(1), Revocation{"mef", "x", {}}),
              StatusIs(absl::StatusCode::kUnavailable));
  release.Notify();
  t.join();
  EXPECT_THAT(r, StatusIs(absl::StatusCode::kPermissionDenied));
  EXPECT_EQ(resolver_->stats().revocation_write_failures, 1);
  EXPECT_EQ(reported, 1);
  EXPECT_THAT(store->GetCredentialByKeId(Id(1)), IsOk());  // not revoked yet

  // The next flight writes it before reading the store, so the KmID is refused.
  const std::string km_id = *crypto::DeriveKmId(fetcher_->Good(Id(1)).km, kMaf);
  EXPECT_THAT(Resolve(km_id), StatusIs(absl::StatusCode::kPermissionDenied));
  EXPECT_THAT(store->GetCredentialByKeId(Id(1)), StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_EQ(resolver_->stats().revocation_write_failures, 1);
}

}  // namespace
}  // namespace maf
}  // namespace onem2m

// Tests of KmResolverOptions::trust_cache (km_resolver.h): while it returns false for a MEF, Km
// cached from that MEF is not served; the shared store is read on every resolve, so a revocation
// recorded there by another replica is honoured at once. The MEF is the shared FakeFetcher
// (maf/km_resolver/testing/).
#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <memory>
#include <string>
#include <thread>

#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "common/crypto/key_derivation.h"
#include "common/crypto/key_id.h"
#include "common/testing/status_matchers.h"
#include "gtest/gtest.h"
#include "maf/km_resolver/km_resolver.h"
#include "maf/km_resolver/testing/fake_fetcher.h"
#include "maf/store/forwarding_maf_store.h"
#include "maf/store/memory_maf_store.h"

namespace onem2m {
namespace maf {
namespace {

using ::onem2m::testing::IsOk;
using ::onem2m::testing::StatusIs;

using testing::FakeFetcher;

constexpr char kMaf[] = "maf.example.com";
constexpr char kMef[] = "mef.example.com";

std::string KeId(int i) {
  std::string rel(16, 'E');
  rel[15] = static_cast<char>('0' + i);
  return *crypto::FormatKeyId(rel, kMef);
}

// CountingStore counts credential reads (as the shared PgMafStore would see them).
class CountingStore : public ForwardingMafStore {
 public:
  using ForwardingMafStore::ForwardingMafStore;
  absl::StatusOr<MafCredential> GetCredentialByKmId(const crypto::KeyId& id) override {
    ++km_id_reads;
    return ForwardingMafStore::GetCredentialByKmId(id);
  }
  absl::StatusOr<MafCredential> GetCredentialByKeId(const crypto::KeyId& id) override {
    ++ke_id_reads;
    return ForwardingMafStore::GetCredentialByKeId(id);
  }
  std::atomic<int> km_id_reads{0};
  std::atomic<int> ke_id_reads{0};
};

class KmResolverTrustTest : public ::testing::Test {
 protected:
  void SetUp() override {
    KmResolverOptions o;
    o.maf_fqdn = kMaf;
    o.fetchers[kMef] = fetcher_;
    o.store = &store_;
    o.envelope = &envelope_;
    o.trust_cache = [this](const std::string& mef_fqdn) {
      ++trust_calls_;
      {
        absl::MutexLock l(&mu_);
        last_trust_mef_ = mef_fqdn;
      }
      if (in_trust_) in_trust_(mef_fqdn);
      return trusted_.load();
    };
    absl::StatusOr<std::shared_ptr<KmResolver>> r = KmResolver::Create(std::move(o));
    ASSERT_THAT(r, IsOk());
    resolver_ = *r;
  }
  void TearDown() override {
    if (resolver_) {
      EXPECT_TRUE(resolver_->WaitIdle(absl::Now() + absl::Seconds(10)));
    }
  }
  absl::StatusOr<ResolvedKm> Resolve(const std::string& id) {
    return resolver_->Resolve(id, absl::Now() + absl::Seconds(2));
  }
  // FirstContact resolves KeId(i) (fetched from the MEF, stored, cached) and returns its KmID.
  std::string FirstContact(int i) {
    absl::StatusOr<ResolvedKm> r = Resolve(KeId(i));
    EXPECT_THAT(r, IsOk());
    return r.ok() ? r->km_id.ToString() : "";
  }
  // RevokeElsewhere records a revocation in the shared store the way another replica (or the
  // admin service on another replica) would: this resolver hears nothing about it.
  void RevokeElsewhere(int i) {
    absl::StatusOr<std::vector<crypto::KeyId>> km_ids =
        store_.RevokeByKeId(*crypto::KeyId::Parse(KeId(i)),
                            Revocation{"mef:" + std::string(kMef), "other replica", {}});
    ASSERT_THAT(km_ids, IsOk());
    ASSERT_EQ(km_ids->size(), 1u);
  }

  absl::Mutex mu_;
  std::string last_trust_mef_ ABSL_GUARDED_BY(mu_);
  std::atomic<bool> trusted_{true};
  std::atomic<int> trust_calls_{0};
  std::function<void(const std::string&)> in_trust_;  // runs inside trust_cache
  std::shared_ptr<FakeFetcher> fetcher_ = std::make_shared<FakeFetcher>();
  CountingStore store_{MemoryMafStore::Create()};
  crypto::Envelope envelope_{crypto::Keyring::Generate(1)};
  std::shared_ptr<KmResolver> resolver_;
};

TEST_F(KmResolverTrustTest, TrustedCacheServesKmIdWithoutReadingTheStore) {
  const std::string km_id = FirstContact(1);
  ASSERT_FALSE(km_id.empty());
  const int reads = store_.km_id_reads;
  const int64_t hits = resolver_->stats().cache_hits;
  for (int i = 0; i < 5; ++i) {
    absl::StatusOr<ResolvedKm> r = Resolve(km_id);
    ASSERT_THAT(r, IsOk());
    EXPECT_EQ(r->km_id.ToString(), km_id);
    EXPECT_EQ(r->ke_id.ToString(), KeId(1));
  }
  EXPECT_EQ(store_.km_id_reads, reads);
  EXPECT_EQ(resolver_->stats().cache_hits, hits + 5);
  EXPECT_GE(trust_calls_, 5);
  absl::MutexLock l(&mu_);
  EXPECT_EQ(last_trust_mef_, kMef);  // asked about the MEF the Km came from
}

TEST_F(KmResolverTrustTest, UntrustedCacheReadsTheStoreOnEveryKmIdResolve) {
  const std::string km_id = FirstContact(1);
  ASSERT_FALSE(km_id.empty());
  trusted_ = false;
  const int reads = store_.km_id_reads;
  const int64_t hits = resolver_->stats().cache_hits;
  for (int i = 1; i <= 5; ++i) {
    absl::StatusOr<ResolvedKm> r = Resolve(km_id);
    ASSERT_THAT(r, IsOk());
    EXPECT_EQ(r->km_id.ToString(), km_id);
    EXPECT_EQ(store_.km_id_reads, reads + i) << "resolve " << i;
  }
  EXPECT_EQ(resolver_->stats().cache_hits, hits);
  EXPECT_EQ(fetcher_->calls, 1);  // the store answered; the MEF was not asked again
  // Trust restored: the cache serves again.
  trusted_ = true;
  ASSERT_THAT(Resolve(km_id), IsOk());
  EXPECT_EQ(store_.km_id_reads, reads + 5);
}

TEST_F(KmResolverTrustTest, UntrustedCacheKeIdResolveAsksTheMefAndTheStoreAgain) {
  // An untrusted cache does not answer a KeID: each resolve asks the MEF and writes, and the
  // store's row (ours, stored by the first contact) answers; no separate store read comes first.
  ASSERT_FALSE(FirstContact(1).empty());
  trusted_ = false;
  const int reads = store_.ke_id_reads;
  ASSERT_THAT(Resolve(KeId(1)), IsOk());
  ASSERT_THAT(Resolve(KeId(1)), IsOk());
  EXPECT_EQ(fetcher_->calls, 3);
  EXPECT_EQ(store_.ke_id_reads, reads);
}

TEST_F(KmResolverTrustTest, RevocationByAnotherReplicaIsSeenImmediatelyWhenUntrusted) {
  const std::string km_id = FirstContact(1);
  const std::string other_km_id = FirstContact(2);
  ASSERT_FALSE(km_id.empty());
  trusted_ = false;  // this replica's revocation watch on the MEF is down
  ASSERT_THAT(Resolve(km_id), IsOk());
  RevokeElsewhere(1);
  // The very next resolve, by KmID or KeID, is refused: no cache_ttl of staleness.
  EXPECT_THAT(Resolve(km_id), StatusIs(absl::StatusCode::kPermissionDenied));
  EXPECT_THAT(Resolve(KeId(1)), StatusIs(absl::StatusCode::kPermissionDenied));
  // The KeID was asked of the MEF (which still hands Km out) and refused on the store's row.
  EXPECT_EQ(fetcher_->calls, 3);
  // Another device of the same MEF is unaffected.
  EXPECT_THAT(Resolve(other_km_id), IsOk());
}

TEST_F(KmResolverTrustTest, TrustedCacheDoesNotSeeARevocationMadeElsewhere) {
  // The contrast that motivates trust_cache: with a healthy watch the cache is trusted, and a
  // revocation that reached only the store is not seen until the watch (or cache_ttl) drops it.
  const std::string km_id = FirstContact(1);
  ASSERT_FALSE(km_id.empty());
  RevokeElsewhere(1);
  EXPECT_THAT(Resolve(km_id), IsOk());
  // The watch then delivers it: refused from then on.
  ASSERT_THAT(
      resolver_->OnRevokedKeId(*crypto::KeyId::Parse(KeId(1)), Revocation{"mef", "watch", {}}),
      IsOk());
  EXPECT_THAT(Resolve(km_id), StatusIs(absl::StatusCode::kPermissionDenied));
}

// Once an untrusted resolve has read "revoked" from the store, the cached Km is gone: trusting
// the cache again (the watch back) must not serve it.
TEST_F(KmResolverTrustTest, RevocationReadFromTheStoreEvictsTheCachedKm) {
  const std::string km_id = FirstContact(1);
  ASSERT_FALSE(km_id.empty());
  trusted_ = false;
  RevokeElsewhere(1);
  EXPECT_THAT(Resolve(km_id), StatusIs(absl::StatusCode::kPermissionDenied));
  trusted_ = true;
  EXPECT_THAT(Resolve(km_id), StatusIs(absl::StatusCode::kPermissionDenied));
}

TEST_F(KmResolverTrustTest, TrustCacheIsCalledWithoutTheResolverLockHeld) {
  const std::string km_id = FirstContact(1);
  ASSERT_FALSE(km_id.empty());
  // stats() takes the resolver's lock: if trust_cache ran under it, this would self-deadlock.
  std::atomic<int> stats_calls{0};
  KmResolver* self = resolver_.get();
  in_trust_ = [self, &stats_calls](const std::string&) {
    (void)self->stats();
    ++stats_calls;
  };
  for (bool trusted : {true, false}) {
    trusted_ = trusted;
    absl::Notification done;
    std::thread t([&] {
      EXPECT_THAT(Resolve(km_id), IsOk());
      EXPECT_THAT(Resolve(KeId(1)), IsOk());
      done.Notify();
    });
    if (!done.WaitForNotificationWithTimeout(absl::Seconds(10))) {
      // A deadlocked thread cannot be joined; end the test binary rather than hang.
      std::fprintf(stderr, "trust_cache deadlocked on the resolver's lock (trusted=%d)\n", trusted);
      std::abort();
    }
    t.join();
  }
  EXPECT_GE(stats_calls, 4);
  in_trust_ = nullptr;
}

}  // namespace
}  // namespace maf
}  // namespace onem2m

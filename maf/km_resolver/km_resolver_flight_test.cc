// KmResolver under concurrency: callers of one identity share one flight, deadlines end a
// caller's wait and not its flight, flights are bounded, a pending MEF fetch holds no flight
// thread, the circuit breaker, and KmID reads shared and bounded by the deadline.
// Fixture: maf/km_resolver/testing/km_resolver_fixture.h.
#include <atomic>
#include <memory>
#include <thread>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "common/crypto/key_id.h"
#include "common/testing/status_matchers.h"
#include "common/testing/wait_for.h"
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

TEST_F(KmResolverTest, HundredConcurrentResolvesOfOneKeIdShareOneFetch) {
  absl::Notification fetching, release;
  fetcher_->answer = [&](const crypto::KeyId& ke_id, absl::Time) {
    fetching.Notify();
    release.WaitForNotification();
    return absl::StatusOr<FetchedCredential>(fetcher_->Good(ke_id));
  };
  std::vector<std::thread> threads;
  std::atomic<int> ok{0};
  // The fetch is held until this thread has started all 100 threads, which under ThreadSanitizer
  // on a loaded machine has taken over 10 s; the deadline is not what this test is about.
  for (int i = 0; i < 100; ++i) {
    threads.emplace_back([&] {
      if (Resolve(KeId(1), absl::Seconds(120)).ok()) ++ok;
    });
  }
  // Callers that come while the fetch is held join its flight; later ones find its result cached.
  fetching.WaitForNotification();
  release.Notify();
  for (auto& t : threads) t.join();
  EXPECT_EQ(ok, 100);
  EXPECT_EQ(fetcher_->calls, 1);
}

TEST_F(KmResolverTest, DeadlineIsHonouredWithASlowFetcher) {
  absl::Notification fetching, release;
  fetcher_->answer = [&](const crypto::KeyId& ke_id, absl::Time) {
    fetching.Notify();
    release.WaitForNotification();  // ignores its deadline on purpose
    return absl::StatusOr<FetchedCredential>(fetcher_->Good(ke_id));
  };
  // The fetch cannot end before `release`, so an answer now means the caller's deadline ended it.
  absl::StatusOr<ResolvedKm> r = Resolve(KeId(1), absl::Milliseconds(100));
  EXPECT_THAT(r, StatusIs(absl::StatusCode::kDeadlineExceeded));
  EXPECT_FALSE(release.HasBeenNotified());
  // The flight goes on without its caller; it ends (and stops using the notifications) here.
  fetching.WaitForNotification();
  release.Notify();
  EXPECT_TRUE(resolver_->WaitIdle(absl::Now() + absl::Seconds(10)));
}

TEST_F(KmResolverTest, SlowFetchForOneKeIdDoesNotStallOtherIdentities) {
  absl::Notification slow_fetching, release;
  fetcher_->answer = [&](const crypto::KeyId& ke_id, absl::Time) {
    if (ke_id == Id(1)) {
      slow_fetching.Notify();
      release.WaitForNotification();
    }
    return absl::StatusOr<FetchedCredential>(fetcher_->Good(ke_id));
  };
  std::thread slow([&] { EXPECT_THAT(Resolve(KeId(1), absl::Seconds(10)), IsOk()); });
  slow_fetching.WaitForNotification();  // the slow fetch is now in flight
  // The slow flight holds until `release`; the other identity must not wait for it.
  absl::StatusOr<ResolvedKm> other = Resolve(KeId(2));
  ASSERT_THAT(other, IsOk());
  EXPECT_FALSE(release.HasBeenNotified());
  release.Notify();
  slow.join();
}

TEST_F(KmResolverTest, FlightsAreBoundedSoAFloodOfKeIdsFailsFast) {
  Build(/*max_flights=*/2);
  absl::Notification release;
  fetcher_->answer = [&](const crypto::KeyId& ke_id, absl::Time) {
    release.WaitForNotification();
    return absl::StatusOr<FetchedCredential>(fetcher_->Good(ke_id));
  };
  std::vector<std::thread> busy;
  for (int i = 1; i <= 2; ++i) {
    busy.emplace_back([&, i] { EXPECT_THAT(Resolve(KeId(i), absl::Seconds(10)), IsOk()); });
  }
  ASSERT_TRUE(::onem2m::testing::WaitFor([&] { return fetcher_->calls >= 2; }));
  // Refused while both flights are held: it did not wait for a slot.
  EXPECT_THAT(Resolve(KeId(3)), StatusIs(absl::StatusCode::kUnavailable));
  EXPECT_FALSE(release.HasBeenNotified());
  EXPECT_EQ(resolver_->stats().flight_limit_rejects, 1);
  release.Notify();
  for (auto& t : busy) t.join();
  EXPECT_TRUE(resolver_->WaitIdle(absl::Now() + absl::Seconds(5)));
  EXPECT_THAT(Resolve(KeId(3)), IsOk());
}

// The MEF fetch holds no flight thread while the MEF has not answered (MefCredentialClient waits
// for the network and its retry backoff on gRPC's threads and timers): with a single flight thread
// and a first contact whose fetch is pending, a KmID store read and another KeID still complete.
TEST_F(KmResolverTest, PendingMefFetchHoldsNoFlightThread) {
  ASSERT_THAT(Resolve(KeId(2)), IsOk());  // stored, so its KmID is read from the store below
  const crypto::KeyId km_id_2 = Resolve(KeId(2))->km_id;
  Build(/*max_flights=*/256, /*flight_threads=*/1);
  absl::Mutex mu;
  MefFetcher::FetchDone pending;  // the held fetch of KeId(1)
  absl::Notification fetching;
  fetcher_->answer_async = [&](const crypto::KeyId& ke_id, absl::Time, MefFetcher::FetchDone done) {
    if (ke_id != Id(1)) return done(fetcher_->Good(ke_id));
    absl::MutexLock l(&mu);
    pending = std::move(done);
    fetching.Notify();
  };
  absl::Notification first_done;
  absl::StatusOr<ResolvedKm> first = absl::UnknownError("no answer");
  resolver_->ResolveAsync(KeId(1), absl::Now() + absl::Seconds(30),
                          [&](absl::StatusOr<ResolvedKm> r) {
                            first = std::move(r);
                            first_done.Notify();
                          });
  fetching.WaitForNotification();
  // The only flight thread is free: a fresh resolver has no cache, so both go through flights.
  EXPECT_THAT(Resolve(km_id_2, absl::Seconds(30)), IsOk());
  EXPECT_THAT(Resolve(KeId(3), absl::Seconds(30)), IsOk());
  EXPECT_FALSE(first_done.HasBeenNotified());
  // The MEF answers now, from the test's thread (as gRPC's would): the first contact completes.
  MefFetcher::FetchDone answer;
  {
    absl::MutexLock l(&mu);
    answer = std::move(pending);
  }
  answer(fetcher_->Good(Id(1)));
  first_done.WaitForNotification();
  ASSERT_THAT(first, IsOk());
  EXPECT_TRUE(first->km.Equals(fetcher_->Good(Id(1)).km));
  EXPECT_EQ(first->ke_id, Id(1));
}

TEST_F(KmResolverTest, CircuitBreakerFailsFastAfterUnavailable) {
  fetcher_->answer = [](const crypto::KeyId&, absl::Time) {
    return absl::StatusOr<FetchedCredential>(absl::UnavailableError("mef down"));
  };
  EXPECT_THAT(Resolve(KeId(1)), StatusIs(absl::StatusCode::kUnavailable));
  EXPECT_EQ(fetcher_->calls, 1);
  // Another KeID of the same MEF fails fast without a fetch.
  EXPECT_THAT(Resolve(KeId(2)), StatusIs(absl::StatusCode::kUnavailable));
  EXPECT_EQ(fetcher_->calls, 1);
  EXPECT_EQ(resolver_->stats().breaker_rejects, 1);
  // After the open period (300 ms on the injected clock) the MEF is tried again, and a success
  // closes the breaker.
  clock_.Advance(absl::Milliseconds(350));
  fetcher_->answer = nullptr;
  EXPECT_THAT(Resolve(KeId(2)), IsOk());
  EXPECT_EQ(fetcher_->calls, 2);
}

// SlowKmIdReads holds credential reads by KmID until `release`, like a database in failover.
class SlowKmIdReads : public ForwardingMafStore {
 public:
  using ForwardingMafStore::ForwardingMafStore;
  absl::StatusOr<MafCredential> GetCredentialByKmId(const crypto::KeyId& id) override {
    ++reads;
    release.WaitForNotification();
    return ForwardingMafStore::GetCredentialByKmId(id);
  }
  std::atomic<int> reads{0};
  absl::Notification release;
};

TEST_F(KmResolverTest, KmIdLookupsShareOneStoreReadAndHonourTheDeadline) {
  absl::StatusOr<ResolvedKm> first = Resolve(KeId(1));
  ASSERT_THAT(first, IsOk());
  auto slow = std::make_unique<SlowKmIdReads>(std::move(store_));
  SlowKmIdReads* slow_ptr = slow.get();
  KmResolverOptions o;
  o.maf_fqdn = kMaf;
  o.fetchers[kMef] = fetcher_;
  o.store = slow_ptr;
  o.envelope = &envelope_;
  o.clock = &clock_;
  std::shared_ptr<KmResolver> r = *KmResolver::Create(std::move(o));
  // The read is held, so this answer can only come from the caller's deadline.
  EXPECT_THAT(r->Resolve(first->km_id.ToString(), absl::Now() + absl::Milliseconds(100)),
              StatusIs(absl::StatusCode::kDeadlineExceeded));
  EXPECT_FALSE(slow_ptr->release.HasBeenNotified());
  std::vector<std::thread> threads;
  std::atomic<int> ok{0};
  for (int i = 0; i < 20; ++i) {
    threads.emplace_back([&] {
      if (r->Resolve(first->km_id.ToString(), absl::Now() + absl::Seconds(10)).ok()) ++ok;
    });
  }
  slow_ptr->release.Notify();
  for (auto& t : threads) t.join();
  EXPECT_EQ(ok, 20);
  EXPECT_LE(slow_ptr->reads, 2);  // the timed-out flight's read, and at most one more
  EXPECT_TRUE(r->WaitIdle(absl::Now() + absl::Seconds(5)));
  store_.reset();
  slow_store_ = std::move(slow);
}

}  // namespace
}  // namespace maf
}  // namespace onem2m

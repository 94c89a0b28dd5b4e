#include "maf/km_resolver/km_resolver.h"

#include <atomic>
#include <functional>
#include <thread>
#include <vector>

#include "absl/synchronization/notification.h"
#include "common/crypto/key_derivation.h"
#include "common/crypto/key_id.h"
#include "common/testing/status_matchers.h"
#include "common/testing/wait_for.h"
#include "common/time/testing/fake_clock.h"
#include "gtest/gtest.h"
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
  rel[15] = static_cast<char>(i);
  return *crypto::FormatKeyId(rel, kMef);
}

// Id(i) is KeId(i) as the resolver's callers hold it.
crypto::KeyId Id(int i) { return *crypto::KeyId::Parse(KeId(i)); }

class KmResolverTest : public ::testing::Test {
 protected:
  void SetUp() override { Build(); }
  // Flights outliving their callers must end before the store and fetcher go away.
  void TearDown() override { EXPECT_TRUE(resolver_->WaitIdle(absl::Now() + absl::Seconds(10))); }
  void Build(size_t max_flights = 256, int flight_threads = 32) {
    KmResolverOptions o;
    o.max_flights = max_flights;
    o.flight_threads = flight_threads;
    o.maf_fqdn = kMaf;
    o.fetchers[kMef] = fetcher_;
    o.store = store_.get();
    o.envelope = &envelope_;
    o.clock = &clock_;
    o.breaker_open_for = absl::Milliseconds(300);
    absl::StatusOr<std::shared_ptr<KmResolver>> r = KmResolver::Create(std::move(o));
    ASSERT_THAT(r, IsOk());
    resolver_ = *r;
  }
  absl::StatusOr<ResolvedKm> Resolve(const std::string& id,
                                     absl::Duration timeout = absl::Seconds(2)) {
    return resolver_->Resolve(id, absl::Now() + timeout);
  }
  absl::StatusOr<ResolvedKm> Resolve(const crypto::KeyId& id,
                                     absl::Duration timeout = absl::Seconds(2)) {
    return Resolve(id.ToString(), timeout);
  }

  FakeClock clock_;  // tests move time with Advance
  std::shared_ptr<FakeFetcher> fetcher_ = std::make_shared<FakeFetcher>(&clock_);
  std::unique_ptr<MemoryMafStore> store_ = MemoryMafStore::Create(&clock_);
  std::unique_ptr<MafStore> slow_store_;  // keeps a wrapped store alive until TearDown
  crypto::Envelope envelope_{crypto::Keyring::Generate(3)};
  std::shared_ptr<KmResolver> resolver_;
};

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
  // The same KeID again is served from the store, not the MEF.
  ASSERT_THAT(Resolve(KeId(1)), IsOk());
  EXPECT_EQ(fetcher_->calls, 1);
  // KmID in lower-case hex is the same identity.
  std::string lower = first->km_id.ToString();
  for (char& ch : lower) ch = static_cast<char>(std::tolower(ch));
  EXPECT_THAT(Resolve(lower), IsOk());
}

TEST_F(KmResolverTest, HundredConcurrentResolvesOfOneKeIdShareOneFetch) {
  absl::Notification fetching, release;
  fetcher_->answer = [&](const crypto::KeyId& ke_id, absl::Time) {
    fetching.Notify();
    release.WaitForNotification();
    return absl::StatusOr<FetchedCredential>(fetcher_->Good(ke_id));
  };
  std::vector<std::thread> threads;
  std::atomic<int> ok{0};
  for (int i = 0; i < 100; ++i) {
    threads.emplace_back([&] {
      if (Resolve(KeId(1), absl::Seconds(10)).ok()) ++ok;
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

TEST_F(KmResolverTest, NotFoundIsCachedAsLongAsAKnownKm) {
  fetcher_->answer = [](const crypto::KeyId&, absl::Time) {
    return absl::StatusOr<FetchedCredential>(absl::NotFoundError("unknown"));
  };
  EXPECT_THAT(Resolve(KeId(1)), StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(Resolve(KeId(1)), StatusIs(absl::StatusCode::kNotFound));
  EXPECT_EQ(fetcher_->calls, 1);
  EXPECT_EQ(resolver_->stats().negative_hits, 1);
  clock_.Advance(absl::Seconds(29));  // within cache_ttl (30 s): still refused from memory
  EXPECT_THAT(Resolve(KeId(1)), StatusIs(absl::StatusCode::kNotFound));
  EXPECT_EQ(fetcher_->calls, 1);
  clock_.Advance(absl::Seconds(2));
  fetcher_->answer = nullptr;
  EXPECT_THAT(Resolve(KeId(1)), IsOk());
  EXPECT_EQ(fetcher_->calls, 2);
}

// RecordingStore counts the first-contact writes and the KmID reads.
class RecordingStore : public ForwardingMafStore {
 public:
  using ForwardingMafStore::ForwardingMafStore;
  absl::StatusOr<MafCredential> PutCredential(const MafCredential& c) override {
    ++puts;
    return ForwardingMafStore::PutCredential(c);
  }
  absl::Status WriteDecoyCredential(const MafCredential& c) override {
    ++decoy_writes;
    decoy_size = c.km_id.ToString().size() + c.ke_id.ToString().size() + c.km.ciphertext.size() +
                 c.mef_fqdn.size();
    return ForwardingMafStore::WriteDecoyCredential(c);
  }
  absl::StatusOr<MafCredential> GetCredentialByKmId(const crypto::KeyId& id) override {
    ++km_id_reads;
    return ForwardingMafStore::GetCredentialByKmId(id);
  }
  std::atomic<int> puts{0}, decoy_writes{0}, km_id_reads{0};
  std::atomic<size_t> decoy_size{0};
};

// docs/protocol.md 7, "Identity privacy": a KeID the MEF does not know costs the store write a
// known one costs (a decoy of the same size, storing nothing); an unknown KmID is read from the
// store once, then refused from memory like a cached known one.
TEST_F(KmResolverTest, UnknownIdentitiesDoTheWorkOfKnownOnes) {
  MemoryMafStore* mem = store_.get();
  auto recording = std::make_unique<RecordingStore>(std::move(store_));
  RecordingStore* rec = recording.get();
  slow_store_ = std::move(recording);
  KmResolverOptions o;
  o.maf_fqdn = kMaf;
  o.fetchers[kMef] = fetcher_;
  o.store = rec;
  o.envelope = &envelope_;
  o.clock = &clock_;
  absl::StatusOr<std::shared_ptr<KmResolver>> r = KmResolver::Create(std::move(o));
  ASSERT_THAT(r, IsOk());
  resolver_ = *r;

  absl::StatusOr<ResolvedKm> known = Resolve(KeId(1));
  ASSERT_THAT(known, IsOk());
  EXPECT_EQ(rec->puts, 1);
  EXPECT_EQ(rec->decoy_writes, 0);
  absl::StatusOr<MafCredential> stored = mem->GetCredentialByKmId(known->km_id);
  ASSERT_THAT(stored, IsOk());
  const size_t known_size = stored->km_id.ToString().size() + stored->ke_id.ToString().size() +
                            stored->km.ciphertext.size() + stored->mef_fqdn.size();

  fetcher_->answer = [](const crypto::KeyId&, absl::Time) {
    return absl::StatusOr<FetchedCredential>(absl::NotFoundError("unknown"));
  };
  EXPECT_THAT(Resolve(KeId(2)), StatusIs(absl::StatusCode::kNotFound));
  EXPECT_EQ(rec->puts, 1);
  EXPECT_EQ(rec->decoy_writes, 1);
  EXPECT_EQ(rec->decoy_size, known_size);
  EXPECT_THAT(mem->GetCredentialByKeId(Id(2)), StatusIs(absl::StatusCode::kNotFound));

  std::string unknown_km_id = KeId(3);
  unknown_km_id.replace(unknown_km_id.find('@') + 1, std::string::npos, kMaf);
  for (int i = 0; i < 3; ++i) {
    EXPECT_THAT(Resolve(unknown_km_id), StatusIs(absl::StatusCode::kNotFound));
    EXPECT_THAT(Resolve(known->km_id), IsOk());
  }
  EXPECT_EQ(rec->km_id_reads, 1);  // the known KmID is cached since its first contact
  EXPECT_EQ(resolver_->stats().negative_hits, 2);
}

// A KmID refused before its first contact stored it (only the holder of Km can present it) is
// resolved as soon as that first contact has happened on this replica.
TEST_F(KmResolverTest, FirstContactClearsARefusedKmId) {
  FetchedCredential good = fetcher_->Good(Id(5));
  const std::string km_id = *crypto::DeriveKmId(good.km, kMaf);
  EXPECT_THAT(Resolve(km_id), StatusIs(absl::StatusCode::kNotFound));
  ASSERT_THAT(Resolve(KeId(5)), IsOk());
  absl::StatusOr<ResolvedKm> again = Resolve(km_id);
  ASSERT_THAT(again, IsOk());
  EXPECT_TRUE(again->km.Equals(good.km));
}

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

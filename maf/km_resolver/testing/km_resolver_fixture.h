// File: maf/km_resolver/testing/km_resolver_fixture.h
//
// The fixture the KmResolver tests share (km_resolver_*_test.cc): a resolver over the shared
// FakeFetcher (one MEF), a MemoryMafStore and an envelope, all on an injected FakeClock, and the
// KeIDs the tests resolve. Each test file names its suite KmResolverTest after this fixture.
#ifndef ONEM2M_MAF_KM_RESOLVER_TESTING_KM_RESOLVER_FIXTURE_H_
#define ONEM2M_MAF_KM_RESOLVER_TESTING_KM_RESOLVER_FIXTURE_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "common/crypto/envelope.h"
#include "common/crypto/key_id.h"
#include "common/testing/status_matchers.h"
#include "common/time/testing/fake_clock.h"
#include "gtest/gtest.h"
#include "maf/km_resolver/km_resolver.h"
#include "maf/km_resolver/testing/fake_fetcher.h"
#include "maf/store/memory_maf_store.h"

namespace onem2m::maf::testing {

constexpr char kMaf[] = "maf.example.com";
constexpr char kMef[] = "mef.example.com";

inline std::string KeId(int i) {
  std::string rel(16, 'E');
  rel[15] = static_cast<char>(i);
  return *crypto::FormatKeyId(rel, kMef);
}

// Id(i) is KeId(i) as the resolver's callers hold it.
inline crypto::KeyId Id(int i) { return *crypto::KeyId::Parse(KeId(i)); }

class KmResolverFixture : public ::testing::Test {
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
    ASSERT_THAT(r, ::onem2m::testing::IsOk());
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

}  // namespace onem2m::maf::testing

#endif  // ONEM2M_MAF_KM_RESOLVER_TESTING_KM_RESOLVER_FIXTURE_H_

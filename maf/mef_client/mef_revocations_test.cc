// MefRevocations against a fake MEF over mutual TLS: the trust it gives the resolver's cache
// follows the watch's health, and a pushed revocation reaches the resolver.
#include "maf/mef_client/mef_revocations.h"

#include <memory>

#include "common/crypto/envelope.h"
#include "common/testing/mtls_env.h"
#include "gtest/gtest.h"
#include "maf/km_resolver/km_resolver.h"
#include "maf/mef_client/mef_credential_client.h"
#include "maf/mef_client/testing/fake_mef.h"
#include "maf/store/memory_maf_store.h"

namespace onem2m::maf {
namespace {

using testing::FakeMef;
constexpr const char* kMaf = testing::kFakeMaf;
constexpr const char* kMef = testing::kFakeMef;

// Eventually polls `pred` until it holds or 10 s pass (the watch runs on its own thread).
template <typename F>
bool Eventually(F pred) {
  for (absl::Time until = absl::Now() + absl::Seconds(10); absl::Now() < until;) {
    if (pred()) return true;
    absl::SleepFor(absl::Milliseconds(10));
  }
  return pred();
}

class MefRevocationsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    env_.Start({&mef_});
    RevocationWatcher::Options watch;
    watch.heartbeat_interval_ms = 50;
    revocations_ = std::make_unique<MefRevocations>(watch);
    store_ = MemoryMafStore::Create();
    KmResolverOptions o;
    o.maf_fqdn = kMaf;
    o.fetchers[kMef] = std::make_shared<MefCredentialClient>(env_.Channel(kMaf), kMaf);
    o.store = store_.get();
    o.envelope = &envelope_;
    o.trust_cache = revocations_->TrustCache();
    resolver_ = *KmResolver::Create(std::move(o));
  }
  void TearDown() override {
    revocations_->Stop();
    resolver_->WaitIdle(absl::Now() + absl::Seconds(5));
  }
  absl::Time Deadline() { return absl::Now() + absl::Seconds(5); }

  ::onem2m::testing::MtlsEnv env_;
  FakeMef mef_;
  crypto::Envelope envelope_{crypto::Keyring::Generate(1)};
  std::unique_ptr<MemoryMafStore> store_;
  std::unique_ptr<MefRevocations> revocations_;
  std::shared_ptr<KmResolver> resolver_;
};

TEST_F(MefRevocationsTest, TrustFollowsTheWatch) {
  std::function<bool(const std::string&)> trust = revocations_->TrustCache();
  EXPECT_FALSE(trust(kMef));  // no watch yet
  revocations_->Start(resolver_, {{kMef, env_.Channel(kMaf)}});
  EXPECT_TRUE(Eventually([&] { return trust(kMef); }));
  EXPECT_FALSE(trust("other-mef.example.com"));
  revocations_->Stop();
  EXPECT_FALSE(trust(kMef));
}

TEST_F(MefRevocationsTest, RevocationReachesTheResolver) {
  revocations_->Start(resolver_, {{kMef, env_.Channel(kMaf)}});
  ASSERT_TRUE(Eventually([&] { return revocations_->Healthy(kMef); }));
  absl::StatusOr<ResolvedKm> km = resolver_->Resolve(mef_.ke_id, Deadline());
  ASSERT_TRUE(km.ok()) << km.status();

  rsp::v1::RevocationEvent ev;
  ev.set_kind(rsp::v1::RevocationEvent::KIND_ENROLEE_REVOKED);
  ev.set_enrolee_id(mef_.enrolee_id);
  ev.add_ke_ids(mef_.ke_id);
  mef_.Push(ev);
  EXPECT_TRUE(Eventually([&] { return !resolver_->Resolve(km->km_id, Deadline()).ok(); }));
  EXPECT_FALSE(resolver_->Resolve(mef_.ke_id, Deadline()).ok());
}

TEST_F(MefRevocationsTest, StopIsIdempotentAndSafeBeforeStart) {
  revocations_->Stop();
  revocations_->Start(resolver_, {{kMef, env_.Channel(kMaf)}});
  revocations_->Stop();
  revocations_->Stop();
  EXPECT_FALSE(revocations_->Healthy(kMef));
}

}  // namespace
}  // namespace onem2m::maf

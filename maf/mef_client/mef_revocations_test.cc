// MefRevocations against a fake MEF over mutual TLS: the trust it gives the resolver's cache
// follows the watch's health, and a pushed revocation reaches the resolver.
#include "maf/mef_client/mef_revocations.h"

#include <atomic>
#include <memory>
#include <string>
#include <vector>

#include "common/crypto/envelope.h"
#include "common/testing/mtls_env.h"
#include "common/testing/status_matchers.h"
#include "common/testing/wait_for.h"
#include "gtest/gtest.h"
#include "maf/km_resolver/km_resolver.h"
#include "maf/mef_client/mef_credential_client.h"
#include "maf/mef_client/testing/fake_mef.h"
#include "maf/store/forwarding_maf_store.h"
#include "maf/store/memory_maf_store.h"

namespace onem2m::maf {
namespace {

using ::onem2m::testing::IsOk;
using ::onem2m::testing::StatusIs;
using ::onem2m::testing::WaitFor;
using testing::FakeMef;
constexpr const char* kMaf = testing::kFakeMaf;
constexpr const char* kMef = testing::kFakeMef;

// FailingRevokes fails the next `fail_revokes` revocation writes, like a database outage.
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

class MefRevocationsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    env_.Start({&mef_});
    RevocationWatcher::Options watch;
    watch.heartbeat_interval_ms = 50;
    watch.reconnect = Backoff{absl::Milliseconds(5), absl::Milliseconds(50), 2.0, 0.5};
    watch.on_event_failed = [this](const absl::Status& s) {
      EXPECT_THAT(s, StatusIs(absl::StatusCode::kUnavailable));
      ++write_failures_;
    };
    revocations_ = std::make_unique<MefRevocations>(watch);
    store_ = std::make_unique<FailingRevokes>(MemoryMafStore::Create());
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
  std::unique_ptr<FailingRevokes> store_;
  std::atomic<int> write_failures_{0};
  std::unique_ptr<MefRevocations> revocations_;
  std::shared_ptr<KmResolver> resolver_;
};

TEST_F(MefRevocationsTest, TrustFollowsTheWatch) {
  std::function<bool(const std::string&)> trust = revocations_->TrustCache();
  EXPECT_FALSE(trust(kMef));  // no watch yet
  revocations_->Start(resolver_, {{kMef, env_.Channel(kMaf)}});
  EXPECT_TRUE(WaitFor([&] { return trust(kMef); }));
  EXPECT_FALSE(trust("other-mef.example.com"));
  revocations_->Stop();
  EXPECT_FALSE(trust(kMef));
}

TEST_F(MefRevocationsTest, RevocationReachesTheResolver) {
  revocations_->Start(resolver_, {{kMef, env_.Channel(kMaf)}});
  ASSERT_TRUE(WaitFor([&] { return revocations_->Healthy(kMef); }));
  absl::StatusOr<ResolvedKm> km = resolver_->Resolve(mef_.ke_id, Deadline());
  ASSERT_THAT(km, IsOk());

  rsp::v1::RevocationEvent ev;
  ev.set_kind(rsp::v1::RevocationEvent::KIND_ENROLEE_REVOKED);
  ev.set_enrolee_id(mef_.enrolee_id);
  ev.add_ke_ids(mef_.ke_id);
  mef_.Push(ev);
  EXPECT_TRUE(WaitFor([&] { return !resolver_->Resolve(km->km_id.ToString(), Deadline()).ok(); }));
  EXPECT_THAT(resolver_->Resolve(mef_.ke_id, Deadline()), ::testing::Not(IsOk()));
}

TEST_F(MefRevocationsTest, FailedRevocationWriteIsRetriedAndCounted) {
  revocations_->Start(resolver_, {{kMef, env_.Channel(kMaf)}});
  ASSERT_TRUE(WaitFor([&] { return revocations_->Healthy(kMef); }));
  absl::StatusOr<ResolvedKm> km = resolver_->Resolve(mef_.ke_id, Deadline());
  ASSERT_THAT(km, IsOk());

  store_->fail_revokes = 3;
  rsp::v1::RevocationEvent ev;
  ev.set_kind(rsp::v1::RevocationEvent::KIND_ENROLMENTS_INVALIDATED);
  ev.set_enrolee_id(mef_.enrolee_id);
  ev.add_ke_ids(mef_.ke_id);
  mef_.Push(ev);
  // The watch offers the event again until the store takes it.
  ASSERT_TRUE(WaitFor([&] {
    return store_->GetCredentialByKeId(*crypto::KeyId::Parse(mef_.ke_id)).status().code() ==
           absl::StatusCode::kFailedPrecondition;
  }));
  EXPECT_EQ(write_failures_, 3);
  EXPECT_EQ(store_->fail_revokes, 0);
  EXPECT_THAT(resolver_->Resolve(km->km_id.ToString(), Deadline()),
              StatusIs(absl::StatusCode::kPermissionDenied));
  // And the watch carries on.
  EXPECT_TRUE(WaitFor([&] { return revocations_->Healthy(kMef); }));
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

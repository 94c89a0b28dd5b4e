// Tests for KpmResolver (docs/protocol.md 2): KpmID -> Kpm for an active, unexpired enrolee; every
// other case is an error (which the TLS layer turns into the dummy key); a store that reports
// kUnavailable trips a circuit breaker; a found Kpm carries its own enrolee row (KpmContext).
#include "mef/bootstrap/kpm_resolver.h"

#include <atomic>
#include <string>

#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "common/crypto/envelope.h"
#include "common/time/testing/fake_clock.h"
#include "gtest/gtest.h"
#include "mef/store/forwarding_enrolee_store.h"
#include "mef/store/memory_enrolee_store.h"

namespace onem2m::mef {
namespace {

constexpr char kKpmBytes[] = "0123456789abcdef0123456789abcdef";
const absl::Time kNow = absl::FromUnixSeconds(1700000000);

// FakeStore delegates to a MemoryEnroleeStore, counts GetEnrolee calls and can be told to fail
// them with a fixed status (e.g. a database outage).
class FakeStore final : public ForwardingEnroleeStore {
 public:
  FakeStore() : ForwardingEnroleeStore(&inner_) {}
  void FailGets(absl::Status s) {
    absl::MutexLock l(&mu_);
    get_failure_ = std::move(s);
  }
  int get_calls() const { return get_calls_.load(); }
  MemoryEnroleeStore& inner() { return inner_; }

  absl::StatusOr<Enrolee> GetEnrolee(absl::string_view kpm_id) override {
    ++get_calls_;
    {
      absl::MutexLock l(&mu_);
      if (!get_failure_.ok()) return get_failure_;
    }
    return inner_.GetEnrolee(kpm_id);
  }

 private:
  MemoryEnroleeStore inner_;
  std::atomic<int> get_calls_{0};
  absl::Mutex mu_;
  absl::Status get_failure_ ABSL_GUARDED_BY(mu_);
};

class KpmResolverTest : public ::testing::Test {
 protected:
  KpmResolverTest() : envelope_(crypto::Keyring::Generate()) {}

  // AddEnrolee stores an active enrolee whose Kpm is sealed under `envelope_` with AAD = kpm_id.
  Enrolee AddEnrolee(const std::string& kpm_id, const SecretBytes& kpm,
                     EnroleeState state = EnroleeState::kActive,
                     std::optional<absl::Time> not_after = std::nullopt,
                     const crypto::Envelope* sealer = nullptr, std::string aad = "") {
    if (sealer == nullptr) sealer = &envelope_;
    if (aad.empty()) aad = kpm_id;
    Enrolee e;
    e.kpm_id = kpm_id;
    absl::StatusOr<std::string> blob = sealer->Seal(kpm, aad);
    EXPECT_TRUE(blob.ok()) << blob.status();
    e.kpm = SealedKey{*blob, static_cast<int32_t>(sealer->active_version())};
    e.enrolee_id = "C-" + kpm_id;
    e.maf_id = "maf.example.com";
    e.not_after = not_after;
    absl::StatusOr<Enrolee> created = store_.CreateEnrolee(e);
    EXPECT_TRUE(created.ok()) << created.status();
    if (state != EnroleeState::kActive) {
      absl::StatusOr<Enrolee> s = store_.SetState(kpm_id, state);
      EXPECT_TRUE(s.ok()) << s.status();
    }
    return *created;
  }

  FakeStore store_;
  crypto::Envelope envelope_;
  FakeClock clock_{kNow};
};

TEST_F(KpmResolverTest, ActiveEnroleeResolvesToItsKpm) {
  SecretBytes kpm = SecretBytes::Copy(kKpmBytes);
  AddEnrolee("device-0001", kpm);
  AddEnrolee("device-0002", SecretBytes::Random(32));
  KpmResolver resolver(&store_, &envelope_, &clock_);
  absl::StatusOr<tls::ResolvedPsk> got = resolver.Resolve("device-0001");
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_TRUE(got->key.Equals(kpm));
}

TEST_F(KpmResolverTest, EnroleeWithFutureNotAfterResolves) {
  SecretBytes kpm = SecretBytes::Copy(kKpmBytes);
  AddEnrolee("device-0001", kpm, EnroleeState::kActive, kNow + absl::Seconds(1));
  KpmResolver resolver(&store_, &envelope_, &clock_);
  absl::StatusOr<tls::ResolvedPsk> got = resolver.Resolve("device-0001");
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_TRUE(got->key.Equals(kpm));
}

TEST_F(KpmResolverTest, UnknownIdentityIsNotFound) {
  AddEnrolee("device-0001", SecretBytes::Copy(kKpmBytes));
  KpmResolver resolver(&store_, &envelope_, &clock_);
  absl::StatusOr<tls::ResolvedPsk> got = resolver.Resolve("device-9999");
  ASSERT_FALSE(got.ok());
  EXPECT_EQ(got.status().code(), absl::StatusCode::kNotFound);
}

TEST_F(KpmResolverTest, DisabledEnroleeIsRefused) {
  AddEnrolee("device-0001", SecretBytes::Copy(kKpmBytes), EnroleeState::kDisabled);
  KpmResolver resolver(&store_, &envelope_, &clock_);
  absl::StatusOr<tls::ResolvedPsk> got = resolver.Resolve("device-0001");
  ASSERT_FALSE(got.ok());
  EXPECT_EQ(got.status().code(), absl::StatusCode::kNotFound);
}

TEST_F(KpmResolverTest, RevokedEnroleeIsRefused) {
  AddEnrolee("device-0001", SecretBytes::Copy(kKpmBytes), EnroleeState::kRevoked);
  KpmResolver resolver(&store_, &envelope_, &clock_);
  absl::StatusOr<tls::ResolvedPsk> got = resolver.Resolve("device-0001");
  ASSERT_FALSE(got.ok());
  EXPECT_EQ(got.status().code(), absl::StatusCode::kNotFound);
}

TEST_F(KpmResolverTest, ExpiredEnroleeIsRefused) {
  AddEnrolee("device-0001", SecretBytes::Copy(kKpmBytes), EnroleeState::kActive,
             kNow - absl::Seconds(1));
  KpmResolver resolver(&store_, &envelope_, &clock_);
  absl::StatusOr<tls::ResolvedPsk> got = resolver.Resolve("device-0001");
  ASSERT_FALSE(got.ok());
  EXPECT_EQ(got.status().code(), absl::StatusCode::kNotFound);
}

TEST_F(KpmResolverTest, EnroleeExpiringExactlyNowIsRefused) {
  AddEnrolee("device-0001", SecretBytes::Copy(kKpmBytes), EnroleeState::kActive, kNow);
  KpmResolver resolver(&store_, &envelope_, &clock_);
  EXPECT_FALSE(resolver.Resolve("device-0001").ok());
}

TEST_F(KpmResolverTest, EnroleeExpiresWhenClockPassesNotAfter) {
  AddEnrolee("device-0001", SecretBytes::Copy(kKpmBytes), EnroleeState::kActive,
             kNow + absl::Minutes(1));
  KpmResolver resolver(&store_, &envelope_, &clock_);
  EXPECT_TRUE(resolver.Resolve("device-0001").ok());
  clock_.Advance(absl::Minutes(2));
  EXPECT_FALSE(resolver.Resolve("device-0001").ok());
}

TEST_F(KpmResolverTest, KpmSealedWithAnotherKeyringFailsWithoutKeyBytes) {
  crypto::Envelope other(crypto::Keyring::Generate());
  SecretBytes kpm = SecretBytes::Copy(kKpmBytes);
  Enrolee e = AddEnrolee("device-0001", kpm, EnroleeState::kActive, std::nullopt, &other);
  KpmResolver resolver(&store_, &envelope_, &clock_);
  absl::StatusOr<tls::ResolvedPsk> got = resolver.Resolve("device-0001");
  ASSERT_FALSE(got.ok());
  std::string msg(got.status().message());
  EXPECT_EQ(msg.find(kKpmBytes), std::string::npos) << msg;
  EXPECT_EQ(msg.find(e.kpm.ciphertext), std::string::npos);
}

TEST_F(KpmResolverTest, KpmSealedForAnotherIdentityFailsWithoutKeyBytes) {
  // A blob moved from another row (AAD = another KpmID) must not open.
  SecretBytes kpm = SecretBytes::Copy(kKpmBytes);
  AddEnrolee("device-0001", kpm, EnroleeState::kActive, std::nullopt, nullptr, "device-0002");
  KpmResolver resolver(&store_, &envelope_, &clock_);
  absl::StatusOr<tls::ResolvedPsk> got = resolver.Resolve("device-0001");
  ASSERT_FALSE(got.ok());
  EXPECT_EQ(std::string(got.status().message()).find(kKpmBytes), std::string::npos);
}

TEST_F(KpmResolverTest, StoreUnavailableTripsBreakerForTheWindow) {
  AddEnrolee("device-0001", SecretBytes::Copy(kKpmBytes));
  KpmResolver resolver(&store_, &envelope_, &clock_, absl::Milliseconds(500));
  store_.FailGets(absl::UnavailableError("connection refused"));

  absl::StatusOr<tls::ResolvedPsk> first = resolver.Resolve("device-0001");
  ASSERT_FALSE(first.ok());
  EXPECT_EQ(first.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(store_.get_calls(), 1);

  // Within the window: failed fast, the store is not asked (for any identity).
  clock_.Advance(absl::Milliseconds(499));
  absl::StatusOr<tls::ResolvedPsk> second = resolver.Resolve("device-0002");
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(store_.get_calls(), 1);

  // The store recovered; after the window the next lookup reaches it and succeeds.
  store_.FailGets(absl::OkStatus());
  clock_.Advance(absl::Milliseconds(2));
  absl::StatusOr<tls::ResolvedPsk> third = resolver.Resolve("device-0001");
  EXPECT_TRUE(third.ok()) << third.status();
  EXPECT_EQ(store_.get_calls(), 2);
}

TEST_F(KpmResolverTest, BreakerRetripsWhenStoreStillDownAfterWindow) {
  KpmResolver resolver(&store_, &envelope_, &clock_, absl::Milliseconds(500));
  store_.FailGets(absl::UnavailableError("down"));
  EXPECT_FALSE(resolver.Resolve("device-0001").ok());
  clock_.Advance(absl::Milliseconds(600));
  EXPECT_FALSE(resolver.Resolve("device-0001").ok());
  EXPECT_EQ(store_.get_calls(), 2);
  clock_.Advance(absl::Milliseconds(100));
  EXPECT_FALSE(resolver.Resolve("device-0001").ok());
  EXPECT_EQ(store_.get_calls(), 2);
}

// docs/protocol.md 2: a store that fails (whatever the error, other than "no such row") is an
// outage, not an answer about the identity: kUnavailable, which the TLS layer turns into an
// internal_error abort (tls::IsPskLookupFailure) so the device retries.
TEST_F(KpmResolverTest, StoreErrorsAreLookupFailuresNotUnknownIdentities) {
  AddEnrolee("device-0001", SecretBytes::Copy(kKpmBytes));
  KpmResolver resolver(&store_, &envelope_, &clock_, absl::ZeroDuration());
  for (absl::Status error : {absl::UnavailableError("connection refused"),
                             absl::DeadlineExceededError("statement timeout"),
                             absl::ResourceExhaustedError("pool exhausted"),
                             absl::InternalError("unexpected SQL error")}) {
    SCOPED_TRACE(error.ToString());
    store_.FailGets(error);
    for (const char* id : {"device-0001", "nobody"}) {
      absl::StatusOr<tls::ResolvedPsk> got = resolver.Resolve(id);
      ASSERT_FALSE(got.ok());
      EXPECT_EQ(got.status().code(), absl::StatusCode::kUnavailable);
      EXPECT_TRUE(tls::IsPskLookupFailure(got.status()));
    }
  }
  store_.FailGets(absl::OkStatus());
  absl::StatusOr<tls::ResolvedPsk> nobody = resolver.Resolve("nobody");
  ASSERT_FALSE(nobody.ok());
  EXPECT_FALSE(tls::IsPskLookupFailure(nobody.status()));
}

// Unusable identities (unknown, disabled, undecryptable row) are never lookup failures, and the
// decoy row an unknown identity unseals is never handed to the enrolment exchange (an error
// carries no context).
TEST_F(KpmResolverTest, UnusableIdentitiesAreNotFoundAndHandNothingOff) {
  crypto::Envelope other(crypto::Keyring::Generate());
  AddEnrolee("device-0001", SecretBytes::Copy(kKpmBytes), EnroleeState::kDisabled);
  AddEnrolee("device-0002", SecretBytes::Copy(kKpmBytes), EnroleeState::kActive, std::nullopt,
             &other);
  KpmResolver resolver(&store_, &envelope_, &clock_);
  for (const char* id : {"device-0001", "device-0002", "nobody"}) {
    SCOPED_TRACE(id);
    absl::StatusOr<tls::ResolvedPsk> got = resolver.Resolve(id);
    ASSERT_FALSE(got.ok());
    EXPECT_EQ(got.status().code(), absl::StatusCode::kNotFound);
    absl::Notification done;
    resolver.ResolveAsync(id, [&](absl::StatusOr<tls::ResolvedPsk> r) {
      EXPECT_EQ(r.status().code(), absl::StatusCode::kNotFound);
      done.Notify();
    });
    done.WaitForNotification();
  }
}

TEST_F(KpmResolverTest, NotFoundAndInternalErrorsDoNotTripBreaker) {
  KpmResolver resolver(&store_, &envelope_, &clock_, absl::Seconds(10));
  EXPECT_FALSE(resolver.Resolve("nobody").ok());
  EXPECT_FALSE(resolver.Resolve("nobody").ok());
  EXPECT_EQ(store_.get_calls(), 2);
  store_.FailGets(absl::InternalError("bad row"));
  EXPECT_FALSE(resolver.Resolve("nobody").ok());
  EXPECT_FALSE(resolver.Resolve("nobody").ok());
  EXPECT_EQ(store_.get_calls(), 4);
}

// EnroleeOf returns the enrolee row a found Kpm carries, or null.
const Enrolee* EnroleeOf(const absl::StatusOr<tls::ResolvedPsk>& got) {
  if (!got.ok()) return nullptr;
  const auto* context = dynamic_cast<const KpmContext*>(got->context.get());
  return context == nullptr ? nullptr : &context->enrolee;
}

TEST_F(KpmResolverTest, FoundKpmCarriesTheResolvedRowForThatIdentity) {
  AddEnrolee("device-0001", SecretBytes::Copy(kKpmBytes));
  AddEnrolee("device-0002", SecretBytes::Copy(kKpmBytes));
  KpmResolver resolver(&store_, &envelope_, &clock_);
  absl::StatusOr<tls::ResolvedPsk> got = resolver.Resolve("device-0001");
  const Enrolee* row = EnroleeOf(got);
  ASSERT_NE(row, nullptr);
  EXPECT_EQ(row->kpm_id, "device-0001");
  EXPECT_EQ(row->enrolee_id, "C-device-0001");
  EXPECT_EQ(row->state, EnroleeState::kActive);
}

// Each answer has its own row: a later lookup of the same identity (another session) does not
// change what an earlier answer carries, even when the row changed in between (Kpm rotated).
TEST_F(KpmResolverTest, EachAnswerCarriesItsOwnRow) {
  Enrolee e = AddEnrolee("device-0001", SecretBytes::Copy(kKpmBytes));
  KpmResolver resolver(&store_, &envelope_, &clock_);
  absl::StatusOr<tls::ResolvedPsk> first = resolver.Resolve("device-0001");
  SecretBytes rotated = SecretBytes::Random(32);
  absl::StatusOr<std::string> blob = envelope_.Seal(rotated, "device-0001");
  ASSERT_TRUE(blob.ok()) << blob.status();
  SealedKey sealed{*blob, static_cast<int32_t>(envelope_.active_version())};
  ASSERT_TRUE(store_.RotateKpm("device-0001", sealed).ok());
  absl::StatusOr<tls::ResolvedPsk> second = resolver.Resolve("device-0001");
  ASSERT_NE(EnroleeOf(first), nullptr);
  ASSERT_NE(EnroleeOf(second), nullptr);
  EXPECT_NE(EnroleeOf(first), EnroleeOf(second));
  EXPECT_TRUE(first->key.Equals(SecretBytes::Copy(kKpmBytes)));
  EXPECT_TRUE(second->key.Equals(rotated));
  EXPECT_EQ(EnroleeOf(first)->kpm.ciphertext, e.kpm.ciphertext);
  EXPECT_EQ(EnroleeOf(second)->kpm.ciphertext, *blob);
}

TEST_F(KpmResolverTest, AsyncResolveAnswersLikeResolveWithTheRow) {
  AddEnrolee("device-0001", SecretBytes::Copy(kKpmBytes));
  AddEnrolee("device-0002", SecretBytes::Copy(kKpmBytes), EnroleeState::kDisabled);
  auto resolver = std::make_shared<KpmResolver>(&store_, &envelope_, &clock_);
  ASSERT_TRUE(resolver->SupportsAsync());
  absl::StatusOr<tls::ResolvedPsk> got = absl::UnknownError("no answer");
  resolver->ResolveAsync("device-0001",
                         [&](absl::StatusOr<tls::ResolvedPsk> r) { got = std::move(r); });
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_TRUE(got->key.Equals(SecretBytes::Copy(kKpmBytes)));
  // The row travels with the answer to whichever thread runs the exchange.
  const Enrolee* row = EnroleeOf(got);
  ASSERT_NE(row, nullptr);
  EXPECT_EQ(row->enrolee_id, "C-device-0001");

  absl::StatusOr<tls::ResolvedPsk> disabled = absl::UnknownError("no answer");
  resolver->ResolveAsync("device-0002",
                         [&](absl::StatusOr<tls::ResolvedPsk> r) { disabled = std::move(r); });
  EXPECT_EQ(disabled.status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(EnroleeOf(disabled), nullptr);
}

TEST_F(KpmResolverTest, UsableChecksStateAndExpiry) {
  Enrolee e;
  e.state = EnroleeState::kActive;
  EXPECT_TRUE(KpmResolver::Usable(e, kNow).ok());
  e.not_after = kNow + absl::Seconds(1);
  EXPECT_TRUE(KpmResolver::Usable(e, kNow).ok());
  e.not_after = kNow;
  EXPECT_FALSE(KpmResolver::Usable(e, kNow).ok());
  e.not_after.reset();
  e.state = EnroleeState::kDisabled;
  EXPECT_FALSE(KpmResolver::Usable(e, kNow).ok());
  e.state = EnroleeState::kRevoked;
  EXPECT_FALSE(KpmResolver::Usable(e, kNow).ok());
}

}  // namespace
}  // namespace onem2m::mef

// Tests of the MEF's bootstrap (docs/protocol.md 2-4) through the Enrolee library, over TLS and
// DTLS: the answer and the durable row it promises, the enrolee checks (Enrolee-ID, refused
// enrolment kinds, wrong or disabled Kpm), and store failures (5103, retries). The fixture is
// enrolment_session_test_fixture.h.
#include "mef/bootstrap/enrolment_session.h"

#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/crypto/key_derivation.h"
#include "common/crypto/key_id.h"
#include "common/exchange/rsc.h"
#include "enrolee/bootstrap_client.h"
#include "enrolee/exchange_client.h"
#include "gtest/gtest.h"
#include "mef/bootstrap/enrolment_session_test_fixture.h"

namespace onem2m::mef {
namespace {

INSTANTIATE_TEST_SUITE_P(Transports, EnrolmentSessionTest,
                         testing::Values(tls::Transport::kTls, tls::Transport::kDtls),
                         TransportParamName);

TEST_P(EnrolmentSessionTest, BootstrapAnswerMatchesClientAndRowHoldsKeSealedUnderKeId) {
  StartServer();
  absl::Time before = absl::Now();
  absl::StatusOr<enrolee::BootstrapResult> r = enrolee::Bootstrap(Options(GetParam()));
  ASSERT_TRUE(r.ok()) << r.status();
  // Bootstrap itself refuses an answer whose KeID differs from its own; check the shape anyway.
  EXPECT_TRUE(absl::EndsWith(r->ke_id, absl::StrCat("@", kMefFqdn))) << r->ke_id;
  EXPECT_EQ(r->ke_id.size(), 32 + 1 + std::string(kMefFqdn).size());
  EXPECT_EQ(r->ke.size(), crypto::kDerivedKeyLen);
  EXPECT_EQ(r->enrolee_id, kEnroleeId);
  EXPECT_EQ(r->maf_id, kMafId);
  ASSERT_TRUE(r->maf_uri.has_value());
  EXPECT_EQ(*r->maf_uri, kMafUri);
  EXPECT_FALSE(r->cipher.empty());
  EXPECT_EQ(r->attempts, 1);
  // Lifetime 1 h from the enrolee row, whole seconds.
  EXPECT_GE(r->expires_at, absl::FromUnixSeconds(absl::ToUnixSeconds(before + absl::Hours(1))));
  EXPECT_LE(r->expires_at, absl::Now() + absl::Hours(1));
  EXPECT_EQ(r->expires_at, absl::FromUnixSeconds(absl::ToUnixSeconds(r->expires_at)));

  // The row was durable before the answer: it is there now, with Ke sealed under AAD = KeID.
  absl::StatusOr<EnrolmentView> view = store_.GetEnrolmentByKeId(*crypto::KeyId::Parse(r->ke_id));
  ASSERT_TRUE(view.ok()) << view.status();
  const Enrolment& row = view->enrolment;
  EXPECT_EQ(row.kpm_id, kKpmId);
  EXPECT_EQ(row.enrolee_id, kEnroleeId);
  EXPECT_EQ(row.maf_id, kMafId);
  EXPECT_EQ(row.expires_at, r->expires_at);
  EXPECT_EQ(row.transport, GetParam() == tls::Transport::kTls ? Transport::kTls : Transport::kDtls);
  EXPECT_TRUE(absl::StartsWith(row.peer_address, "127.0.0.1:")) << row.peer_address;
  EXPECT_EQ(row.ke.kek_version, 3);
  absl::StatusOr<SecretBytes> ke = envelope_.Open(row.ke.ciphertext, r->ke_id);
  ASSERT_TRUE(ke.ok()) << ke.status();
  EXPECT_TRUE(ke->Equals(r->ke));
  EXPECT_FALSE(envelope_.Open(row.ke.ciphertext, kKpmId).ok());  // bound to the KeID only
  EXPECT_EQ(row.ke.ciphertext.find(std::string(r->ke.Reveal())), std::string::npos);
  EXPECT_EQ(EnrolmentRows(), 1u);
  EXPECT_EQ(observer_.outcomes(), std::vector<std::string>{"ok"});
}

TEST_P(EnrolmentSessionTest, EveryBootstrapYieldsAFreshKe) {
  StartServer();
  auto a = enrolee::Bootstrap(Options(GetParam()));
  auto b = enrolee::Bootstrap(Options(GetParam()));
  ASSERT_TRUE(a.ok()) << a.status();
  ASSERT_TRUE(b.ok()) << b.status();
  EXPECT_NE(a->ke_id, b->ke_id);
  EXPECT_FALSE(a->ke.Equals(b->ke));
  EXPECT_EQ(EnrolmentRows(), 2u);
}

TEST_P(EnrolmentSessionTest, MatchingEnroleeIdIsAccepted) {
  StartServer();
  enrolee::BootstrapOptions o = Options(GetParam());
  o.enrolee_id = kEnroleeId;
  auto r = enrolee::Bootstrap(o);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->enrolee_id, kEnroleeId);
}

TEST_P(EnrolmentSessionTest, EnroleeIdMismatchGets4103AndStoresNothing) {
  StartServer();
  enrolee::BootstrapOptions o = Options(GetParam());
  o.enrolee_id = "C-someone-else";
  auto r = enrolee::Bootstrap(o);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), absl::StatusCode::kFailedPrecondition) << r.status();
  EXPECT_TRUE(absl::StrContains(r.status().message(), "4103")) << r.status();
  EXPECT_FALSE(enrolee::IsRetryable(r.status()));
  EXPECT_EQ(EnrolmentRows(), 0u);
  EXPECT_EQ(store_.record_calls(), 0);
  EXPECT_EQ(observer_.outcomes(), std::vector<std::string>{"denied"});
}

TEST_P(EnrolmentSessionTest, CertificateEnrolmentGets5001) {
  StartServer();
  auto c = Connect(GetParam());
  ASSERT_TRUE(c.ok()) << c.status();
  auto resp = enrolee::ExchangeOverSession(
      **c, GetParam(), EnrolmentRequest(R"({"enrolment":{"type":"certificate"}})"), kMefFqdn,
      absl::Now() + absl::Seconds(5));
  ASSERT_TRUE(resp.ok()) << resp.status();
  EXPECT_EQ(resp->rsc, exchange::kRscNotImplemented);
  EXPECT_EQ(EnrolmentRows(), 0u);
  EXPECT_EQ(observer_.outcomes(), std::vector<std::string>{"not_supported"});
}

TEST_P(EnrolmentSessionTest, RemoteManagementEnrolmentGets5001) {
  StartServer();
  auto c = Connect(GetParam());
  ASSERT_TRUE(c.ok()) << c.status();
  auto resp = enrolee::ExchangeOverSession(
      **c, GetParam(), EnrolmentRequest(R"({"enrolment":{"type":"remoteManagement"}})"), kMefFqdn,
      absl::Now() + absl::Seconds(5));
  ASSERT_TRUE(resp.ok()) << resp.status();
  EXPECT_EQ(resp->rsc, exchange::kRscNotImplemented);
  EXPECT_EQ(EnrolmentRows(), 0u);
}

TEST_P(EnrolmentSessionTest, StoreUnavailableAnswers5103AndBootstrapIsRetryable) {
  StartServer();
  store_.FailRecords(absl::UnavailableError("connection to server lost"));
  auto r = enrolee::Bootstrap(Options(GetParam()));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), absl::StatusCode::kUnavailable) << r.status();
  EXPECT_TRUE(absl::StrContains(r.status().message(), "5103")) << r.status();
  EXPECT_TRUE(enrolee::IsRetryable(r.status()));
  EXPECT_EQ(store_.record_calls(), 1);
  EXPECT_EQ(EnrolmentRows(), 0u);
  EXPECT_EQ(observer_.outcomes(), std::vector<std::string>{"store_unavailable"});
}

TEST_P(EnrolmentSessionTest, RetryAfterStoreRecoversSucceedsWithInjectedSleeps) {
  StartServer();
  store_.FailRecords(absl::UnavailableError("down"), /*times=*/2);
  enrolee::RetryPolicy policy;
  policy.max_attempts = 5;
  policy.initial_backoff = absl::Seconds(1);
  policy.max_backoff = absl::Seconds(30);
  std::vector<absl::Duration> sleeps;
  policy.sleep = [&sleeps](absl::Duration d) { sleeps.push_back(d); };
  absl::Time start = absl::Now();
  auto r = enrolee::BootstrapWithRetry(Options(GetParam()), policy);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->attempts, 3);
  ASSERT_EQ(sleeps.size(), 2u);
  EXPECT_LE(sleeps[0], absl::Seconds(1));
  EXPECT_LE(sleeps[1], absl::Seconds(2));
  EXPECT_LT(absl::Now() - start, absl::Seconds(10));  // nothing actually slept
  EXPECT_EQ(store_.record_calls(), 3);
  EXPECT_EQ(EnrolmentRows(), 1u);
  EXPECT_TRUE(store_.GetEnrolmentByKeId(*crypto::KeyId::Parse(r->ke_id)).ok());
}

// Over DTLS the server drops the undecryptable Finished silently (RFC 6347 4.1.2.1); the client
// reports the unanswered Finished as a refused key, so both transports give kUnauthenticated.
TEST_P(EnrolmentSessionTest, WrongKpmIsRefusedAndNothingIsStored) {
  StartServer();
  enrolee::BootstrapOptions o = Options(GetParam());
  o.attempt_timeout = absl::Seconds(3);
  o.kpm = SecretBytes::Copy("wrong-0123456789abcdef-0123456789");
  auto r = enrolee::Bootstrap(o);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), absl::StatusCode::kUnauthenticated) << r.status();
  EXPECT_EQ(EnrolmentRows(), 0u);
}

TEST_P(EnrolmentSessionTest, DisabledEnroleeFailsHandshakeLikeWrongKey) {
  StartServer();
  ASSERT_TRUE(store_.SetState(kKpmId, EnroleeState::kDisabled).ok());
  enrolee::BootstrapOptions options = Options(GetParam());
  options.attempt_timeout = absl::Seconds(3);
  auto disabled = enrolee::Bootstrap(options);
  enrolee::BootstrapOptions unknown = options;
  unknown.kpm_id = "device-unknown";
  auto nobody = enrolee::Bootstrap(unknown);
  ASSERT_FALSE(disabled.ok());
  ASSERT_FALSE(nobody.ok());
  EXPECT_EQ(disabled.status().code(), absl::StatusCode::kUnauthenticated);
  EXPECT_EQ(nobody.status().code(), disabled.status().code());
  EXPECT_EQ(EnrolmentRows(), 0u);
}

}  // namespace
}  // namespace onem2m::mef

// Tests for the Enrolee's bootstrap client over TLS and DTLS against a fake MEF (a PskServer on
// 127.0.0.1:0 whose handler answers as told, testing/fake_mef.h): the answer and local Ke, the
// mapping of answers to Status codes, and which failures the retrying calls retry. The retry
// policy alone is bootstrap_retry_test.cc.
#include "enrolee/bootstrap_client.h"

#include <atomic>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/synchronization/mutex.h"
#include "common/exchange/rsc.h"
#include "common/psk_server/psk_server.h"
#include "common/tls/psk_context.h"
#include "common/tls/psk_resolver.h"
#include "enrolee/maf_client.h"
#include "enrolee/testing/fake_mef.h"
#include "gtest/gtest.h"

namespace onem2m::enrolee {
namespace {

std::string TransportParamName(const testing::TestParamInfo<tls::Transport>& info) {
  return info.param == tls::Transport::kTls ? "Tls" : "Dtls";
}

class BootstrapClientTest : public testing::TestWithParam<tls::Transport> {
 protected:
  void SetUp() override {
    factory_.answer = [](const std::string& ke_id, const exchange::Request&) {
      return GoodAnswer(ke_id);
    };
    auto resolver = std::make_shared<tls::FunctionPskResolver>(
        [this](absl::string_view id) -> absl::StatusOr<SecretBytes> {
          // A store outage for the next `store_down_for_` lookups (whatever the identity).
          if (store_down_for_.fetch_sub(1) > 0) return absl::UnavailableError("store down");
          if (id == kKpmId) return Kpm();
          return absl::NotFoundError("unknown");
        });
    tls::ServerOptions so;
    so.handshake_timeout = absl::Seconds(5);
    so.transport = tls::Transport::kTls;
    auto tls_ctx = tls::PskContext::NewServer(so, resolver);
    ASSERT_TRUE(tls_ctx.ok()) << tls_ctx.status();
    so.transport = tls::Transport::kDtls;
    auto dtls_ctx = tls::PskContext::NewServer(so, resolver);
    ASSERT_TRUE(dtls_ctx.ok()) << dtls_ctx.status();
    server::PskServerOptions o;
    o.tls_listen = {"127.0.0.1:0"};
    o.dtls_listen = {"127.0.0.1:0"};
    o.tls_context = *tls_ctx;
    o.dtls_context = *dtls_ctx;
    o.io_threads = 1;
    auto server = server::PskServer::Start(o, &factory_, nullptr);
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = std::move(*server);
  }
  void TearDown() override {
    if (server_) server_->Shutdown(absl::Seconds(1));
  }

  BootstrapOptions Options(tls::Transport t) const {
    BootstrapOptions o;
    o.mef_host = "127.0.0.1";
    o.mef_port = t == tls::Transport::kTls ? server_->tls_addresses()[0].port()
                                           : server_->dtls_addresses()[0].port();
    o.mef_fqdn = kMefFqdn;
    o.transport = t;
    o.kpm_id = kKpmId;
    o.kpm = Kpm();
    o.attempt_timeout = absl::Seconds(5);
    return o;
  }

  void AnswerWith(exchange::Response r) {
    absl::MutexLock l(&factory_.mu);
    factory_.answer = [r](const std::string&, const exchange::Request&) { return r; };
  }

  FakeMefFactory factory_;
  std::unique_ptr<server::PskServer> server_;
  std::atomic<int> store_down_for_{0};
};

INSTANTIATE_TEST_SUITE_P(Transports, BootstrapClientTest,
                         testing::Values(tls::Transport::kTls, tls::Transport::kDtls),
                         TransportParamName);

TEST_P(BootstrapClientTest, SuccessfulBootstrapReturnsTheAnswerAndLocalKe) {
  BootstrapOptions o = Options(GetParam());
  o.enrolee_id = "C-device-0001";
  auto r = Bootstrap(o);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_TRUE(absl::EndsWith(r->ke_id, "@mef.example.com"));
  EXPECT_EQ(r->ke.size(), crypto::kDerivedKeyLen);
  EXPECT_EQ(r->enrolee_id, "C-device-0001");
  EXPECT_EQ(r->maf_id, "maf.example.com");
  EXPECT_EQ(r->maf_uri.value_or(""), "https://maf.example.com");
  EXPECT_EQ(r->expires_at, absl::FromUnixSeconds(1900000000));
  EXPECT_FALSE(r->cipher.empty());

  // What the MEF saw: one MAF-enrolment POST carrying the configured Enrolee-ID.
  std::vector<exchange::Request> seen = factory_.Seen();
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_EQ(seen[0].path, "/enrolment");
  EXPECT_EQ(seen[0].originator, "C-device-0001");
  EXPECT_FALSE(seen[0].request_id.empty());
  auto body = exchange::ParseEnrolmentRequest(seen[0].body);
  ASSERT_TRUE(body.ok()) << body.status();
  EXPECT_EQ(body->type, exchange::EnrolmentType::kMaf);
  EXPECT_EQ(body->enrolee_id.value_or(""), "C-device-0001");
}

TEST_P(BootstrapClientTest, OriginatorFallsBackToKpmIdWithoutEnroleeId) {
  auto r = Bootstrap(Options(GetParam()));
  ASSERT_TRUE(r.ok()) << r.status();
  std::vector<exchange::Request> seen = factory_.Seen();
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_EQ(seen[0].originator, kKpmId);
  auto body = exchange::ParseEnrolmentRequest(seen[0].body);
  ASSERT_TRUE(body.ok());
  EXPECT_FALSE(body->enrolee_id.has_value());
}

TEST_P(BootstrapClientTest, AnswerWithAnotherKeIdIsDataLoss) {
  AnswerWith(GoodAnswer("00112233445566778899AABBCCDDEEFF@mef.example.com"));
  auto r = Bootstrap(Options(GetParam()));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), absl::StatusCode::kDataLoss) << r.status();
  EXPECT_FALSE(IsRetryable(r.status()));
}

TEST_P(BootstrapClientTest, TargetNotReachableIsUnavailable) {
  AnswerWith(exchange::ErrorResponse(exchange::kRscTargetNotReachable, "db down"));
  auto r = Bootstrap(Options(GetParam()));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_TRUE(absl::StrContains(r.status().message(), "5103"));
  EXPECT_TRUE(absl::StrContains(r.status().message(), "db down"));
  EXPECT_TRUE(IsRetryable(r.status()));
}

TEST_P(BootstrapClientTest, OtherRefusalsAreFailedPreconditionWithRsc) {
  for (int rsc : {exchange::kRscOriginatorHasNoPrivilege, exchange::kRscNotImplemented,
                  exchange::kRscBadRequest, exchange::kRscInternalServerError}) {
    SCOPED_TRACE(rsc);
    AnswerWith(exchange::ErrorResponse(rsc, "refused"));
    auto r = Bootstrap(Options(GetParam()));
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.status().code(), absl::StatusCode::kFailedPrecondition) << r.status();
    EXPECT_TRUE(absl::StrContains(r.status().message(), std::to_string(rsc))) << r.status();
    EXPECT_FALSE(IsRetryable(r.status()));
  }
}

TEST_P(BootstrapClientTest, CreatedAnswerWithoutKeIdIsRefused) {
  AnswerWith(exchange::Response{exchange::kRscCreated,
                                {{"credentialType", "symmetric"}, {"enroleeId", "C-x"}}});
  auto r = Bootstrap(Options(GetParam()));
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().code(), absl::StatusCode::kOk);
  EXPECT_FALSE(IsRetryable(r.status()));
}

// Over DTLS the server drops the undecryptable Finished silently; the client reports a handshake
// whose Finished got no answer as kUnauthenticated, so on both transports a wrong key is not
// retried.
TEST_P(BootstrapClientTest, RetryStopsAtOnceOnWrongKey) {
  BootstrapOptions o = Options(GetParam());
  o.attempt_timeout = absl::Seconds(3);
  o.kpm = SecretBytes::Copy("wrong-0123456789abcdef-0123456789");
  RetryPolicy policy;
  std::vector<absl::Duration> sleeps;
  policy.sleep = [&sleeps](absl::Duration d) { sleeps.push_back(d); };
  auto r = BootstrapWithRetry(o, policy);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), absl::StatusCode::kUnauthenticated) << r.status();
  EXPECT_TRUE(sleeps.empty());
  EXPECT_TRUE(factory_.Seen().empty());
}

// docs/protocol.md 2: while the MEF's store is down its lookups fail, and it aborts the handshake
// with internal_error instead of pretending the key is wrong; the device sees kUnavailable and
// retries with jittered backoff until the store is back.
TEST_P(BootstrapClientTest, StoreOutageIsRetriedWithJitteredBackoffUntilItPasses) {
  store_down_for_ = 3;
  RetryPolicy policy;
  std::vector<absl::Duration> sleeps;
  policy.sleep = [&sleeps](absl::Duration d) { sleeps.push_back(d); };
  auto r = BootstrapWithRetry(Options(GetParam()), policy);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->attempts, 4);
  ASSERT_EQ(sleeps.size(), 3u);
  for (size_t i = 0; i < sleeps.size(); ++i) {
    EXPECT_LT(sleeps[i], policy.initial_backoff * (1 << i)) << i;  // full jitter under the cap
  }
}

// The same for the MAF (docs/protocol.md 7): a handshake the server aborts because its key source
// is unreachable is retried; a wrong key is not. (Any PSK server will do for the handshake.)
TEST_P(BootstrapClientTest, MafConnectRetriesAnAbortedLookupButNotAWrongKey) {
  MafClientOptions mo;
  mo.maf_host = "127.0.0.1";
  mo.maf_port = Options(GetParam()).mef_port;
  mo.maf_fqdn = kMefFqdn;
  mo.transport = GetParam();
  mo.psk_identity = kKpmId;
  mo.psk = Kpm();
  mo.timeout = absl::Seconds(3);
  RetryPolicy policy;
  std::vector<absl::Duration> sleeps;
  policy.sleep = [&sleeps](absl::Duration d) { sleeps.push_back(d); };
  store_down_for_ = 2;
  auto ok = MafClient::ConnectWithRetry(mo, policy);
  ASSERT_TRUE(ok.ok()) << ok.status();
  EXPECT_EQ(sleeps.size(), 2u);
  sleeps.clear();
  mo.psk = SecretBytes::Copy("wrong-0123456789abcdef-0123456789");
  auto wrong = MafClient::ConnectWithRetry(mo, policy);
  ASSERT_FALSE(wrong.ok());
  EXPECT_EQ(wrong.status().code(), absl::StatusCode::kUnauthenticated) << wrong.status();
  EXPECT_TRUE(sleeps.empty());
}

TEST_P(BootstrapClientTest, StoreOutageAloneIsUnavailableNotAWrongKey) {
  store_down_for_ = 1;
  auto r = Bootstrap(Options(GetParam()));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), absl::StatusCode::kUnavailable) << r.status();
  EXPECT_TRUE(IsRetryable(r.status()));
}

TEST_P(BootstrapClientTest, RetryStopsAtOnceOnRefusal) {
  AnswerWith(exchange::ErrorResponse(exchange::kRscOriginatorHasNoPrivilege, "no"));
  RetryPolicy policy;
  std::vector<absl::Duration> sleeps;
  policy.sleep = [&sleeps](absl::Duration d) { sleeps.push_back(d); };
  auto r = BootstrapWithRetry(Options(GetParam()), policy);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_TRUE(sleeps.empty());
  EXPECT_EQ(factory_.Seen().size(), 1u);
}

TEST_P(BootstrapClientTest, RetryGivesUpAfterMaxAttemptsOnUnavailable) {
  AnswerWith(exchange::ErrorResponse(exchange::kRscTargetNotReachable, "db down"));
  RetryPolicy policy;
  policy.max_attempts = 3;
  std::vector<absl::Duration> sleeps;
  policy.sleep = [&sleeps](absl::Duration d) { sleeps.push_back(d); };
  auto r = BootstrapWithRetry(Options(GetParam()), policy);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(sleeps.size(), 2u);  // no sleep after the last attempt
  EXPECT_EQ(factory_.Seen().size(), 3u);
}

}  // namespace
}  // namespace onem2m::enrolee

// Tests of the requests one bootstrap session answers, sent raw over a tls::BlockingClient (TLS and
// DTLS): a repeated request, a request after a store failure, malformed JSON, an unknown path, and
// the Ke lifetime the answer grants. The fixture is enrolment_session_test_fixture.h.
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/crypto/key_id.h"
#include "common/exchange/enrolment_messages.h"
#include "common/exchange/http_adapter.h"
#include "common/exchange/rsc.h"
#include "common/http/response_parser.h"
#include "enrolee/bootstrap_client.h"
#include "enrolee/exchange_client.h"
#include "gtest/gtest.h"
#include "mef/bootstrap/enrolment_session.h"
#include "mef/bootstrap/enrolment_session_test_fixture.h"

namespace onem2m::mef {
namespace {

INSTANTIATE_TEST_SUITE_P(Transports, EnrolmentSessionTest,
                         testing::Values(tls::Transport::kTls, tls::Transport::kDtls),
                         TransportParamName);

TEST_P(EnrolmentSessionTest, RepeatedRequestOnSameSessionGetsSameAnswerAndOneRow) {
  StartServer();
  auto c = Connect(GetParam());
  ASSERT_TRUE(c.ok()) << c.status();
  std::string ke_id = ExpectedKeId(**c);
  absl::Time deadline = absl::Now() + absl::Seconds(5);
  auto first = enrolee::ExchangeOverSession(
      **c, GetParam(), EnrolmentRequest(R"({"enrolment":{"type":"maf"}})"), kMefFqdn, deadline);
  ASSERT_TRUE(first.ok()) << first.status();
  ASSERT_EQ(first->rsc, exchange::kRscCreated) << first->body.dump();
  auto second = enrolee::ExchangeOverSession(
      **c, GetParam(), EnrolmentRequest(R"({"enrolment":{"type":"maf"}})"), kMefFqdn, deadline);
  ASSERT_TRUE(second.ok()) << second.status();
  EXPECT_EQ(second->rsc, exchange::kRscCreated);
  EXPECT_EQ(second->body, first->body);
  auto answer = exchange::ParseEnrolmentAnswer(first->body);
  ASSERT_TRUE(answer.ok()) << answer.status();
  EXPECT_EQ(answer->ke_id, ke_id);
  EXPECT_EQ(store_.record_calls(), 1);
  EXPECT_EQ(EnrolmentRows(), 1u);
}

TEST_P(EnrolmentSessionTest, RequestAfterStoreFailureOnSameSessionIsRecordedAgain) {
  StartServer();
  store_.FailRecords(absl::UnavailableError("down"), /*times=*/1);
  auto c = Connect(GetParam());
  ASSERT_TRUE(c.ok()) << c.status();
  absl::Time deadline = absl::Now() + absl::Seconds(5);
  auto first = enrolee::ExchangeOverSession(
      **c, GetParam(), EnrolmentRequest(R"({"enrolment":{"type":"maf"}})"), kMefFqdn, deadline);
  ASSERT_TRUE(first.ok()) << first.status();
  EXPECT_EQ(first->rsc, exchange::kRscTargetNotReachable);
  auto second = enrolee::ExchangeOverSession(
      **c, GetParam(), EnrolmentRequest(R"({"enrolment":{"type":"maf"}})"), kMefFqdn, deadline);
  ASSERT_TRUE(second.ok()) << second.status();
  EXPECT_EQ(second->rsc, exchange::kRscCreated);
  EXPECT_EQ(EnrolmentRows(), 1u);
}

TEST_P(EnrolmentSessionTest, MalformedJsonGets4000) {
  StartServer();
  auto c = Connect(GetParam());
  ASSERT_TRUE(c.ok()) << c.status();
  absl::Time deadline = absl::Now() + absl::Seconds(5);
  if (GetParam() == tls::Transport::kTls) {
    // Raw bytes, so nothing on the client side validates the body.
    const std::string body = R"({"enrolment": {"type": "maf")";
    std::string raw = absl::StrCat(
        "POST /enrolment HTTP/1.1\r\nHost: mef.example.com\r\nX-M2M-Origin: C-device-0001\r\n"
        "X-M2M-RI: rq-malformed\r\nContent-Type: application/json\r\nContent-Length: ",
        body.size(), "\r\n\r\n", body);
    ASSERT_TRUE((*c)->Write(raw, deadline).ok());
    http::ResponseParser parser;
    bool complete = false;
    while (!complete) {
      auto chunk = (*c)->Read(4096, deadline);
      ASSERT_TRUE(chunk.ok()) << chunk.status();
      ASSERT_FALSE(chunk->empty()) << "session closed before the answer";
      auto fed = parser.Feed(*chunk);
      ASSERT_TRUE(fed.ok()) << fed.status();
      complete = fed->state == http::ParseState::kComplete;
    }
    auto resp = parser.TakeResponse();
    ASSERT_TRUE(resp.ok());
    EXPECT_EQ(resp->status, 400);
    const std::string* rsc = http::FindHeader(resp->headers, exchange::kHeaderRsc);
    ASSERT_NE(rsc, nullptr);
    EXPECT_EQ(*rsc, "4000");
    const std::string* ri = http::FindHeader(resp->headers, exchange::kHeaderRequestId);
    ASSERT_NE(ri, nullptr);
    EXPECT_EQ(*ri, "rq-malformed");
  } else {
    auto resp = enrolee::ExchangeOverSession(**c, GetParam(), EnrolmentRequest("{not json"),
                                             kMefFqdn, deadline);
    ASSERT_TRUE(resp.ok()) << resp.status();
    EXPECT_EQ(resp->rsc, exchange::kRscBadRequest);
  }
  EXPECT_EQ(EnrolmentRows(), 0u);
  EXPECT_EQ(observer_.outcomes(), std::vector<std::string>{"bad_request"});
}

TEST_P(EnrolmentSessionTest, UnknownPathGets4004) {
  StartServer();
  auto c = Connect(GetParam());
  ASSERT_TRUE(c.ok()) << c.status();
  exchange::Request req = EnrolmentRequest(R"({"enrolment":{"type":"maf"}})");
  req.path = "/maf/keys";
  auto resp =
      enrolee::ExchangeOverSession(**c, GetParam(), req, kMefFqdn, absl::Now() + absl::Seconds(5));
  ASSERT_TRUE(resp.ok()) << resp.status();
  EXPECT_EQ(resp->rsc, exchange::kRscNotFound);
  EXPECT_EQ(EnrolmentRows(), 0u);
}

TEST_P(EnrolmentSessionTest, KeNeverOutlivesEnroleeNotAfter) {
  absl::Time not_after = absl::Now() + absl::Minutes(10) + absl::Milliseconds(500);
  AddEnrolee("device-0002", Kpm(), "C-device-0002", absl::Hours(1), not_after);
  StartServer();
  enrolee::BootstrapOptions o = Options(GetParam());
  o.kpm_id = "device-0002";
  auto r = enrolee::Bootstrap(o);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->expires_at, absl::FromUnixSeconds(absl::ToUnixSeconds(not_after)));
  auto view = store_.GetEnrolmentByKeId(*crypto::KeyId::Parse(r->ke_id));
  ASSERT_TRUE(view.ok());
  EXPECT_LE(view->enrolment.expires_at, not_after);
}

TEST_P(EnrolmentSessionTest, DefaultLifetimeAppliesWhenEnroleeSetsNone) {
  AddEnrolee("device-0003", Kpm(), "C-device-0003", std::nullopt, std::nullopt);
  StartServer();
  enrolee::BootstrapOptions o = Options(GetParam());
  o.kpm_id = "device-0003";
  absl::Time before = absl::Now();
  auto r = enrolee::Bootstrap(o);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_GE(r->expires_at, absl::FromUnixSeconds(absl::ToUnixSeconds(before + absl::Hours(24))));
  EXPECT_LE(r->expires_at, absl::Now() + absl::Hours(24));
}

}  // namespace
}  // namespace onem2m::mef

// Tests of TS-0003 8.3.2.1's full enrolment exchange at the MEF (docs/protocol.md 4), over TLS and
// DTLS: the Table 8.3.2.1-1 request, the Table 8.3.2.1-3 answer with the MAF URIs, the Enrolee's
// success message and the end-of-exchange answer on the same session; and how MafUrisFor derives
// those URIs. The fixture is enrolment_session_test_fixture.h.
#include <string>
#include <vector>

#include "common/crypto/key_id.h"
#include "common/exchange/enrolment_messages.h"
#include "common/exchange/rsc.h"
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

// --- TS-0003 8.3.2.1's full exchange: Table 8.3.2.1-1 request, Table 8.3.2.1-3 answer, the
// Enrolee's success message and the MEF's end-of-exchange answer on the same session ----------

constexpr char kFullRequest[] =
    R"({"certificateEnrolmentIndication":false,"mafEnrolmentIndication":true,)"
    R"("remoteManagementIndication":false})";

TEST_P(EnrolmentSessionTest, IndicationsRequestGetsTable_8_3_2_1_3AnswerWithMafUris) {
  StartServer();
  auto c = Connect(GetParam());
  ASSERT_TRUE(c.ok()) << c.status();
  std::string ke_id = ExpectedKeId(**c);
  auto resp = enrolee::ExchangeOverSession(**c, GetParam(), EnrolmentRequest(kFullRequest),
                                           kMefFqdn, absl::Now() + absl::Seconds(5));
  ASSERT_TRUE(resp.ok()) << resp.status();
  ASSERT_EQ(resp->rsc, exchange::kRscCreated) << resp->body.dump();
  EXPECT_EQ(resp->body["instructionType"], "mafEnrolment");
  EXPECT_EQ(resp->body["credentialType"], "symmetric");
  EXPECT_FALSE(resp->body.contains("expirationTime"));  // Table 8.3.2.1-3 calls it lifetime
  auto answer = exchange::ParseEnrolmentAnswer(resp->body);
  ASSERT_TRUE(answer.ok()) << answer.status();
  EXPECT_EQ(answer->ke_id, ke_id);
  EXPECT_EQ(answer->enrolee_id, kEnroleeId);
  EXPECT_EQ(answer->maf_id, kMafId);
  ASSERT_TRUE(answer->maf_uris.has_value());
  EXPECT_EQ(answer->maf_uris->client_registration, std::string(kMafUri) + "/maf/clients");
  EXPECT_EQ(answer->maf_uris->key_registration, std::string(kMafUri) + "/maf/keys");
  EXPECT_EQ(answer->maf_uris->key_retrieval, std::string(kMafUri) + "/maf/keys/retrieve");
  // Lifetime is the enrolment's expiry (TS-0003 10.7), the row's expires_at.
  auto row = store_.GetEnrolmentByKeId(*crypto::KeyId::Parse(ke_id));
  ASSERT_TRUE(row.ok()) << row.status();
  EXPECT_EQ(answer->expiration_time, row->enrolment.expires_at);
  EXPECT_EQ(observer_.outcomes(), std::vector<std::string>{"ok"});
}

TEST_P(EnrolmentSessionTest, IndicationsWithoutMafGet5001AndStoreNothing) {
  StartServer();
  auto c = Connect(GetParam());
  ASSERT_TRUE(c.ok()) << c.status();
  auto resp = enrolee::ExchangeOverSession(
      **c, GetParam(),
      EnrolmentRequest(R"({"certificateEnrolmentIndication":true,"mafEnrolmentIndication":false,)"
                       R"("remoteManagementIndication":true})"),
      kMefFqdn, absl::Now() + absl::Seconds(5));
  ASSERT_TRUE(resp.ok()) << resp.status();
  EXPECT_EQ(resp->rsc, exchange::kRscNotImplemented);
  EXPECT_NE(resp->body.dump().find("mafEnrolmentIndication"), std::string::npos);
  EXPECT_EQ(EnrolmentRows(), 0u);
  EXPECT_EQ(observer_.outcomes(), std::vector<std::string>{"not_supported"});
}

// The clause's steps after MAF Client Registration: success message -> end of exchange -> the MEF
// closes the session. Both request forms allow it.
TEST_P(EnrolmentSessionTest, SuccessMessageGetsEndOfExchangeAndSessionCloses) {
  StartServer();
  for (const char* first_request : {kFullRequest, R"({"enrolment":{"type":"maf"}})"}) {
    SCOPED_TRACE(first_request);
    auto c = Connect(GetParam());
    ASSERT_TRUE(c.ok()) << c.status();
    absl::Time deadline = absl::Now() + absl::Seconds(5);
    auto answer = enrolee::ExchangeOverSession(**c, GetParam(), EnrolmentRequest(first_request),
                                               kMefFqdn, deadline);
    ASSERT_TRUE(answer.ok()) << answer.status();
    ASSERT_EQ(answer->rsc, exchange::kRscCreated);
    auto end = enrolee::ExchangeOverSession(
        **c, GetParam(), EnrolmentRequest(R"({"instructionType":"mafEnrolment","status":true})"),
        kMefFqdn, deadline);
    ASSERT_TRUE(end.ok()) << end.status();
    EXPECT_EQ(end->rsc, exchange::kRscOk);
    EXPECT_TRUE(exchange::CheckEndOfExchangeAnswer(end->body).ok()) << end->body.dump();
    // The MEF closed the session: end of stream (close_notify), not silence until a deadline.
    absl::StatusOr<std::string> more = (*c)->Read(4096, absl::Now() + absl::Seconds(3));
    if (more.ok()) {
      EXPECT_TRUE(more->empty()) << "unexpected bytes after the end of the exchange";
    } else {
      EXPECT_NE(more.status().code(), absl::StatusCode::kDeadlineExceeded) << more.status();
    }
  }
  EXPECT_EQ(EnrolmentRows(), 2u);
}

TEST_P(EnrolmentSessionTest, SuccessMessageBeforeAnyAnswerGets4000) {
  StartServer();
  auto c = Connect(GetParam());
  ASSERT_TRUE(c.ok()) << c.status();
  absl::Time deadline = absl::Now() + absl::Seconds(5);
  auto resp = enrolee::ExchangeOverSession(
      **c, GetParam(), EnrolmentRequest(R"({"instructionType":"mafEnrolment","status":true})"),
      kMefFqdn, deadline);
  ASSERT_TRUE(resp.ok()) << resp.status();
  EXPECT_EQ(resp->rsc, exchange::kRscBadRequest);
  // The session stays usable: the enrolment still works afterwards.
  auto answer = enrolee::ExchangeOverSession(**c, GetParam(), EnrolmentRequest(kFullRequest),
                                             kMefFqdn, deadline);
  ASSERT_TRUE(answer.ok()) << answer.status();
  EXPECT_EQ(answer->rsc, exchange::kRscCreated);
  // A result for an instruction this MEF never gave is refused too.
  resp = enrolee::ExchangeOverSession(
      **c, GetParam(), EnrolmentRequest(R"({"instructionType":"remoteManagement","status":true})"),
      kMefFqdn, deadline);
  ASSERT_TRUE(resp.ok()) << resp.status();
  EXPECT_EQ(resp->rsc, exchange::kRscBadRequest);
}

TEST_P(EnrolmentSessionTest, LibraryRunsTheFullExchangeAndReportsSuccess) {
  StartServer();
  enrolee::BootstrapOptions o = Options(GetParam());
  o.full_form = true;
  absl::StatusOr<std::unique_ptr<enrolee::EnrolmentExchange>> x = enrolee::StartEnrolment(o);
  ASSERT_TRUE(x.ok()) << x.status();
  const enrolee::BootstrapResult& r = (*x)->result();
  ASSERT_TRUE(r.maf_uris.has_value());
  EXPECT_EQ(r.maf_uris->key_registration, std::string(kMafUri) + "/maf/keys");
  EXPECT_EQ(r.enrolee_id, kEnroleeId);
  auto row = store_.GetEnrolmentByKeId(*crypto::KeyId::Parse(r.ke_id));
  ASSERT_TRUE(row.ok()) << row.status();  // durable before the answer
  // ... the device would register with the MAF here (TS-0003 8.8.2.4) ...
  absl::Status done = (*x)->ReportResult(/*success=*/true);
  EXPECT_TRUE(done.ok()) << done;
}

TEST(MafUrisForTest, DerivesFromEnroleeDefaultOrMafIdAndHonoursExplicitUris) {
  EnrolmentConfig config;
  Enrolee e;
  e.maf_id = "maf.example.com";
  e.maf_uri = "https://maf.example.com:8443/";  // trailing slash: not doubled
  exchange::MafUris u = MafUrisFor(config, e, tls::Transport::kTls);
  EXPECT_EQ(u.client_registration, "https://maf.example.com:8443/maf/clients");
  EXPECT_EQ(u.key_registration, "https://maf.example.com:8443/maf/keys");
  EXPECT_EQ(u.key_retrieval, "https://maf.example.com:8443/maf/keys/retrieve");

  e.maf_uri.reset();
  u = MafUrisFor(config, e, tls::Transport::kDtls);
  EXPECT_EQ(u.key_registration, "coaps://maf.example.com/maf/keys");
  u = MafUrisFor(config, e, tls::Transport::kTls);
  EXPECT_EQ(u.key_registration, "https://maf.example.com/maf/keys");

  config.default_maf_uri = "coaps://maf.internal:5684";
  u = MafUrisFor(config, e, tls::Transport::kTls);
  EXPECT_EQ(u.key_retrieval, "coaps://maf.internal:5684/maf/keys/retrieve");

  config.maf_key_retrieval_uri = "https://gw.example.com/retrieve";
  u = MafUrisFor(config, e, tls::Transport::kTls);
  EXPECT_EQ(u.key_retrieval, "https://gw.example.com/retrieve");
  EXPECT_EQ(u.key_registration, "coaps://maf.internal:5684/maf/keys");
}

}  // namespace
}  // namespace onem2m::mef

#include "common/exchange/enrolment_messages.h"

#include "common/exchange/internal/json_fields.h"
#include "common/testing/status_matchers.h"
#include "gtest/gtest.h"

namespace onem2m {
namespace exchange {
namespace {

using ::onem2m::testing::StatusIs;

TEST(EnrolmentMessagesTest, ParsesRequest) {
  absl::StatusOr<EnrolmentRequest> r =
      ParseEnrolmentRequest(R"({"enrolment":{"type":"maf","enroleeId":"C-dev"}})");
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->type, EnrolmentType::kMaf);
  EXPECT_EQ(r->enrolee_id, "C-dev");
  r = ParseEnrolmentRequest(R"({"enrolment":{"type":"remoteManagement"}})");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->type, EnrolmentType::kRemoteManagement);
  EXPECT_FALSE(r->enrolee_id.has_value());
}

TEST(EnrolmentMessagesTest, RejectsBadRequestsNamingTheField) {
  struct Case {
    const char* body;
    const char* needle;
  };
  for (const Case& c : {
           Case{R"({"enrolment":{"type":"bogus"}})", "enrolment.type"},
           Case{R"({"enrolment":{"type":1}})", "enrolment.type"},
           Case{R"({"enrolment":{}})", "enrolment.type"},
           Case{R"({"enrolment":{"type":"maf","extra":true}})", "enrolment.extra"},
           Case{R"({"enrolment":{"type":"maf","enroleeId":""}})", "enrolment.enroleeId"},
           Case{R"({"enrolment":"maf"})", "enrolment"},
           Case{R"({"other":{}})", "other"},
           Case{R"({})", "enrolment"},
           Case{R"([1])", "object"},
           Case{R"({"enrolment":{"type":"maf","type":"certificate"}})", "duplicate"},
           Case{R"({"enrolment":{"type":"maf"})", "invalid JSON"},
           Case{"", "invalid JSON"},
       }) {
    absl::StatusOr<EnrolmentRequest> r = ParseEnrolmentRequest(c.body);
    ASSERT_FALSE(r.ok()) << c.body;
    EXPECT_THAT(r, StatusIs(absl::StatusCode::kInvalidArgument));
    EXPECT_NE(r.status().message().find(c.needle), std::string::npos)
        << c.body << " -> " << r.status();
  }
}

TEST(EnrolmentMessagesTest, RequestRoundTrips) {
  absl::StatusOr<std::string> text =
      SerializeEnrolmentRequest({EnrolmentType::kCertificate, std::string("C-1")});
  ASSERT_TRUE(text.ok());
  EXPECT_EQ(*text, R"({"enrolment":{"enroleeId":"C-1","type":"certificate"}})");
  absl::StatusOr<EnrolmentRequest> back = ParseEnrolmentRequest(*text);
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(back->type, EnrolmentType::kCertificate);
}

TEST(EnrolmentMessagesTest, AnswerRoundTrips) {
  EnrolmentAnswer a{"C-dev", "maf.example.com", std::string("coaps://maf.example.com"),
                    "0123456789ABCDEF0123456789ABCDEF@mef.example.com",
                    absl::FromUnixSeconds(1795940100)};
  absl::StatusOr<nlohmann::json> j = SerializeEnrolmentAnswer(a);
  ASSERT_TRUE(j.ok());
  EXPECT_EQ((*j)["credentialType"], "symmetric");
  EXPECT_EQ((*j)["expirationTime"], "20261129T081500");  // TS-0004 6.3.3: no zone
  absl::StatusOr<EnrolmentAnswer> back = ParseEnrolmentAnswer(*j);
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(back->ke_id, a.ke_id);
  EXPECT_EQ(back->maf_uri, a.maf_uri);
  EXPECT_EQ(back->expiration_time, a.expiration_time);
}

TEST(EnrolmentMessagesTest, AnswerRejectsWrongCredentialTypeAndTime) {
  nlohmann::json j = {{"credentialType", "certificate"},
                      {"enroleeId", "C"},
                      {"mafId", "m"},
                      {"keId", "k"},
                      {"expirationTime", "20261129T081500"}};
  EXPECT_FALSE(ParseEnrolmentAnswer(j).ok());
  j["credentialType"] = "symmetric";
  EXPECT_TRUE(ParseEnrolmentAnswer(j).ok());
  for (const char* bad :
       {"2026-11-29T08:15:00Z", "20261129T0815", "20261329T081500", "20260230T081500",
        "20261129T246000", "20261129t081500", "20261129T081500+0000"}) {
    j["expirationTime"] = bad;
    absl::StatusOr<EnrolmentAnswer> a = ParseEnrolmentAnswer(j);
    ASSERT_FALSE(a.ok()) << bad;
    EXPECT_NE(a.status().message().find("expirationTime"), std::string::npos);
  }
}

TEST(EnrolmentMessagesTest, SerializeRefusesEmptyIds) {
  EXPECT_FALSE(SerializeEnrolmentAnswer(EnrolmentAnswer{"", "m", {}, "k", absl::Now()}).ok());
}

// --- Golden messages built from TS-0003 V3.18 clause 8.3.2.1's tables ---------------------------

// Table 8.3.2.1-1: Initial request from Enrolee to MEF, three <True/False> indications.
TEST(EnrolmentMessagesGoldenTest, Table_8_3_2_1_1_InitialRequest) {
  const char* golden = R"({"certificateEnrolmentIndication":false,"mafEnrolmentIndication":true,)"
                       R"("remoteManagementIndication":false})";
  absl::StatusOr<EnrolmentRequest> r = ParseEnrolmentRequest(golden);
  ASSERT_TRUE(r.ok()) << r.status();
  ASSERT_TRUE(r->indications.has_value());
  EXPECT_FALSE(r->indications->certificate);
  EXPECT_TRUE(r->indications->maf);
  EXPECT_FALSE(r->indications->remote_management);
  EXPECT_TRUE(r->WantsMaf());
  EXPECT_FALSE(r->enrolee_id.has_value());

  EnrolmentRequest full;
  full.indications = EnrolmentIndications{false, true, false};
  absl::StatusOr<std::string> text = SerializeEnrolmentRequest(full);
  ASSERT_TRUE(text.ok());
  EXPECT_EQ(*text, golden);

  // All three true: the Enrolee is prepared for anything; MAF enrolment is among it.
  r = ParseEnrolmentRequest(
      R"({"certificateEnrolmentIndication":true,"mafEnrolmentIndication":true,)"
      R"("remoteManagementIndication":true,"enroleeId":"C-dev"})");
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_TRUE(r->WantsMaf());
  EXPECT_EQ(r->enrolee_id, "C-dev");
  // Only certificate enrolment: the MEF has nothing it may instruct (answered 5001).
  r = ParseEnrolmentRequest(R"({"certificateEnrolmentIndication":true})");
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_FALSE(r->WantsMaf());
  EXPECT_FALSE(r->indications->remote_management);  // absent means False
}

TEST(EnrolmentMessagesGoldenTest, Table_8_3_2_1_1_RejectsBadIndications) {
  struct Case {
    const char* body;
    const char* needle;
  };
  for (const Case& c : {
           Case{R"({"mafEnrolmentIndication":"true"})", "mafEnrolmentIndication"},
           Case{R"({"mafEnrolmentIndication":1})", "mafEnrolmentIndication"},
           Case{R"({"mafEnrolmentIndication":true,"type":"maf"})", "type"},
           Case{R"({"enroleeId":"C-dev"})", "mafEnrolmentIndication"},
           Case{R"({"mafEnrolmentIndication":true,"enrolment":{"type":"maf"}})",
                "mafEnrolmentIndication"},
       }) {
    absl::StatusOr<EnrolmentRequest> r = ParseEnrolmentRequest(c.body);
    ASSERT_FALSE(r.ok()) << c.body;
    EXPECT_THAT(r, StatusIs(absl::StatusCode::kInvalidArgument));
    EXPECT_NE(r.status().message().find(c.needle), std::string::npos)
        << c.body << " -> " << r.status();
  }
}

// Table 8.3.2.1-2: Response from MEF to Enrolee triggering Certificate Enrolment.
TEST(EnrolmentMessagesGoldenTest, Table_8_3_2_1_2_CertificateEnrolmentInstruction) {
  nlohmann::json golden = nlohmann::json::parse(
      R"({"instructionType":"certificateEnrolment","uri":"https://ca.example.com/est"})");
  absl::StatusOr<UriInstruction> i = ParseUriInstruction(golden);
  ASSERT_TRUE(i.ok()) << i.status();
  EXPECT_EQ(i->type, InstructionType::kCertificateEnrolment);
  EXPECT_EQ(i->uri, "https://ca.example.com/est");
  absl::StatusOr<nlohmann::json> back = SerializeUriInstruction(*i);
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(*back, golden);
  // The Enrolee library serves MAF enrolment only and says so.
  absl::StatusOr<EnrolmentAnswer> a = ParseEnrolmentAnswer(golden);
  ASSERT_FALSE(a.ok());
  EXPECT_THAT(a, StatusIs(absl::StatusCode::kUnimplemented));
}

// Table 8.3.2.1-3: Response from MEF to Enrolee triggering remote enrolment with a MAF; the
// project adds enroleeId, mafId and keId (docs/protocol.md 4).
TEST(EnrolmentMessagesGoldenTest, Table_8_3_2_1_3_MafEnrolmentInstruction) {
  const absl::Time expiry = absl::FromUnixSeconds(1795940100);  // 2026-11-29 08:15:00 UTC
  nlohmann::json golden = {
      {"instructionType", "mafEnrolment"},
      {"credentialType", "symmetric"},
      {"mafKeyRegistrationUri", "https://maf.example.com:8443/maf/keys"},
      {"mafKeyRetrievalUri", "https://maf.example.com:8443/maf/keys/retrieve"},
      {"mafClientRegistrationUri", "https://maf.example.com:8443/maf/clients"},
      {"lifetime", internal::FormatM2mTime(expiry)},
      {"enroleeId", "C-dev"},
      {"mafId", "maf.example.com"},
      {"keId", "0123456789ABCDEF0123456789ABCDEF@mef.example.com"},
  };
  absl::StatusOr<EnrolmentAnswer> a = ParseEnrolmentAnswer(golden);
  ASSERT_TRUE(a.ok()) << a.status();
  ASSERT_TRUE(a->maf_uris.has_value());
  EXPECT_EQ(a->maf_uris->key_registration, "https://maf.example.com:8443/maf/keys");
  EXPECT_EQ(a->maf_uris->key_retrieval, "https://maf.example.com:8443/maf/keys/retrieve");
  EXPECT_EQ(a->maf_uris->client_registration, "https://maf.example.com:8443/maf/clients");
  EXPECT_TRUE(a->trust_anchors.empty());
  EXPECT_EQ(a->expiration_time, expiry);
  EXPECT_EQ(a->enrolee_id, "C-dev");
  EXPECT_EQ(a->maf_id, "maf.example.com");
  EXPECT_EQ(a->ke_id, "0123456789ABCDEF0123456789ABCDEF@mef.example.com");
  absl::StatusOr<nlohmann::json> back = SerializeEnrolmentAnswer(*a);
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(*back, golden);

  // The optional rows: no client registration URI; trust anchors present.
  golden.erase("mafClientRegistrationUri");
  golden["trustAnchors"] = {"-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n"};
  a = ParseEnrolmentAnswer(golden);
  ASSERT_TRUE(a.ok()) << a.status();
  EXPECT_FALSE(a->maf_uris->client_registration.has_value());
  ASSERT_EQ(a->trust_anchors.size(), 1u);
  back = SerializeEnrolmentAnswer(*a);
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(*back, golden);
}

TEST(EnrolmentMessagesGoldenTest, Table_8_3_2_1_3_RejectsIncompleteAnswers) {
  nlohmann::json good = {
      {"instructionType", "mafEnrolment"},
      {"credentialType", "symmetric"},
      {"mafKeyRegistrationUri", "coaps://maf.example.com/maf/keys"},
      {"mafKeyRetrievalUri", "coaps://maf.example.com/maf/keys/retrieve"},
      {"lifetime", internal::FormatM2mTime(absl::FromUnixSeconds(1795940100))},
      {"enroleeId", "C-dev"},
      {"mafId", "maf.example.com"},
      {"keId", "k@mef.example.com"},
  };
  ASSERT_TRUE(ParseEnrolmentAnswer(good).ok());
  for (const char* field :
       {"mafKeyRegistrationUri", "mafKeyRetrievalUri", "lifetime", "credentialType", "keId"}) {
    nlohmann::json j = good;
    j.erase(field);
    absl::StatusOr<EnrolmentAnswer> a = ParseEnrolmentAnswer(j);
    ASSERT_FALSE(a.ok()) << field;
    EXPECT_NE(a.status().message().find(field), std::string::npos) << a.status();
  }
  nlohmann::json j = good;
  j["mafKeyRetrievalUri"] = "coaps://maf example/keys";
  EXPECT_FALSE(ParseEnrolmentAnswer(j).ok());
  j = good;
  j["expirationTime"] = good["lifetime"];  // a short-form field in the full form
  EXPECT_FALSE(ParseEnrolmentAnswer(j).ok());
  j = good;
  j["credentialType"] = "certificate";
  EXPECT_FALSE(ParseEnrolmentAnswer(j).ok());
  j = good;
  j["trustAnchors"] = "pem";
  EXPECT_FALSE(ParseEnrolmentAnswer(j).ok());
}

// Table 8.3.2.1-4: Response from MEF to Enrolee provisioning the Enrolee for a remote management
// server.
TEST(EnrolmentMessagesGoldenTest, Table_8_3_2_1_4_RemoteManagementInstruction) {
  nlohmann::json golden = nlohmann::json::parse(
      R"({"instructionType":"remoteManagement","uri":"coaps://dm.example.com:5684"})");
  absl::StatusOr<UriInstruction> i = ParseUriInstruction(golden);
  ASSERT_TRUE(i.ok()) << i.status();
  EXPECT_EQ(i->type, InstructionType::kRemoteManagement);
  absl::StatusOr<nlohmann::json> back = SerializeUriInstruction(*i);
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(*back, golden);
  EXPECT_FALSE(
      ParseUriInstruction(nlohmann::json::parse(R"({"instructionType":"remoteManagement"})")).ok());
  EXPECT_FALSE(
      ParseUriInstruction(nlohmann::json::parse(R"({"instructionType":"mafEnrolment","uri":"x"})"))
          .ok());
}

// Clause 8.3.2.1 steps after Table 8.3.2.1-3: "the Enrolee shall send a message to the MEF
// indicating success", then "the MEF shall send a response indicating the end of the enrolment
// exchange".
TEST(EnrolmentMessagesGoldenTest, SuccessMessageAndEndOfExchange) {
  const char* golden = R"({"instructionType":"mafEnrolment","status":true})";
  absl::StatusOr<EnrolmentMessage> m = ParseEnrolmentMessage(golden);
  ASSERT_TRUE(m.ok()) << m.status();
  const EnrolmentResult* r = std::get_if<EnrolmentResult>(&*m);
  ASSERT_NE(r, nullptr);
  EXPECT_EQ(r->instruction, InstructionType::kMafEnrolment);
  EXPECT_TRUE(r->status);
  absl::StatusOr<std::string> text = SerializeEnrolmentResult(EnrolmentResult{});
  ASSERT_TRUE(text.ok());
  EXPECT_EQ(*text, golden);

  EXPECT_EQ(EndOfExchangeAnswer().dump(), R"({"instructionType":"endOfEnrolmentExchange"})");
  EXPECT_TRUE(CheckEndOfExchangeAnswer(EndOfExchangeAnswer()).ok());
  EXPECT_FALSE(CheckEndOfExchangeAnswer(nlohmann::json::parse(R"({"instructionType":"x"})")).ok());

  // Requests of both forms come out of ParseEnrolmentMessage as requests.
  m = ParseEnrolmentMessage(R"({"enrolment":{"type":"maf"}})");
  ASSERT_TRUE(m.ok());
  EXPECT_NE(std::get_if<EnrolmentRequest>(&*m), nullptr);
  m = ParseEnrolmentMessage(R"({"mafEnrolmentIndication":true})");
  ASSERT_TRUE(m.ok());
  EXPECT_NE(std::get_if<EnrolmentRequest>(&*m), nullptr);

  for (const char* bad : {R"({"instructionType":"mafEnrolment"})",
                          R"({"instructionType":"mafEnrolment","status":"ok"})",
                          R"({"instructionType":"endOfEnrolmentExchange","status":true})",
                          R"({"instructionType":"bogus","status":true})",
                          R"({"instructionType":"mafEnrolment","status":true,"x":1})"}) {
    EXPECT_FALSE(ParseEnrolmentMessage(bad).ok()) << bad;
  }
}

}  // namespace
}  // namespace exchange
}  // namespace onem2m

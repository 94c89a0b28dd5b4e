#include "common/exchange/enrolment_messages.h"

#include "gtest/gtest.h"

namespace onem2m {
namespace exchange {
namespace {

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
    EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument);
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
  nlohmann::json j = {{"credentialType", "certificate"}, {"enroleeId", "C"}, {"mafId", "m"},
                      {"keId", "k"}, {"expirationTime", "20261129T081500"}};
  EXPECT_FALSE(ParseEnrolmentAnswer(j).ok());
  j["credentialType"] = "symmetric";
  EXPECT_TRUE(ParseEnrolmentAnswer(j).ok());
  for (const char* bad : {"2026-11-29T08:15:00Z", "20261129T0815", "20261329T081500",
                          "20260230T081500", "20261129T246000", "20261129t081500",
                          "20261129T081500+0000"}) {
    j["expirationTime"] = bad;
    absl::StatusOr<EnrolmentAnswer> a = ParseEnrolmentAnswer(j);
    ASSERT_FALSE(a.ok()) << bad;
    EXPECT_NE(a.status().message().find("expirationTime"), std::string::npos);
  }
}

TEST(EnrolmentMessagesTest, SerializeRefusesEmptyIds) {
  EXPECT_FALSE(SerializeEnrolmentAnswer(EnrolmentAnswer{"", "m", {}, "k", absl::Now()}).ok());
}

}  // namespace
}  // namespace exchange
}  // namespace onem2m

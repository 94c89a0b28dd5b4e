#include "common/exchange/maf_messages.h"

#include "gtest/gtest.h"

namespace onem2m {
namespace exchange {
namespace {

// 32 bytes 0x00..0x1f.
constexpr char kKeyB64[] = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";

TEST(MafMessagesTest, ClientRegistration) {
  EXPECT_TRUE(ParseClientRegistrationRequest("{}").ok());
  absl::StatusOr<ClientRegistrationRequest> r =
      ParseClientRegistrationRequest(R"({"expirationTime":"20270101T000000"})");
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->expiration_time.has_value());
  EXPECT_FALSE(ParseClientRegistrationRequest(R"({"mafClientID":"x"})").ok());

  ClientRegistrationAnswer a{"reg-1", "C-dev", absl::FromUnixSeconds(0), "ABCD@maf"};
  absl::StatusOr<nlohmann::json> j = SerializeClientRegistrationAnswer(a);
  ASSERT_TRUE(j.ok());
  absl::StatusOr<ClientRegistrationAnswer> back = ParseClientRegistrationAnswer(*j);
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(back->assigned_symm_key_id, "ABCD@maf");
  EXPECT_EQ((*j)["expirationTime"], "19700101T000000");
}

TEST(MafMessagesTest, KeyRegistrationWithAndWithoutValue) {
  absl::StatusOr<KeyRegistrationRequest> r = ParseKeyRegistrationRequest(
      std::string(R"({"targetIDs":["t1","t2"],"suid":42,"keyValue":")") + kKeyB64 + "\"}");
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->target_ids.size(), 2u);
  EXPECT_EQ(r->suid, 42);
  ASSERT_TRUE(r->key_value.has_value());
  EXPECT_EQ(r->key_value->size(), 32u);
  EXPECT_EQ(r->key_value->data()[31], 0x1f);

  absl::StatusOr<std::string> text = SerializeKeyRegistrationRequest(*r);
  ASSERT_TRUE(text.ok());
  absl::StatusOr<KeyRegistrationRequest> back = ParseKeyRegistrationRequest(*text);
  ASSERT_TRUE(back.ok());
  EXPECT_TRUE(back->key_value->Equals(*r->key_value));

  r = ParseKeyRegistrationRequest(R"({"targetIDs":["t1"],"suid":12})");
  ASSERT_TRUE(r.ok());
  EXPECT_FALSE(r->key_value.has_value());
}

TEST(MafMessagesTest, KeyRegistrationRejectsBadFields) {
  struct Case {
    const char* body;
    const char* needle;
  };
  for (const Case& c : {
           Case{R"({"suid":12})", "keyRegistration.targetIDs"},
           Case{R"({"targetIDs":[],"suid":12})", "keyRegistration.targetIDs"},
           Case{R"({"targetIDs":"t1","suid":12})", "keyRegistration.targetIDs"},
           Case{R"({"targetIDs":[1],"suid":12})", "targetIDs[0]"},
           Case{R"({"targetIDs":["a","a"],"suid":12})", "targetIDs[1]"},
           Case{R"({"targetIDs":["a"]})", "keyRegistration.suid"},
           Case{R"({"targetIDs":["a"],"suid":"12"})", "keyRegistration.suid"},
           Case{R"({"targetIDs":["a"],"suid":12.5})", "keyRegistration.suid"},
           Case{R"({"targetIDs":["a"],"suid":true})", "keyRegistration.suid"},
           Case{R"({"targetIDs":["a"],"suid":0})", "keyRegistration.suid"},
           Case{R"({"targetIDs":["a"],"suid":18446744073709551615})", "keyRegistration.suid"},
           Case{R"({"targetIDs":["a"],"suid":12,"keyValue":"AAEC"})", "keyValue"},
           Case{R"({"targetIDs":["a"],"suid":12,"keyValue":"not base64!"})", "keyValue"},
           Case{R"({"targetIDs":["a"],"suid":12,"keyValue":"AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8"})",
                "keyValue"},
           Case{R"({"targetIDs":["a"],"suid":12,"expirationTime":5})", "expirationTime"},
           Case{R"({"targetIDs":["a"],"suid":12,"kv":"x"})", "keyRegistration.kv"},
       }) {
    absl::StatusOr<KeyRegistrationRequest> r = ParseKeyRegistrationRequest(c.body);
    ASSERT_FALSE(r.ok()) << c.body;
    EXPECT_NE(r.status().message().find(c.needle), std::string::npos)
        << c.body << " -> " << r.status();
  }
}

TEST(MafMessagesTest, KeyRetrieval) {
  absl::StatusOr<KeyRetrievalRequest> r = ParseKeyRetrievalRequest(R"({"keyID":"AB@maf"})");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->key_id, "AB@maf");
  EXPECT_FALSE(ParseKeyRetrievalRequest(R"({"keyId":"AB@maf"})").ok());

  KeyRetrievalAnswer a;
  a.key_value = SecretBytes::Copy(std::string(32, '\x07'));
  a.suid = 21;
  a.expiration_time = absl::FromUnixSeconds(1795940100);
  absl::StatusOr<nlohmann::json> j = SerializeKeyRetrievalAnswer(a);
  ASSERT_TRUE(j.ok());
  absl::StatusOr<KeyRetrievalAnswer> back = ParseKeyRetrievalAnswer(*j);
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_TRUE(back->key_value.Equals(a.key_value));
  EXPECT_EQ(back->suid, 21);
  a.key_value = SecretBytes::Copy("short");
  EXPECT_FALSE(SerializeKeyRetrievalAnswer(a).ok());
}

TEST(MafMessagesTest, KeyUpdateNeedsAChange) {
  EXPECT_FALSE(ParseKeyUpdateRequest(R"({"keyID":"k"})").ok());
  absl::StatusOr<KeyUpdateRequest> r = ParseKeyUpdateRequest(R"({"keyID":"k","targetIDs":["t"]})");
  ASSERT_TRUE(r.ok());
  EXPECT_FALSE(r->expiration_time.has_value());
  absl::StatusOr<std::string> text = SerializeKeyUpdateRequest(*r);
  ASSERT_TRUE(text.ok());
  EXPECT_EQ(*text, R"({"keyID":"k","targetIDs":["t"]})");
}

TEST(MafMessagesTest, DeregistrationNeedsExactlyOneId) {
  EXPECT_TRUE(ParseDeregistrationRequest(R"({"keyID":"k"})").ok());
  EXPECT_TRUE(ParseDeregistrationRequest(R"({"mafClientRegID":"r"})").ok());
  EXPECT_FALSE(ParseDeregistrationRequest(R"({})").ok());
  EXPECT_FALSE(ParseDeregistrationRequest(R"({"keyID":"k","mafClientRegID":"r"})").ok());
  EXPECT_FALSE(SerializeDeregistrationRequest(DeregistrationRequest{}).ok());
}

TEST(MafMessagesTest, KeyRegistrationAnswerRoundTrips) {
  absl::StatusOr<nlohmann::json> j =
      SerializeKeyRegistrationAnswer({"K1@maf", absl::FromUnixSeconds(86400)});
  ASSERT_TRUE(j.ok());
  absl::StatusOr<KeyRegistrationAnswer> back = ParseKeyRegistrationAnswer(*j);
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(back->key_id, "K1@maf");
  EXPECT_FALSE(ParseKeyRegistrationAnswer(nlohmann::json::array()).ok());
}

}  // namespace
}  // namespace exchange
}  // namespace onem2m

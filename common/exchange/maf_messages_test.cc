// Golden wire tests of the MAF messages, one per table of TS-0003 V3.18 clause 8.8.2: each builds
// the JSON body the table describes (member names as docs/exchange.md 5 records them), parses it,
// serialises the parsed struct back and requires the same JSON; then drops each mandatory
// parameter (multiplicity 1) and requires an error naming it, and drops each optional one
// (0..1) and requires success. Times use the project's m2m:timestamp format (FormatM2mTime), so
// these tests follow that format wherever it is defined.
#include "common/exchange/maf_messages.h"

#include <functional>
#include <string>
#include <vector>

#include "common/exchange/internal/json_fields.h"
#include "gtest/gtest.h"

namespace onem2m {
namespace exchange {
namespace {

using nlohmann::json;

// 32 bytes 0x00..0x1f.
constexpr char kKeyB64[] = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";
constexpr char kRel[] = "0011223344556677AABBCCDDEEFF0011";
const absl::Time kT = absl::FromUnixSeconds(1795940100);  // 2026-11-29 08:15:00 UTC

std::string T(absl::Time t) { return internal::FormatM2mTime(t); }

// ParseFn parses a golden body (request text or answer JSON) and serialises the result back.
using RoundTrip = std::function<absl::StatusOr<json>(const json&)>;

// ExpectTable checks a golden body against a table: round trip, mandatory and optional
// parameters, and an unknown member refused.
void ExpectTable(const json& golden, const RoundTrip& round_trip,
                 const std::vector<std::string>& mandatory,
                 const std::vector<std::string>& optional) {
  absl::StatusOr<json> back = round_trip(golden);
  ASSERT_TRUE(back.ok()) << golden.dump() << " -> " << back.status();
  EXPECT_EQ(*back, golden);
  for (const std::string& field : mandatory) {
    SCOPED_TRACE("without mandatory " + field);
    json j = golden;
    ASSERT_EQ(j.erase(field), 1u);
    absl::StatusOr<json> r = round_trip(j);
    ASSERT_FALSE(r.ok());
    EXPECT_NE(r.status().message().find(field), std::string::npos) << r.status();
  }
  for (const std::string& field : optional) {
    SCOPED_TRACE("without optional " + field);
    json j = golden;
    ASSERT_EQ(j.erase(field), 1u);
    absl::StatusOr<json> r = round_trip(j);
    ASSERT_TRUE(r.ok()) << r.status();
    EXPECT_EQ(*r, j);
  }
  json extra = golden;
  extra["Source MAF Client ID"] = "x";
  EXPECT_FALSE(round_trip(extra).ok());
}

// Request parsers take text; serialisers give text.
template <typename Req>
RoundTrip Requests(absl::StatusOr<Req> (*parse)(absl::string_view),
                   absl::StatusOr<std::string> (*serialize)(const Req&)) {
  return [parse, serialize](const json& j) -> absl::StatusOr<json> {
    absl::StatusOr<Req> r = parse(j.dump());
    if (!r.ok()) return r.status();
    absl::StatusOr<std::string> text = serialize(*r);
    if (!text.ok()) return text.status();
    return json::parse(*text);
  };
}

// Answer parsers take JSON; serialisers give JSON.
template <typename Ans>
RoundTrip Answers(absl::StatusOr<Ans> (*parse)(const json&),
                  absl::StatusOr<json> (*serialize)(const Ans&)) {
  return [parse, serialize](const json& j) -> absl::StatusOr<json> {
    absl::StatusOr<Ans> a = parse(j);
    if (!a.ok()) return a.status();
    return serialize(*a);
  };
}

// --- 8.8.2.3 ---

TEST(MafGoldenTest, ClientRegistrationRequestTable8_8_2_3_1) {
  const json golden = {{"mafFQDN", "maf.example.com"},
                       {"expirationTime", T(kT)},
                       {"labels", {"fleet:north", "meter"}},
                       {"adminFQDN", "sp.example.com"}};
  ExpectTable(golden,
              Requests(&ParseClientRegistrationRequest, &SerializeClientRegistrationRequest),
              {"mafFQDN", "expirationTime", "adminFQDN"}, {"labels"});
  absl::StatusOr<ClientRegistrationRequest> r = ParseClientRegistrationRequest(golden.dump());
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->maf_fqdn, "maf.example.com");
  EXPECT_EQ(r->admin_fqdn, "sp.example.com");
  EXPECT_EQ(r->expiration_time, kT);
  EXPECT_EQ(*r->labels, (Labels{"fleet:north", "meter"}));
  // The project's earlier empty request is refused: expirationTime, MAF-FQDN and adminFQDN are
  // mandatory (multiplicity 1).
  EXPECT_FALSE(ParseClientRegistrationRequest("{}").ok());
}

TEST(MafGoldenTest, ClientRegistrationAnswerTable8_8_2_3_2) {
  const json golden = {{"mafClientRegID", "MC0123"},
                       {"labels", {"meter"}},
                       {"expirationTime", T(kT)},
                       {"mafClientID", "C-device-1"},
                       {"adminFQDN", "sp.example.com"},
                       {"assignedSymmKeyID", "89ABCDEF0123456789ABCDEF01234567@maf.example.com"}};
  ExpectTable(golden, Answers(&ParseClientRegistrationAnswer, &SerializeClientRegistrationAnswer),
              {"mafClientRegID", "expirationTime", "mafClientID", "adminFQDN"},
              {"labels", "assignedSymmKeyID"});
}

// --- 8.8.2.4 ---

TEST(MafGoldenTest, ClientConfigRetrievalRequestTable8_8_2_4_1) {
  const json golden = {{"mafFQDN", "maf.example.com"}, {"mafClientRegID", "MC0123"}};
  ExpectTable(golden,
              Requests(&ParseClientConfigRetrievalRequest, &SerializeClientConfigRetrievalRequest),
              {"mafFQDN", "mafClientRegID"}, {});
}

TEST(MafGoldenTest, ClientConfigRetrievalAnswerTable8_8_2_4_2WithSecClientRegCfg) {
  // mafClientCfg is a sec:clientRegCfg (Table 12.4.2-1).
  const json golden = {{"mafClientCfg",
                        {{"expirationTime", T(kT)},
                         {"labels", {"meter"}},
                         {"fqdn", "maf.example.com"},
                         {"adminFQDN", "sp.example.com"},
                         {"httpPort", 8444},
                         {"coapPort", 5685}}}};
  const RoundTrip rt =
      Answers(&ParseClientConfigRetrievalAnswer, &SerializeClientConfigRetrievalAnswer);
  ExpectTable(golden, rt, {"mafClientCfg"}, {});
  for (const char* field : {"fqdn", "adminFQDN"}) {
    json j = golden;
    j["mafClientCfg"].erase(field);
    EXPECT_FALSE(rt(j).ok()) << field;
  }
  for (const char* field : {"expirationTime", "labels", "httpPort", "coapPort"}) {
    json j = golden;
    j["mafClientCfg"].erase(field);
    absl::StatusOr<json> r = rt(j);
    ASSERT_TRUE(r.ok()) << field << ": " << r.status();
    EXPECT_EQ(*r, j);
  }
  json bad_port = golden;
  bad_port["mafClientCfg"]["coapPort"] = 70000;
  EXPECT_FALSE(rt(bad_port).ok());
}

// --- 8.8.2.5 ---

TEST(MafGoldenTest, ClientRegistrationUpdateRequestTable8_8_2_5_1) {
  const json golden = {{"mafFQDN", "maf.example.com"},
                       {"mafClientRegID", "MC0123"},
                       {"expirationTime", T(kT)},
                       {"labels", {"meter", "room:12"}}};
  const RoundTrip rt =
      Requests(&ParseClientRegistrationUpdateRequest, &SerializeClientRegistrationUpdateRequest);
  ExpectTable(golden, rt, {"mafFQDN", "mafClientRegID"}, {"expirationTime", "labels"});
  // NOTE of the table: at least one of expirationTime and labels.
  json neither = golden;
  neither.erase("expirationTime");
  neither.erase("labels");
  EXPECT_FALSE(rt(neither).ok());
}

TEST(MafGoldenTest, ClientRegistrationUpdateAnswerTable8_8_2_5_2) {
  const json golden = {{"expirationTime", T(kT)},
                       {"labels", {"meter"}},
                       {"assignedSymmKeyID", "89ABCDEF0123456789ABCDEF01234567@maf.example.com"}};
  ExpectTable(
      golden,
      Answers(&ParseClientRegistrationUpdateAnswer, &SerializeClientRegistrationUpdateAnswer), {},
      {"expirationTime", "labels", "assignedSymmKeyID"});
}

// --- 8.8.2.6 ---

TEST(MafGoldenTest, ClientDeregistrationRequestTable8_8_2_6_1) {
  const json golden = {{"mafFQDN", "maf.example.com"}, {"mafClientRegID", "MC0123"}};
  ExpectTable(golden,
              Requests(&ParseClientDeregistrationRequest, &SerializeClientDeregistrationRequest),
              {"mafFQDN", "mafClientRegID"}, {});
}

// --- 8.8.2.7 ---

TEST(MafGoldenTest, KeyRegistrationRequestTable8_8_2_7_1) {
  const json golden = {{"mafFQDN", "maf.example.com"},
                       {"expirationTime", T(kT)},
                       {"labels", {"meter"}},
                       {"adminFQDN", "sp.example.com"},
                       {"suid", 32},
                       {"targetIDs", {"C-target-1"}},
                       {"keyValue", kKeyB64}};
  ExpectTable(golden, Requests(&ParseKeyRegistrationRequest, &SerializeKeyRegistrationRequest),
              {"mafFQDN", "expirationTime", "adminFQDN", "suid"},
              {"labels", "targetIDs", "keyValue"});
  absl::StatusOr<KeyRegistrationRequest> r = ParseKeyRegistrationRequest(golden.dump());
  ASSERT_TRUE(r.ok());
  ASSERT_TRUE(r->key_value.has_value());
  EXPECT_EQ(r->key_value->size(), 32u);
  EXPECT_EQ(r->key_value->data()[31], 0x1f);
}

TEST(MafGoldenTest, KeyRegistrationSuidIsAMafDistributedKey) {
  // TS-0004 Table 6.3.4.2.39-1: 32..35 are MAF-distributed symmetric keys; 42 is an SAEF
  // certificate, 21 a key shared with a MAF, 12 a pre-provisioned SAEF key.
  json j = {
      {"mafFQDN", "maf.example.com"}, {"expirationTime", T(kT)}, {"adminFQDN", "sp.example.com"}};
  for (int suid : {32, 33, 34, 35}) {
    j["suid"] = suid;
    EXPECT_TRUE(ParseKeyRegistrationRequest(j.dump()).ok()) << suid;
  }
  for (int suid : {0, 12, 21, 31, 36, 42, 99}) {
    j["suid"] = suid;
    absl::StatusOr<KeyRegistrationRequest> r = ParseKeyRegistrationRequest(j.dump());
    ASSERT_FALSE(r.ok()) << suid;
    EXPECT_NE(r.status().message().find("keyRegistration.suid\" must be 32..35"), std::string::npos)
        << r.status();
  }
  for (const char* bad : {R"("32")", "32.5", "true"}) {
    std::string text = j.dump();
    text.replace(text.find("99"), 2, bad);
    EXPECT_FALSE(ParseKeyRegistrationRequest(text).ok()) << text;
  }
}

TEST(MafGoldenTest, KeyRegistrationRejectsMalformedParameters) {
  const json base = {{"mafFQDN", "maf.example.com"},
                     {"expirationTime", T(kT)},
                     {"adminFQDN", "sp.example.com"},
                     {"suid", 32}};
  struct Case {
    const char* field;
    json value;
  };
  for (const Case& c :
       {Case{"targetIDs", json::array()}, Case{"targetIDs", "t1"}, Case{"targetIDs", {1}},
        Case{"targetIDs", {"a", "a"}}, Case{"keyValue", "AAEC"}, Case{"keyValue", "not base64!"},
        Case{"expirationTime", 5}, Case{"labels", json::array()}, Case{"labels", {" lead"}},
        Case{"labels", {"two  spaces"}}, Case{"mafFQDN", "a@b"}, Case{"adminFQDN", ""}}) {
    json j = base;
    j[c.field] = c.value;
    absl::StatusOr<KeyRegistrationRequest> r = ParseKeyRegistrationRequest(j.dump());
    ASSERT_FALSE(r.ok()) << j.dump();
    EXPECT_NE(r.status().message().find(c.field), std::string::npos) << r.status();
  }
}

TEST(MafGoldenTest, KeyRegistrationAnswerTable8_8_2_7_2) {
  const json golden = {{"relativeKeyID", kRel},
                       {"expirationTime", T(kT)},
                       {"sourceMafClientID", "C-device-1"},
                       {"labels", {"meter"}},
                       {"adminFQDN", "sp.example.com"},
                       {"suid", 33},
                       {"targetIDs", {"C-target-1", "C-target-2"}}};
  ExpectTable(
      golden, Answers(&ParseKeyRegistrationAnswer, &SerializeKeyRegistrationAnswer),
      {"relativeKeyID", "expirationTime", "sourceMafClientID", "adminFQDN", "suid", "targetIDs"},
      {"labels"});
  json joined = golden;
  joined["relativeKeyID"] = std::string(kRel) + "@maf.example.com";
  EXPECT_FALSE(ParseKeyRegistrationAnswer(joined).ok());
}

// --- 8.8.2.8 ---

TEST(MafGoldenTest, KeyRetrievalRequestTable8_8_2_8_1) {
  const json golden = {{"relativeKeyID", kRel}};
  const RoundTrip rt = Requests(&ParseKeyRetrievalRequest, &SerializeKeyRetrievalRequest);
  ExpectTable(golden, rt, {"relativeKeyID"}, {});
  // The table has no MAF-FQDN.
  json with_fqdn = golden;
  with_fqdn["mafFQDN"] = "maf.example.com";
  EXPECT_FALSE(rt(with_fqdn).ok());
}

TEST(MafGoldenTest, KeyRetrievalAcceptsTheJoinedKeyIdentifierAlias) {
  absl::StatusOr<KeyRetrievalRequest> r =
      ParseKeyRetrievalRequest(json{{"keyID", std::string(kRel) + "@maf.example.com"}}.dump());
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->key.relative_key_id, kRel);
  EXPECT_EQ(r->key.maf_fqdn, "maf.example.com");
  // Serialised in the table's form.
  EXPECT_EQ(json::parse(*SerializeKeyRetrievalRequest(*r)), (json{{"relativeKeyID", kRel}}));
  EXPECT_FALSE(ParseKeyRetrievalRequest(R"({"keyID":"no-at-sign"})").ok());
  EXPECT_FALSE(
      ParseKeyRetrievalRequest(json{{"keyID", "A@b"}, {"relativeKeyID", kRel}}.dump()).ok());
  EXPECT_FALSE(ParseKeyRetrievalRequest(json{{"relativeKeyID", "A@b"}}.dump()).ok());
}

TEST(MafGoldenTest, KeyRetrievalAnswerTable8_8_2_8_2) {
  const json golden = {{"expirationTime", T(kT)},
                       {"sourceMafClientID", "C-device-1"},
                       {"labels", {"meter"}},
                       {"adminFQDN", "sp.example.com"},
                       {"suid", 34},
                       {"keyValue", kKeyB64}};
  ExpectTable(golden, Answers(&ParseKeyRetrievalAnswer, &SerializeKeyRetrievalAnswer),
              {"expirationTime", "sourceMafClientID", "adminFQDN", "suid", "keyValue"}, {"labels"});
}

// --- 8.8.2.9 ---

TEST(MafGoldenTest, KeyUpdateRequestTable8_8_2_9_1) {
  const json golden = {{"mafFQDN", "maf.example.com"},
                       {"relativeKeyID", kRel},
                       {"expirationTime", T(kT)},
                       {"labels", {"meter"}},
                       {"targetIDs", {"C-target-2"}}};
  const RoundTrip rt = Requests(&ParseKeyUpdateRequest, &SerializeKeyUpdateRequest);
  ExpectTable(golden, rt, {"mafFQDN", "relativeKeyID"}, {"expirationTime", "labels", "targetIDs"});
  // NOTE of the table: at least one of expirationTime, labels and targetIDs.
  EXPECT_FALSE(rt(json{{"mafFQDN", "maf.example.com"}, {"relativeKeyID", kRel}}).ok());
  // The joined alias carries the MAF-FQDN itself; a mafFQDN beside it must agree.
  const std::string joined = std::string(kRel) + "@maf.example.com";
  absl::StatusOr<KeyUpdateRequest> r =
      ParseKeyUpdateRequest(json{{"keyID", joined}, {"targetIDs", {"t"}}}.dump());
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->key.KeyId(), joined);
  EXPECT_FALSE(
      ParseKeyUpdateRequest(
          json{{"keyID", joined}, {"mafFQDN", "other.example.com"}, {"labels", {"x"}}}.dump())
          .ok());
}

TEST(MafGoldenTest, KeyUpdateAnswerTable8_8_2_9_2) {
  const json golden = {
      {"expirationTime", T(kT)}, {"labels", {"meter"}}, {"targetIDs", {"C-target-2"}}};
  ExpectTable(golden, Answers(&ParseKeyUpdateAnswer, &SerializeKeyUpdateAnswer), {},
              {"expirationTime", "labels", "targetIDs"});
}

// --- 8.8.2.10 ---

TEST(MafGoldenTest, KeyDeregistrationRequestTable8_8_2_10_1) {
  const json golden = {{"mafFQDN", "maf.example.com"}, {"relativeKeyID", kRel}};
  ExpectTable(golden, Requests(&ParseKeyDeregistrationRequest, &SerializeKeyDeregistrationRequest),
              {"mafFQDN", "relativeKeyID"}, {});
  EXPECT_TRUE(
      ParseKeyDeregistrationRequest(json{{"keyID", std::string(kRel) + "@maf.example.com"}}.dump())
          .ok());
}

// --- the combined de-registration alias ---

TEST(MafGoldenTest, CombinedDeregistrationAliasNeedsExactlyOneId) {
  EXPECT_TRUE(ParseDeregistrationRequest(R"({"keyID":"k@maf"})").ok());
  EXPECT_TRUE(ParseDeregistrationRequest(R"({"mafClientRegID":"r"})").ok());
  EXPECT_FALSE(ParseDeregistrationRequest(R"({})").ok());
  EXPECT_FALSE(ParseDeregistrationRequest(R"({"keyID":"k","mafClientRegID":"r"})").ok());
  EXPECT_FALSE(SerializeDeregistrationRequest(DeregistrationRequest{}).ok());
}

TEST(MafGoldenTest, AnswersAreObjects) {
  EXPECT_FALSE(ParseKeyRegistrationAnswer(json::array()).ok());
  EXPECT_FALSE(ParseClientConfigRetrievalAnswer(json{{"mafClientCfg", 1}}).ok());
  KeyRetrievalAnswer a;
  a.key_value = SecretBytes::Copy("short");
  a.suid = 32;
  a.source_maf_client_id = "C";
  a.admin_fqdn = "sp.example.com";
  EXPECT_FALSE(SerializeKeyRetrievalAnswer(a).ok());
}

}  // namespace
}  // namespace exchange
}  // namespace onem2m

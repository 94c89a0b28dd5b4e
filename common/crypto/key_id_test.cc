#include "common/crypto/key_id.h"

#include <sstream>
#include <string>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/ascii.h"
#include "common/crypto/test_vectors.h"
#include "common/testing/status_matchers.h"
#include "gtest/gtest.h"

namespace onem2m {
namespace crypto {
namespace {

using ::onem2m::testing::IsOk;
using ::onem2m::testing::StatusIs;

using ::onem2m::crypto::testing::HexField;
using ::onem2m::crypto::testing::LoadDerivationVectors;
using ::onem2m::crypto::testing::StringField;

constexpr char kHex32[] = "458DEF9EE9DA81147F6262CCDDD04930";

void ExpectInvalid(absl::string_view key_id) {
  SCOPED_TRACE(std::string(key_id));
  absl::StatusOr<KeyId> parsed = ParseKeyId(key_id);
  EXPECT_THAT(parsed, StatusIs(absl::StatusCode::kInvalidArgument));
}

// ---- vectors ----

TEST(KeyIdTest, FormatKeyIdMatchesEnrolmentVectors) {
  nlohmann::json v = LoadDerivationVectors();
  ASSERT_TRUE(v.contains("enrolment"));
  ASSERT_FALSE(v["enrolment"].empty());
  for (const auto& e : v["enrolment"]) {
    SCOPED_TRACE(StringField(e, "ke_id"));
    SecretBytes export48 = HexField(e, "export48");
    ASSERT_EQ(export48.size(), 48u);
    const std::string relative(export48.Reveal().substr(0, kRelativeIdLen));
    EXPECT_EQ(HexUpper(relative), StringField(e, "relative_ke_id"));
    absl::StatusOr<std::string> ke_id = FormatKeyId(relative, StringField(e, "mef_fqdn"));
    ASSERT_TRUE(ke_id.ok()) << ke_id.status();
    EXPECT_EQ(*ke_id, StringField(e, "ke_id"));
  }
}

TEST(KeyIdTest, ParseKeyIdAcceptsEveryVectorIdentifierInEitherCase) {
  nlohmann::json v = LoadDerivationVectors();
  ASSERT_TRUE(v.contains("enrolment"));
  for (const auto& e : v["enrolment"]) {
    for (const char* field : {"ke_id", "km_id"}) {
      const std::string id = StringField(e, field);
      SCOPED_TRACE(id);
      const size_t at = id.find('@');
      ASSERT_NE(at, std::string::npos);
      const std::string lower = absl::AsciiStrToLower(id.substr(0, at)) + id.substr(at);
      for (const std::string& text : {id, lower}) {
        absl::StatusOr<KeyId> parsed = ParseKeyId(text);
        ASSERT_TRUE(parsed.ok()) << parsed.status();
        EXPECT_EQ(HexUpper(parsed->relative_id), id.substr(0, at));
        EXPECT_EQ(parsed->fqdn, id.substr(at + 1));
        absl::StatusOr<std::string> canonical = CanonicalKeyId(text);
        ASSERT_TRUE(canonical.ok());
        EXPECT_EQ(*canonical, id);
      }
    }
    EXPECT_EQ(ParseKeyId(StringField(e, "ke_id"))->fqdn, StringField(e, "mef_fqdn"));
    EXPECT_EQ(ParseKeyId(StringField(e, "km_id"))->fqdn, StringField(e, "maf_id"));
  }
}

// ---- hex ----

TEST(KeyIdTest, RandomGivesAFreshValidIdentifierUnderItsFqdn) {
  absl::StatusOr<KeyId> a = KeyId::Random("maf.example.com");
  absl::StatusOr<KeyId> b = KeyId::Random("maf.example.com");
  ASSERT_TRUE(a.ok());
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(a->fqdn, "maf.example.com");
  EXPECT_EQ(a->relative_id.size(), kRelativeIdLen);
  EXPECT_NE(*a, *b);
  absl::StatusOr<KeyId> parsed = KeyId::Parse(a->ToString());
  ASSERT_TRUE(parsed.ok());
  EXPECT_EQ(*parsed, *a);
  EXPECT_FALSE(KeyId::Random("not a fqdn").ok());
}

TEST(KeyIdTest, HexUpperAndParseHexRoundTrip) {
  const std::string bytes("\x00\x01\xab\xff\x7f", 5);
  EXPECT_EQ(HexUpper(bytes), "0001ABFF7F");
  EXPECT_EQ(*ParseHex("0001ABFF7F"), bytes);
  EXPECT_EQ(*ParseHex("0001abff7f"), bytes);
  EXPECT_EQ(*ParseHex(""), "");
  EXPECT_EQ(ParseHexSecret("0001abFF7f")->Reveal(), bytes);
}

TEST(KeyIdTest, ParseHexRejectsOddLengthAndNonHex) {
  EXPECT_THAT(ParseHex("abc"), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(ParseHex("zz"), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(ParseHex("0g"), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(ParseHexSecret("abc"), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(ParseHexSecret(" 0"), StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(KeyIdTest, ParseHexSecretErrorDoesNotQuoteInput) {
  absl::StatusOr<SecretBytes> s = ParseHexSecret("0123456789abcdefX1");
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(std::string(s.status().message()).find("0123456789"), std::string::npos);
}

// ---- FormatKeyId ----

TEST(KeyIdTest, FormatKeyIdEmitsUpperCase) {
  const std::string rel(16, '\xab');
  EXPECT_EQ(*FormatKeyId(rel, "maf.example.com"),
            "ABABABABABABABABABABABABABABABAB@maf.example.com");
}

TEST(KeyIdTest, FormatKeyIdRejectsWrongRelativeIdLength) {
  for (size_t len : {0, 15, 17, 32}) {
    SCOPED_TRACE(len);
    EXPECT_THAT(FormatKeyId(std::string(len, 'a'), "mef.example.com"),
                StatusIs(absl::StatusCode::kInvalidArgument));
  }
}

TEST(KeyIdTest, FormatKeyIdRejectsInvalidFqdn) {
  EXPECT_THAT(FormatKeyId(std::string(16, 'a'), "MEF.example.com"),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(FormatKeyId(std::string(16, 'a'), ""), StatusIs(absl::StatusCode::kInvalidArgument));
}

// ---- ParseKeyId ----

TEST(KeyIdTest, ParseKeyIdAcceptsLocalhost) {
  absl::StatusOr<KeyId> id = ParseKeyId(std::string(kHex32) + "@localhost");
  ASSERT_TRUE(id.ok()) << id.status();
  EXPECT_EQ(id->fqdn, "localhost");
  EXPECT_EQ(id->relative_id.size(), kRelativeIdLen);
}

TEST(KeyIdTest, ParseKeyIdAcceptsMixedCaseHex) {
  absl::StatusOr<KeyId> id = ParseKeyId("458def9EE9DA81147f6262ccddd04930@mef.example.com");
  ASSERT_TRUE(id.ok()) << id.status();
  EXPECT_EQ(HexUpper(id->relative_id), kHex32);
}

TEST(KeyIdTest, ParseKeyIdRejectsTwoAtSigns) {
  ExpectInvalid(std::string(kHex32) + "@mef@example.com");
  ExpectInvalid(std::string(kHex32) + "@@mef.example.com");
  ExpectInvalid(std::string(kHex32) + "@mef.example.com@");
}

TEST(KeyIdTest, ParseKeyIdRejectsMissingAtSign) {
  ExpectInvalid(kHex32);
  ExpectInvalid(std::string(kHex32) + "mef.example.com");
  ExpectInvalid("");
}

TEST(KeyIdTest, ParseKeyIdRejectsWrongHexLength) {
  const std::string hex(kHex32);
  ExpectInvalid(hex.substr(0, 31) + "@mef.example.com");
  ExpectInvalid(hex.substr(0, 30) + "@mef.example.com");
  ExpectInvalid(hex + "0@mef.example.com");
  ExpectInvalid(hex + "00@mef.example.com");
  ExpectInvalid("@mef.example.com");
}

TEST(KeyIdTest, ParseKeyIdRejectsNonHexCharacters) {
  std::string hex(kHex32);
  for (char bad : {'G', 'g', ' ', '-', 'x', '\0'}) {
    std::string h = hex;
    h[7] = bad;
    ExpectInvalid(h + "@mef.example.com");
  }
  ExpectInvalid("0x" + hex.substr(2) + "@mef.example.com");
}

TEST(KeyIdTest, ParseKeyIdRejectsBadFqdn) {
  const std::string hex(kHex32);
  for (const char* fqdn : {"", "MEF.example.com", "mef.Example.com", "mef.example.com.", "mef..com",
                           ".mef.com", "-mef.example.com", "mef-.example.com", "mef_1.example.com",
                           "mef.exämple.com", "mef example.com", "10.0.0.1", "mef.example.com ",
                           " mef.example.com", "mef.example.com\n"}) {
    ExpectInvalid(hex + "@" + fqdn);
  }
}

TEST(KeyIdTest, ParseKeyIdRejectsWhitespaceAroundHex) {
  ExpectInvalid(std::string(" ") + kHex32 + "@mef.example.com");
  ExpectInvalid(std::string(kHex32) + " @mef.example.com");
}

// ---- ValidateFqdn ----

TEST(KeyIdTest, ValidateFqdnAcceptsValidNames) {
  for (const char* fqdn : {"localhost", "maf.example.com", "a.b", "xn--bcher-kva.example",
                           "mef-1.site-2.example", "1mef.example.com", "a1", "m.example.co.uk"}) {
    SCOPED_TRACE(fqdn);
    EXPECT_TRUE(ValidateFqdn(fqdn).ok()) << ValidateFqdn(fqdn);
  }
}

TEST(KeyIdTest, ValidateFqdnEnforcesLabelAndTotalLengths) {
  const std::string label63(63, 'a');
  EXPECT_TRUE(ValidateFqdn(label63 + ".example").ok());
  EXPECT_THAT(ValidateFqdn(std::string(64, 'a') + ".example"),
              StatusIs(absl::StatusCode::kInvalidArgument));
  // 4 labels of 63 + 3 dots = 255; trim to exactly 253 and 254.
  std::string name = label63 + "." + label63 + "." + label63 + "." + label63;
  ASSERT_EQ(name.size(), 255u);
  EXPECT_THAT(ValidateFqdn(name), StatusIs(absl::StatusCode::kInvalidArgument));
  const std::string n253 = name.substr(0, 192) + std::string(61, 'b');
  ASSERT_EQ(n253.size(), 253u);
  EXPECT_TRUE(ValidateFqdn(n253).ok()) << ValidateFqdn(n253);
  EXPECT_THAT(ValidateFqdn(n253 + "b"), StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(KeyIdTest, ValidateFqdnRejectsUpperCaseTrailingDotAndNonAscii) {
  EXPECT_THAT(ValidateFqdn("Localhost"), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(ValidateFqdn("maf.example.com."), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(ValidateFqdn("bücher.example"), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(ValidateFqdn("."), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(ValidateFqdn("a..b"), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(ValidateFqdn("192.168.1.1"), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(ValidateFqdn("example.123"), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(ValidateFqdn("[::1]"), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(ValidateFqdn(absl::string_view("a\0b", 3)),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

// ---- KpmID ----

TEST(KeyIdTest, ValidateKpmIdAcceptsUtf8UpTo128Bytes) {
  EXPECT_TRUE(ValidateKpmId("device-0001").ok());
  EXPECT_TRUE(ValidateKpmId("Ger\xC3\xA4t \xE2\x82\xAC \xF0\x9F\x94\x91").ok());  // ä € 🔑
  EXPECT_TRUE(ValidateKpmId(std::string(128, 'k')).ok());
  EXPECT_TRUE(ValidateKpmId("x").ok());
}

TEST(KeyIdTest, ValidateKpmIdRejectsEmptyTooLongNulAndBadUtf8) {
  EXPECT_THAT(ValidateKpmId(""), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(ValidateKpmId(std::string(129, 'k')), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(ValidateKpmId(absl::string_view("a\0b", 3)),
              StatusIs(absl::StatusCode::kInvalidArgument));
  for (const char* bad : {"\xFF", "\x80", "\xC0\xAF", "\xC1\xBF", "\xE0\x80\xAF", "\xED\xA0\x80",
                          "\xE2\x82", "\xF4\x90\x80\x80", "\xF8\x88\x80\x80\x80", "ok\xC3"}) {
    SCOPED_TRACE(HexUpper(bad));
    EXPECT_THAT(ValidateKpmId(bad), StatusIs(absl::StatusCode::kInvalidArgument));
  }
}

// ---- Enrolee-ID ----

TEST(KeyIdTest, ValidateEnroleeIdAcceptsPrintableAscii) {
  for (const char* id : {"CAE-device-01", "/cse-123/Cae1", "S", "~!#$%&'()*+,-./:;<=>?@[]^_`{|}"}) {
    SCOPED_TRACE(id);
    EXPECT_TRUE(ValidateEnroleeId(id).ok());
  }
  EXPECT_TRUE(ValidateEnroleeId(std::string(256, 'C')).ok());
}

TEST(KeyIdTest, ValidateEnroleeIdRejectsWhitespaceControlNonAsciiAndLength) {
  for (const char* id : {"", "C ae", " Cae", "Cae\t", "Cae\n", "Cae\x7F", "Ca\xC3\xA9"}) {
    SCOPED_TRACE(HexUpper(id));
    EXPECT_THAT(ValidateEnroleeId(id), StatusIs(absl::StatusCode::kInvalidArgument));
  }
  EXPECT_THAT(ValidateEnroleeId(std::string(257, 'C')),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

// ---- KeyId, the typed identifier ----

TEST(KeyIdTypeTest, ParseAcceptsEitherCaseAndGivesOneCanonicalForm) {
  const std::string upper = std::string(kHex32) + "@mef.example.com";
  const std::string lower = absl::AsciiStrToLower(kHex32) + "@mef.example.com";
  absl::StatusOr<KeyId> a = KeyId::Parse(upper);
  absl::StatusOr<KeyId> b = KeyId::Parse(lower);
  ASSERT_THAT(a, IsOk());
  ASSERT_THAT(b, IsOk());
  EXPECT_EQ(a->ToString(), upper);
  EXPECT_EQ(b->ToString(), upper);
  EXPECT_EQ(a->relative_id.size(), kRelativeIdLen);
  EXPECT_EQ(a->fqdn, "mef.example.com");
}

TEST(KeyIdTypeTest, EqualityIgnoresHexCaseOnly) {
  const KeyId a = *KeyId::Parse(std::string(kHex32) + "@mef.example.com");
  const KeyId lower = *KeyId::Parse(absl::AsciiStrToLower(kHex32) + "@mef.example.com");
  const KeyId other_fqdn = *KeyId::Parse(std::string(kHex32) + "@maf.example.com");
  const KeyId other_rel = *KeyId::Parse("00000000000000000000000000000000@mef.example.com");
  EXPECT_EQ(a, lower);
  EXPECT_FALSE(a != lower);
  EXPECT_NE(a, other_fqdn);
  EXPECT_NE(a, other_rel);
  EXPECT_NE(a, KeyId());
  // A strict weak order consistent with ==: neither of two equal ids is less.
  EXPECT_FALSE(a < lower);
  EXPECT_FALSE(lower < a);
  EXPECT_TRUE(a < other_fqdn || other_fqdn < a);
}

TEST(KeyIdTypeTest, HashAgreesWithEquality) {
  absl::flat_hash_set<KeyId> set;
  set.insert(*KeyId::Parse(std::string(kHex32) + "@mef.example.com"));
  EXPECT_TRUE(set.contains(*KeyId::Parse(absl::AsciiStrToLower(kHex32) + "@mef.example.com")));
  EXPECT_FALSE(set.contains(*KeyId::Parse(std::string(kHex32) + "@maf.example.com")));
}

TEST(KeyIdTypeTest, ParseRejectsWhatParseKeyIdRejects) {
  EXPECT_THAT(KeyId::Parse("no-at-sign"), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(KeyId::Parse(std::string(kHex32) + "@MEF.example.com"),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(KeyId::Parse("458D@mef.example.com"), StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(KeyIdTypeTest, FromPartsValidatesAndMatchesFormatKeyId) {
  const std::string rel(kRelativeIdLen, '\x5a');
  absl::StatusOr<KeyId> id = KeyId::FromParts(rel, "maf.example.com");
  ASSERT_THAT(id, IsOk());
  EXPECT_EQ(id->ToString(), *FormatKeyId(rel, "maf.example.com"));
  EXPECT_EQ(*KeyId::Parse(id->ToString()), *id);
  EXPECT_THAT(KeyId::FromParts("short", "maf.example.com"),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(KeyId::FromParts(rel, "10.0.0.1"), StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(KeyIdTypeTest, EmptyKeyIdPrintsNothing) {
  EXPECT_TRUE(KeyId().empty());
  EXPECT_EQ(KeyId().ToString(), "");
  std::ostringstream os;
  os << *KeyId::Parse(absl::AsciiStrToLower(kHex32) + "@mef.example.com");
  EXPECT_EQ(os.str(), std::string(kHex32) + "@mef.example.com");
}

}  // namespace
}  // namespace crypto
}  // namespace onem2m

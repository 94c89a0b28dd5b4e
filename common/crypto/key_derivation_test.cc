#include "common/crypto/key_derivation.h"

#include <string>

#include "common/crypto/key_id.h"
#include "common/crypto/test_vectors.h"
#include "common/testing/status_matchers.h"
#include "gtest/gtest.h"

namespace onem2m {
namespace crypto {
namespace {

using ::onem2m::testing::StatusIs;

using ::onem2m::crypto::testing::HexField;
using ::onem2m::crypto::testing::LoadDerivationVectors;
using ::onem2m::crypto::testing::StringField;

// Hex renders a secret for comparison with a vector in tests only.
std::string Hex(const SecretBytes& s) { return HexUpper(s.Reveal()); }

void ExpectSameHex(const SecretBytes& got, const SecretBytes& want) {
  EXPECT_TRUE(got.Equals(want)) << "got " << Hex(got) << " want " << Hex(want);
}

TEST(KeyDerivationTest, LabelsAreTheProtocolStrings) {
  EXPECT_EQ(kBootstrapExporterLabel, "EXPORTER-oneM2M-Bootstrap");
  EXPECT_EQ(kConnectionExporterLabel, "EXPORTER-oneM2M-Connection");
  EXPECT_EQ(kKmDerivationLabel, "oneM2M Enrolment Key to Master Credential derivation");
  EXPECT_EQ(kKmIdLabel, "oneM2M Master Credential Identifier");
}

// ---- vectors ----

TEST(KeyDerivationTest, Tls12ExporterPrfMatchesVectors) {
  nlohmann::json v = LoadDerivationVectors();
  ASSERT_TRUE(v.contains("tls12_exporter"));
  ASSERT_FALSE(v["tls12_exporter"].empty());
  int i = 0;
  for (const auto& e : v["tls12_exporter"]) {
    SCOPED_TRACE("tls12_exporter[" + std::to_string(i++) + "] label " + StringField(e, "label"));
    ASSERT_TRUE(e.contains("context"));
    ASSERT_TRUE(e["context"].is_null()) << "only the no-context exporter is implemented";
    ASSERT_EQ(StringField(e, "prf"), "P_SHA256");
    const size_t length = e["length"].get<size_t>();
    SecretBytes client_random = HexField(e, "client_random");
    SecretBytes server_random = HexField(e, "server_random");
    absl::StatusOr<SecretBytes> out =
        Tls12ExporterPrf(HexField(e, "master_secret"), StringField(e, "label"),
                         client_random.Reveal(), server_random.Reveal(), length);
    ASSERT_TRUE(out.ok()) << out.status();
    EXPECT_EQ(out->size(), length);
    ExpectSameHex(*out, HexField(e, "output"));
  }
}

TEST(KeyDerivationTest, SplitExport48MatchesEnrolmentVectors) {
  nlohmann::json v = LoadDerivationVectors();
  ASSERT_TRUE(v.contains("enrolment"));
  ASSERT_FALSE(v["enrolment"].empty());
  for (const auto& e : v["enrolment"]) {
    SCOPED_TRACE(StringField(e, "ke_id"));
    absl::StatusOr<ExportSplit> split = SplitExport48(HexField(e, "export48"));
    ASSERT_TRUE(split.ok()) << split.status();
    EXPECT_EQ(HexUpper(split->relative_id), StringField(e, "relative_ke_id"));
    ExpectSameHex(split->key, HexField(e, "ke"));
  }
}

TEST(KeyDerivationTest, KeyFromExportMatchesKeIdVectors) {
  nlohmann::json v = LoadDerivationVectors();
  ASSERT_TRUE(v.contains("enrolment"));
  for (const auto& e : v["enrolment"]) {
    SCOPED_TRACE(StringField(e, "ke_id"));
    absl::StatusOr<DerivedKey> ke =
        KeyFromExport(HexField(e, "export48"), StringField(e, "mef_fqdn"));
    ASSERT_TRUE(ke.ok()) << ke.status();
    EXPECT_EQ(ke->key_id, StringField(e, "ke_id"));
    ExpectSameHex(ke->key, HexField(e, "ke"));
  }
}

TEST(KeyDerivationTest, DeriveKmMatchesEnrolmentVectors) {
  nlohmann::json v = LoadDerivationVectors();
  ASSERT_TRUE(v.contains("enrolment"));
  for (const auto& e : v["enrolment"]) {
    SCOPED_TRACE(StringField(e, "ke_id"));
    absl::StatusOr<SecretBytes> km = DeriveKm(HexField(e, "ke"), StringField(e, "maf_id"));
    ASSERT_TRUE(km.ok()) << km.status();
    ExpectSameHex(*km, HexField(e, "km"));
  }
}

TEST(KeyDerivationTest, DeriveKmMatchesKmOnlyVectors) {
  nlohmann::json v = LoadDerivationVectors();
  ASSERT_TRUE(v.contains("km_only"));
  ASSERT_FALSE(v["km_only"].empty());
  int i = 0;
  for (const auto& e : v["km_only"]) {
    SCOPED_TRACE("km_only[" + std::to_string(i++) + "] maf_id " + StringField(e, "maf_id"));
    absl::StatusOr<SecretBytes> km = DeriveKm(HexField(e, "ke"), StringField(e, "maf_id"));
    ASSERT_TRUE(km.ok()) << km.status();
    ExpectSameHex(*km, HexField(e, "km"));
  }
}

TEST(KeyDerivationTest, DeriveKmIdMatchesEnrolmentVectors) {
  nlohmann::json v = LoadDerivationVectors();
  ASSERT_TRUE(v.contains("enrolment"));
  for (const auto& e : v["enrolment"]) {
    SCOPED_TRACE(StringField(e, "km_id"));
    absl::StatusOr<std::string> km_id = DeriveKmId(HexField(e, "km"), StringField(e, "maf_id"));
    ASSERT_TRUE(km_id.ok()) << km_id.status();
    EXPECT_EQ(*km_id, StringField(e, "km_id"));
    absl::StatusOr<KeyId> typed = DeriveKmKeyId(HexField(e, "km"), StringField(e, "maf_id"));
    ASSERT_TRUE(typed.ok()) << typed.status();
    EXPECT_EQ(typed->ToString(), StringField(e, "km_id"));
  }
}

// The whole chain as the MEF and MAF run it: exporter output -> KeID/Ke -> Km -> KmID; and where a
// tls12_exporter vector's output is an enrolment's export48, the chain from the master secret.
TEST(KeyDerivationTest, FullChainMatchesEnrolmentVectors) {
  nlohmann::json v = LoadDerivationVectors();
  ASSERT_TRUE(v.contains("enrolment"));
  for (const auto& e : v["enrolment"]) {
    SCOPED_TRACE(StringField(e, "ke_id"));
    SecretBytes export48 = HexField(e, "export48");
    for (const auto& t : v["tls12_exporter"]) {
      if (StringField(t, "output") != StringField(e, "export48")) continue;
      SecretBytes cr = HexField(t, "client_random");
      SecretBytes sr = HexField(t, "server_random");
      absl::StatusOr<SecretBytes> out =
          Tls12ExporterPrf(HexField(t, "master_secret"), kBootstrapExporterLabel, cr.Reveal(),
                           sr.Reveal(), kExportLen);
      ASSERT_TRUE(out.ok()) << out.status();
      ExpectSameHex(*out, export48);
    }
    absl::StatusOr<DerivedKey> ke = KeyFromExport(export48, StringField(e, "mef_fqdn"));
    ASSERT_TRUE(ke.ok()) << ke.status();
    EXPECT_EQ(ke->key_id, StringField(e, "ke_id"));
    absl::StatusOr<SecretBytes> km = DeriveKm(ke->key, StringField(e, "maf_id"));
    ASSERT_TRUE(km.ok()) << km.status();
    ExpectSameHex(*km, HexField(e, "km"));
    absl::StatusOr<std::string> km_id = DeriveKmId(*km, StringField(e, "maf_id"));
    ASSERT_TRUE(km_id.ok()) << km_id.status();
    EXPECT_EQ(*km_id, StringField(e, "km_id"));
  }
}

// ---- HMAC ----

TEST(KeyDerivationTest, HmacSha256MatchesRfc4231TestCase2) {
  absl::StatusOr<SecretBytes> mac =
      HmacSha256(SecretBytes::Copy("Jefe"), "what do ya want for nothing?");
  ASSERT_TRUE(mac.ok()) << mac.status();
  EXPECT_EQ(Hex(*mac), "5BDCC146BF60754E6A042426089575C75A003F089D2739839DEC58B964EC3843");
}

TEST(KeyDerivationTest, HmacSha256RejectsEmptyKey) {
  EXPECT_THAT(HmacSha256(SecretBytes(), "x"), StatusIs(absl::StatusCode::kInvalidArgument));
}

// ---- bad inputs ----

TEST(KeyDerivationTest, SplitExport48RejectsWrongLengths) {
  for (size_t len : {0, 16, 32, 47, 49, 64}) {
    SCOPED_TRACE(len);
    EXPECT_THAT(SplitExport48(SecretBytes(len)), StatusIs(absl::StatusCode::kInvalidArgument));
    EXPECT_THAT(KeyFromExport(SecretBytes(len), "mef.example.com"),
                StatusIs(absl::StatusCode::kInvalidArgument));
  }
}

TEST(KeyDerivationTest, KeyFromExportRejectsInvalidFqdn) {
  EXPECT_THAT(KeyFromExport(SecretBytes(48), "MEF.example.com"),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(KeyDerivationTest, DeriveKmRejectsMafIdThatIsNotLowerCaseAsciiFqdn) {
  const SecretBytes ke(32);
  for (const char* maf_id : {"", "MAF.example.com", "maf.example.com.",
                             "maf.b\xC3\xBC"
                             "cher.example",
                             "maf..example.com", "maf example.com", "10.1.2.3", "-maf.example.com",
                             "maf.example.com/x", "maf_1.example.com"}) {
    SCOPED_TRACE(maf_id);
    EXPECT_THAT(DeriveKm(ke, maf_id), StatusIs(absl::StatusCode::kInvalidArgument));
  }
}

TEST(KeyDerivationTest, DeriveKmAcceptsALabelMafIdAndLocalhost) {
  const SecretBytes ke(32);
  EXPECT_TRUE(DeriveKm(ke, "maf.xn--bcher-kva.example").ok());
  EXPECT_TRUE(DeriveKm(ke, "localhost").ok());
}

TEST(KeyDerivationTest, DeriveKmRejectsWrongKeLength) {
  for (size_t len : {0, 16, 31, 33, 48}) {
    SCOPED_TRACE(len);
    EXPECT_THAT(DeriveKm(SecretBytes(len), "maf.example.com"),
                StatusIs(absl::StatusCode::kInvalidArgument));
  }
}

TEST(KeyDerivationTest, DeriveKmIdRejectsWrongKmLengthAndBadFqdn) {
  EXPECT_THAT(DeriveKmId(SecretBytes(31), "maf.example.com"),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(DeriveKmId(SecretBytes(32), "Maf.example.com"),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(KeyDerivationTest, DeriveKmBindsMafId) {
  const SecretBytes ke = SecretBytes::Random(32);
  absl::StatusOr<SecretBytes> a = DeriveKm(ke, "maf-a.example.com");
  absl::StatusOr<SecretBytes> b = DeriveKm(ke, "maf-b.example.com");
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_FALSE(a->Equals(*b));
  EXPECT_EQ(a->size(), kDerivedKeyLen);
}

// ---- usage-constrained keys (TS-0003 10.3.7) ----
//
// /work/shared/vectors/derivation.json has no 10.3.7 vector, so these expected values were computed
// independently of the project's code, with Python's hmac module and checked with OpenSSL's CLI:
//   K=000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f
//   printf 'oneM2M Enrolment Key to Usage-Constrained Symmetric Key derivation42cse.example.com' |
//     openssl mac -digest SHA256 -macopt "hexkey:$K" HMAC
//   -> 8B74A7D266F97317278C30F51ED692FBFC432DB58FA0C9E63F52CBDF5ABA3B70
//   python3 -c 'import hmac,hashlib; print(hmac.new(bytes.fromhex("0e141a1a...51cf3a"),
//     b"oneM2M Enrolment Key to Usage-Constrained Symmetric Key derivation" + b"1" +
//     b"target.example.com", hashlib.sha256).hexdigest())'
//   -> 0c9c6794f21dce7e727d7a69b6fde945bca6574413a311ece912524ce4ba7ee7
TEST(KeyDerivationTest, DeriveUsageConstrainedKeyMatchesIndependentVectors) {
  struct Vector {
    const char* ke;
    uint32_t suid;
    const char* target;
    const char* want;
  };
  const Vector vectors[] = {
      {"000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f", 42, "cse.example.com",
       "8b74a7d266f97317278c30f51ed692fbfc432db58fa0c9e63f52cbdf5aba3b70"},
      {"0e141a1ad5c840760cc8de32e185e794f9b984813f46ec2f2fd91df83b51cf3a", 1, "target.example.com",
       "0c9c6794f21dce7e727d7a69b6fde945bca6574413a311ece912524ce4ba7ee7"},
  };
  for (const Vector& v : vectors) {
    SCOPED_TRACE(v.target);
    absl::StatusOr<SecretBytes> key =
        DeriveUsageConstrainedKey(*ParseHexSecret(v.ke), v.suid, v.target);
    ASSERT_TRUE(key.ok()) << key.status();
    ExpectSameHex(*key, *ParseHexSecret(v.want));
  }
}

TEST(KeyDerivationTest, UsageConstrainedLabelIsTheClauseString) {
  EXPECT_EQ(kUsageConstrainedLabel,
            "oneM2M Enrolment Key to Usage-Constrained Symmetric Key derivation");
}

TEST(KeyDerivationTest, DeriveUsageConstrainedKeyBindsSuidAndTarget) {
  const SecretBytes ke = SecretBytes::Random(32);
  absl::StatusOr<SecretBytes> a = DeriveUsageConstrainedKey(ke, 42, "cse.example.com");
  absl::StatusOr<SecretBytes> b = DeriveUsageConstrainedKey(ke, 43, "cse.example.com");
  absl::StatusOr<SecretBytes> c = DeriveUsageConstrainedKey(ke, 42, "cse2.example.com");
  ASSERT_TRUE(a.ok() && b.ok() && c.ok());
  EXPECT_FALSE(a->Equals(*b));
  EXPECT_FALSE(a->Equals(*c));
  // Not the 10.3.2 Km for the same name: the labels differ.
  absl::StatusOr<SecretBytes> km = DeriveKm(ke, "cse.example.com");
  ASSERT_TRUE(km.ok());
  EXPECT_FALSE(a->Equals(*km));
}

TEST(KeyDerivationTest, DeriveUsageConstrainedKeyRejectsBadInputs) {
  EXPECT_THAT(DeriveUsageConstrainedKey(SecretBytes(31), 42, "cse.example.com"),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(DeriveUsageConstrainedKey(SecretBytes(32), 42, "CSE.example.com"),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(DeriveUsageConstrainedKey(SecretBytes(32), 42, ""),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(KeyDerivationTest, ErrorsDoNotContainKeyBytes) {
  SecretBytes ke =
      *ParseHexSecret("0e141a1ad5c840760cc8de32e185e794f9b984813f46ec2f2fd91df83b51cf3a");
  absl::Status s = DeriveKm(ke, "BAD").status();
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(std::string(s.message()).find("0E141A"), std::string::npos);
  EXPECT_EQ(std::string(s.message()).find("0e141a"), std::string::npos);
}

TEST(KeyDerivationTest, Tls12ExporterPrfRejectsBadInputs) {
  const SecretBytes ms(48);
  const std::string r32(32, 'r');
  EXPECT_THAT(Tls12ExporterPrf(ms, kBootstrapExporterLabel, std::string(31, 'r'), r32, 48),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(Tls12ExporterPrf(ms, kBootstrapExporterLabel, r32, "", 48),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(Tls12ExporterPrf(ms, "", r32, r32, 48), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(Tls12ExporterPrf(ms, kBootstrapExporterLabel, r32, r32, 0),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(Tls12ExporterPrf(SecretBytes(), kBootstrapExporterLabel, r32, r32, 48),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(KeyDerivationTest, Tls12ExporterPrfDependsOnLabel) {
  const SecretBytes ms = SecretBytes::Random(48);
  const std::string r32(32, 'r');
  absl::StatusOr<SecretBytes> boot = Tls12ExporterPrf(ms, kBootstrapExporterLabel, r32, r32, 48);
  absl::StatusOr<SecretBytes> conn = Tls12ExporterPrf(ms, kConnectionExporterLabel, r32, r32, 48);
  ASSERT_TRUE(boot.ok() && conn.ok());
  EXPECT_FALSE(boot->Equals(*conn));
}

}  // namespace
}  // namespace crypto
}  // namespace onem2m

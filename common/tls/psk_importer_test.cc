#include "common/tls/psk_importer.h"

#include "absl/strings/escaping.h"
#include "gtest/gtest.h"

namespace onem2m {
namespace tls {
namespace {

// Known answers printed by common/tls/testing/psk_importer_kat.py (hashlib/hmac, written from
// RFC 9258 3 and 4.2 independently of psk_importer.cc).
struct Kat {
  const char* external_identity;
  const char* context;
  const char* epsk_hex;
  const char* wire_hex;
  const char* ipsk_hex;
};

constexpr Kat kKats[] = {
    {"kpm-1", "", "0102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f20",
     "00056b706d2d31000003040001",
     "f8527d51814e143846003ed470ac93ce661d44be2b10d5a79791fd04e0d4116d"},
    {"KeID.0123456789abcdef", "oneM2M", "00112233445566778899aabbccddeeff",
     "00154b6549442e3031323334353637383961626364656600066f6e654d324d03040001",
     "f149c49094f9f56d532427635f0e83d0f9917764efdd70b44494400e914b8dfd"},
};

TEST(PskImporterTest, MatchesIndependentKnownAnswers) {
  for (const Kat& kat : kKats) {
    SCOPED_TRACE(kat.external_identity);
    ImportedIdentity id;
    id.external_identity = kat.external_identity;
    id.context = kat.context;
    std::string wire = SerializeImportedIdentity(id);
    EXPECT_EQ(absl::BytesToHexString(wire), kat.wire_hex);
    absl::StatusOr<SecretBytes> ipsk =
        DeriveImportedPsk(SecretBytes::Copy(absl::HexStringToBytes(kat.epsk_hex)), wire);
    ASSERT_TRUE(ipsk.ok()) << ipsk.status();
    EXPECT_EQ(absl::BytesToHexString(
                  absl::string_view(reinterpret_cast<const char*>(ipsk->data()), ipsk->size())),
              kat.ipsk_hex);
  }
}

TEST(PskImporterTest, ParseRoundTrips) {
  ImportedIdentity id;
  id.external_identity = "KeID.abc";
  id.context = "ctx";
  absl::StatusOr<ImportedIdentity> back = ParseImportedIdentity(SerializeImportedIdentity(id));
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(back->external_identity, "KeID.abc");
  EXPECT_EQ(back->context, "ctx");
  EXPECT_EQ(back->target_protocol, kTargetTls13);
  EXPECT_EQ(back->target_kdf, kTargetKdfHkdfSha256);
}

TEST(PskImporterTest, RawIdentitiesDoNotParse) {
  EXPECT_FALSE(ParseImportedIdentity("kpm-1").ok());
  EXPECT_FALSE(ParseImportedIdentity("").ok());
  // Trailing byte after a valid encoding.
  EXPECT_FALSE(ParseImportedIdentity(absl::HexStringToBytes("00056b706d2d3100000304000100")).ok());
  // Empty external identity.
  EXPECT_FALSE(ParseImportedIdentity(absl::HexStringToBytes("0000000003040001")).ok());
}

TEST(PskImporterTest, OtherTargetsAreRefused) {
  ImportedIdentity id;
  id.external_identity = "kpm-1";
  id.target_protocol = 0x0303;  // TLS 1.2
  EXPECT_FALSE(ParseImportedIdentity(SerializeImportedIdentity(id)).ok());
  id.target_protocol = kTargetTls13;
  id.target_kdf = 0x0002;  // HKDF_SHA384
  EXPECT_FALSE(ParseImportedIdentity(SerializeImportedIdentity(id)).ok());
}

TEST(PskImporterTest, EmptyInputsAreRefused) {
  EXPECT_EQ(SerializeImportedIdentity(ImportedIdentity{}), "");
  EXPECT_FALSE(DeriveImportedPsk(SecretBytes(), "x").ok());
}

}  // namespace
}  // namespace tls
}  // namespace onem2m

#include "common/crypto/envelope.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <string>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "common/crypto/key_id.h"
#include "common/crypto/test_vectors.h"
#include "gtest/gtest.h"

namespace onem2m {
namespace crypto {
namespace {

using ::onem2m::crypto::testing::HexField;
using ::onem2m::crypto::testing::LoadDerivationVectors;
using ::onem2m::crypto::testing::StringField;

constexpr char kKeyHex1[] = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f";
constexpr char kKeyHex2[] = "1f1e1d1c1b1a191817161514131211100f0e0d0c0b0a09080706050403020100";

std::string TmpDir() {
  const char* d = std::getenv("TEST_TMPDIR");
  return d ? d : "/tmp";
}

// UniquePath returns a fresh path under TEST_TMPDIR.
std::string UniquePath(const std::string& name) {
  static int counter = 0;
  return absl::StrCat(TmpDir(), "/", name, "_", getpid(), "_", ++counter);
}

void WriteFile(const std::string& path, const std::string& text, mode_t mode) {
  std::ofstream(path, std::ios::trunc) << text;
  ASSERT_EQ(chmod(path.c_str(), mode), 0);
}

Keyring TwoVersionKeyring(uint32_t active) {
  absl::StatusOr<Keyring> k =
      Keyring::Parse(absl::StrCat("1:", kKeyHex1, "\n2:", kKeyHex2, "\nactive: ", active, "\n"));
  EXPECT_TRUE(k.ok()) << k.status();
  return *std::move(k);
}

// ---- round trips ----

TEST(EnvelopeTest, SealOpenRoundTripsEveryVectorKey) {
  nlohmann::json v = LoadDerivationVectors();
  ASSERT_TRUE(v.contains("enrolment"));
  Envelope env(Keyring::Generate(7));
  struct Item {
    std::string aad;
    SecretBytes secret;
  };
  std::vector<Item> items;
  for (const auto& e : v["enrolment"]) {
    items.push_back({StringField(e, "ke_id"), HexField(e, "ke")});
    items.push_back({StringField(e, "km_id"), HexField(e, "km")});
    items.push_back({StringField(e, "ke_id") + "/export", HexField(e, "export48")});
  }
  for (const auto& e : v["km_only"]) {
    items.push_back({StringField(e, "maf_id") + "/ke", HexField(e, "ke")});
    items.push_back({StringField(e, "maf_id") + "/km", HexField(e, "km")});
  }
  for (const auto& e : v["tls12_exporter"]) {
    items.push_back({"master_secret", HexField(e, "master_secret")});
  }
  ASSERT_GE(items.size(), 6u);
  for (const Item& item : items) {
    SCOPED_TRACE(item.aad);
    absl::StatusOr<std::string> blob = env.Seal(item.secret, item.aad);
    ASSERT_TRUE(blob.ok()) << blob.status();
    EXPECT_EQ(blob->size(), item.secret.size() + kSealedOverhead);
    EXPECT_EQ(blob->find(std::string(item.secret.Reveal())), std::string::npos);
    EXPECT_EQ(*SealedKeyVersion(*blob), 7u);
    absl::StatusOr<SecretBytes> back = env.Open(*blob, item.aad);
    ASSERT_TRUE(back.ok()) << back.status();
    EXPECT_TRUE(back->Equals(item.secret));
  }
}

TEST(EnvelopeTest, SealOpenRoundTripsEmptyPlaintextAndEmptyAad) {
  Envelope env(Keyring::Generate());
  absl::StatusOr<std::string> blob = env.Seal(SecretBytes(), "");
  ASSERT_TRUE(blob.ok()) << blob.status();
  EXPECT_EQ(blob->size(), kSealedOverhead);
  absl::StatusOr<SecretBytes> back = env.Open(*blob, "");
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_TRUE(back->empty());
}

TEST(EnvelopeTest, SealUsesFreshNonces) {
  Envelope env(Keyring::Generate());
  const SecretBytes secret = SecretBytes::Copy("same secret");
  EXPECT_NE(*env.Seal(secret, "row"), *env.Seal(secret, "row"));
}

TEST(EnvelopeTest, BlobHeaderCarriesFormatAndVersion) {
  Envelope env(TwoVersionKeyring(2));
  std::string blob = *env.Seal(SecretBytes::Copy("k"), "row");
  EXPECT_EQ(static_cast<uint8_t>(blob[0]), kSealedFormatV1);
  EXPECT_EQ(blob.substr(1, 4), std::string("\0\0\0\x02", 4));
}

// ---- failures ----

TEST(EnvelopeTest, OpenRejectsWrongAssociatedData) {
  Envelope env(Keyring::Generate());
  std::string blob =
      *env.Seal(SecretBytes::Copy("kpm bytes"), "458DEF9EE9DA81147F6262CCDDD04930@mef.example.com");
  absl::StatusOr<SecretBytes> moved =
      env.Open(blob, "00000000000000000000000000000000@mef.example.com");
  EXPECT_EQ(moved.status().code(), absl::StatusCode::kDataLoss);
  EXPECT_EQ(env.Open(blob, "").status().code(), absl::StatusCode::kDataLoss);
}

TEST(EnvelopeTest, OpenRejectsEveryTamperedByte) {
  Envelope env(Keyring::Generate(1));
  const std::string blob = *env.Seal(SecretBytes::Copy("0123456789abcdef"), "row-1");
  for (size_t i = 0; i < blob.size(); ++i) {
    SCOPED_TRACE(i);
    std::string bad = blob;
    bad[i] ^= 0x01;
    absl::StatusCode code = env.Open(bad, "row-1").status().code();
    if (i >= 1 && i <= 4) {
      // The version field: now names a version the keyring lacks.
      EXPECT_EQ(code, absl::StatusCode::kNotFound);
    } else {
      EXPECT_EQ(code, absl::StatusCode::kDataLoss);
    }
  }
}

TEST(EnvelopeTest, OpenRejectsRelabelledVersionWithDataLoss) {
  // Both versions exist: a blob relabelled from v1 to v2 must fail authentication.
  Envelope env(TwoVersionKeyring(1));
  std::string blob = *env.Seal(SecretBytes::Copy("secret"), "row");
  blob[4] = 2;
  EXPECT_EQ(env.Open(blob, "row").status().code(), absl::StatusCode::kDataLoss);
}

TEST(EnvelopeTest, OpenRejectsTruncatedBlobs) {
  Envelope env(Keyring::Generate());
  const std::string blob = *env.Seal(SecretBytes::Copy("0123456789abcdef"), "row");
  for (size_t len = 0; len < blob.size(); ++len) {
    SCOPED_TRACE(len);
    EXPECT_EQ(env.Open(blob.substr(0, len), "row").status().code(), absl::StatusCode::kDataLoss);
  }
  EXPECT_EQ(env.Open(blob + "x", "row").status().code(), absl::StatusCode::kDataLoss);
}

TEST(EnvelopeTest, OpenRejectsUnknownFormat) {
  Envelope env(Keyring::Generate());
  std::string blob = *env.Seal(SecretBytes::Copy("s"), "row");
  blob[0] = 0x02;
  EXPECT_EQ(env.Open(blob, "row").status().code(), absl::StatusCode::kDataLoss);
  EXPECT_EQ(SealedKeyVersion(blob).status().code(), absl::StatusCode::kDataLoss);
}

TEST(EnvelopeTest, OpenRejectsUnknownVersionWithNotFound) {
  Envelope sealer(Keyring::Generate(5));
  Envelope opener(Keyring::Generate(4));
  std::string blob = *sealer.Seal(SecretBytes::Copy("s"), "row");
  absl::Status s = opener.Open(blob, "row").status();
  EXPECT_EQ(s.code(), absl::StatusCode::kNotFound);
  EXPECT_NE(std::string(s.message()).find("version 5"), std::string::npos) << s;
}

TEST(EnvelopeTest, OpenRejectsDifferentKeyUnderSameVersion) {
  Envelope a(Keyring::Generate(1));
  Envelope b(Keyring::Generate(1));
  std::string blob = *a.Seal(SecretBytes::Copy("s"), "row");
  EXPECT_EQ(b.Open(blob, "row").status().code(), absl::StatusCode::kDataLoss);
}

TEST(EnvelopeTest, SealRejectsOversizedInputs) {
  Envelope env(Keyring::Generate());
  EXPECT_EQ(env.Seal(SecretBytes(kMaxSealPlaintextLen + 1), "row").status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(env.Seal(SecretBytes(1), std::string(kMaxAssociatedDataLen + 1, 'a')).status().code(),
            absl::StatusCode::kInvalidArgument);
}

// ---- rotation ----

TEST(EnvelopeTest, RotatedKeyringOpensOldBlobsAndSealsWithActiveVersion) {
  Envelope old_env(TwoVersionKeyring(1));
  std::string old_blob = *old_env.Seal(SecretBytes::Copy("old"), "row");
  EXPECT_EQ(*SealedKeyVersion(old_blob), 1u);

  Envelope new_env(TwoVersionKeyring(2));
  EXPECT_EQ(new_env.active_version(), 2u);
  EXPECT_EQ(new_env.Open(old_blob, "row")->Reveal(), "old");
  std::string new_blob = *new_env.Seal(SecretBytes::Copy("new"), "row");
  EXPECT_EQ(*SealedKeyVersion(new_blob), 2u);
  EXPECT_EQ(old_env.Open(new_blob, "row")->Reveal(), "new");  // v2 known, merely not active.
}

// ---- keyring text ----

TEST(KeyringTest, ParseAcceptsHexBase64CommentsAndDefaultsToHighestVersion) {
  std::string raw2 = *ParseHex(kKeyHex2);
  const std::string text =
      absl::StrCat("# comment\n\n  1 : ", kKeyHex1, "  \n", "3:", absl::Base64Escape(raw2), "\r\n");
  absl::StatusOr<Keyring> k = Keyring::Parse(text);
  ASSERT_TRUE(k.ok()) << k.status();
  EXPECT_EQ(k->active_version(), 3u);
  EXPECT_EQ(k->versions(), (std::vector<uint32_t>{1, 3}));
  EXPECT_EQ(k->key(3)->Reveal(), raw2);
  EXPECT_EQ(HexUpper(k->key(1)->Reveal()), HexUpper(*ParseHex(kKeyHex1)));
  EXPECT_EQ(k->key(2), nullptr);
}

TEST(KeyringTest, ParseHonoursActiveLine) {
  absl::StatusOr<Keyring> k =
      Keyring::Parse(absl::StrCat("active: 1\n1:", kKeyHex1, "\n2:", kKeyHex2, "\n"));
  ASSERT_TRUE(k.ok()) << k.status();
  EXPECT_EQ(k->active_version(), 1u);
}

TEST(KeyringTest, ParseRejectsMalformedKeyrings) {
  const std::string k1 = absl::StrCat("1:", kKeyHex1, "\n");
  for (const std::string& text :
       {std::string(""), std::string("# only comments\n"), k1 + k1, absl::StrCat("0:", kKeyHex1),
        absl::StrCat("-1:", kKeyHex1), absl::StrCat("4294967296:", kKeyHex1),
        absl::StrCat("v1:", kKeyHex1), std::string("1:00"), absl::StrCat("1:", kKeyHex1, "00"),
        std::string("1:not a key"), absl::StrCat(kKeyHex1), k1 + "active: 2\n",
        k1 + "active: 1\nactive: 1\n", k1 + "active: x\n",
        absl::StrCat("1:", std::string(kKeyHex1).substr(0, 62), "zz")}) {
    SCOPED_TRACE(text);
    absl::StatusOr<Keyring> k = Keyring::Parse(text);
    EXPECT_EQ(k.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_EQ(std::string(k.status().message()).find("0001020304"), std::string::npos);
  }
}

TEST(KeyringTest, FromKeysValidates) {
  std::map<uint32_t, SecretBytes> short_key;
  short_key.emplace(1, SecretBytes(16));
  EXPECT_EQ(Keyring::FromKeys(std::move(short_key)).status().code(),
            absl::StatusCode::kInvalidArgument);
  std::map<uint32_t, SecretBytes> zero;
  zero.emplace(0, SecretBytes(32));
  EXPECT_EQ(Keyring::FromKeys(std::move(zero)).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(Keyring::FromKeys({}).status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(KeyringTest, ToFileTextRoundTrips) {
  Keyring k = TwoVersionKeyring(1);
  std::string text = k.ToFileText();
  absl::StatusOr<Keyring> back = Keyring::Parse(text);
  WipeString(&text);
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(back->active_version(), 1u);
  EXPECT_TRUE(back->key(2)->Equals(*k.key(2)));
}

// ---- keyring files ----

TEST(KeyringFileTest, CreateKeyringFileWritesMode0600AndLoads) {
  const std::string path = UniquePath("kek");
  ASSERT_TRUE(CreateKeyringFile(path).ok());
  struct stat st;
  ASSERT_EQ(stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  absl::StatusOr<Keyring> k = Keyring::LoadFile(path);
  ASSERT_TRUE(k.ok()) << k.status();
  EXPECT_EQ(k->active_version(), 1u);
  EXPECT_EQ(Keyring::Load(path)->active_version(), 1u);
  EXPECT_EQ(CreateKeyringFile(path).code(), absl::StatusCode::kAlreadyExists);
}

TEST(KeyringFileTest, LoadFileRefusesWorldAccessibleFile) {
  const std::string path = UniquePath("kek_world");
  WriteFile(path, absl::StrCat("1:", kKeyHex1, "\n"), 0644);
  absl::StatusOr<Keyring> k = Keyring::LoadFile(path);
  EXPECT_EQ(k.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_NE(std::string(k.status().message()).find("0644"), std::string::npos) << k.status();
  ASSERT_EQ(chmod(path.c_str(), 0602), 0);
  EXPECT_EQ(Keyring::LoadFile(path).status().code(), absl::StatusCode::kFailedPrecondition);
  ASSERT_EQ(chmod(path.c_str(), 0640), 0);  // group-readable is allowed (Kubernetes fsGroup).
  EXPECT_TRUE(Keyring::LoadFile(path).ok());
  ASSERT_EQ(chmod(path.c_str(), 0400), 0);
  EXPECT_TRUE(Keyring::LoadFile(path).ok());
}

TEST(KeyringFileTest, LoadReportsMissingPathAsNotFound) {
  EXPECT_EQ(Keyring::LoadFile(UniquePath("missing")).status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(Keyring::Load(UniquePath("missing")).status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(Keyring::LoadDirectory(UniquePath("missing")).status().code(),
            absl::StatusCode::kNotFound);
}

TEST(KeyringFileTest, LoadFileReportsSyntaxErrorWithPathButNoKey) {
  const std::string path = UniquePath("kek_bad");
  WriteFile(path, absl::StrCat("1:", kKeyHex1, "\n2:", std::string(kKeyHex2).substr(0, 60), "\n"),
            0600);
  absl::Status s = Keyring::LoadFile(path).status();
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(std::string(s.message()).find(path), std::string::npos);
  EXPECT_NE(std::string(s.message()).find("line 2"), std::string::npos);
  EXPECT_EQ(std::string(s.message()).find("1f1e1d"), std::string::npos);
}

TEST(KeyringFileTest, AddKeyToKeyringFileRotates) {
  const std::string path = UniquePath("kek_rot");
  ASSERT_TRUE(CreateKeyringFile(path).ok());
  Envelope v1(*Keyring::LoadFile(path));
  const std::string blob = *v1.Seal(SecretBytes::Copy("kpm"), "row");

  absl::StatusOr<uint32_t> staged = AddKeyToKeyringFile(path, /*activate=*/false);
  ASSERT_TRUE(staged.ok()) << staged.status();
  EXPECT_EQ(*staged, 2u);
  Keyring k2 = *Keyring::LoadFile(path);
  EXPECT_EQ(k2.active_version(), 1u);
  EXPECT_EQ(k2.versions(), (std::vector<uint32_t>{1, 2}));

  absl::StatusOr<uint32_t> active = AddKeyToKeyringFile(path, /*activate=*/true);
  ASSERT_TRUE(active.ok()) << active.status();
  EXPECT_EQ(*active, 3u);
  Envelope v3(*Keyring::LoadFile(path));
  EXPECT_EQ(v3.active_version(), 3u);
  EXPECT_EQ(v3.Open(blob, "row")->Reveal(), "kpm");
  struct stat st;
  ASSERT_EQ(stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
}

TEST(KeyringFileTest, LoadDirectoryReadsKubernetesSecretLayout) {
  const std::string dir = UniquePath("kek_dir");
  ASSERT_EQ(mkdir(dir.c_str(), 0700), 0);
  ASSERT_EQ(mkdir((dir + "/..data").c_str(), 0700), 0);  // Kubernetes' link target: skipped.
  WriteFile(dir + "/1", absl::StrCat(kKeyHex1, "\n"), 0400);
  WriteFile(dir + "/2", absl::Base64Escape(*ParseHex(kKeyHex2)), 0440);
  WriteFile(dir + "/active", "1\n", 0400);
  absl::StatusOr<Keyring> k = Keyring::Load(dir);
  ASSERT_TRUE(k.ok()) << k.status();
  EXPECT_EQ(k->active_version(), 1u);
  EXPECT_EQ(k->versions(), (std::vector<uint32_t>{1, 2}));

  ASSERT_EQ(unlink((dir + "/active").c_str()), 0);
  EXPECT_EQ(Keyring::LoadDirectory(dir)->active_version(), 2u);

  ASSERT_EQ(chmod((dir + "/2").c_str(), 0644), 0);
  EXPECT_EQ(Keyring::LoadDirectory(dir).status().code(), absl::StatusCode::kFailedPrecondition);
  ASSERT_EQ(chmod((dir + "/2").c_str(), 0400), 0);

  WriteFile(dir + "/v3", absl::StrCat(kKeyHex1, "\n"), 0400);
  EXPECT_EQ(Keyring::LoadDirectory(dir).status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(KeyringFileTest, LoadDirectoryRejectsEmptyDirectory) {
  const std::string dir = UniquePath("kek_empty");
  ASSERT_EQ(mkdir(dir.c_str(), 0700), 0);
  EXPECT_EQ(Keyring::LoadDirectory(dir).status().code(), absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace crypto
}  // namespace onem2m

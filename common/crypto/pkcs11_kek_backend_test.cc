#include "common/crypto/pkcs11_kek_backend.h"

#include <sys/stat.h>

#include <cstdio>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "common/crypto/envelope.h"
#include "common/crypto/file_kek_backend.h"
#include "common/testing/softhsm_token.h"
#include "gtest/gtest.h"

namespace onem2m {
namespace crypto {
namespace {

using ::onem2m::testing::kSoftHsmModule;
using ::onem2m::testing::SoftHsmToken;

// One token directory per test binary: SoftHSM2 reads SOFTHSM2_CONF once per process.
class Pkcs11KekBackendTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    const std::string dir = ::testing::TempDir() + "/softhsm";
    absl::StatusOr<SoftHsmToken> other = SoftHsmToken::Create(dir, "onem2m-other", "9999");
    ASSERT_TRUE(other.ok()) << other.status();
    absl::StatusOr<SoftHsmToken> token = SoftHsmToken::Create(dir, "onem2m-test", "1234");
    ASSERT_TRUE(token.ok()) << token.status();
    absl::StatusOr<std::shared_ptr<Pkcs11KekBackend>> b = Pkcs11KekBackend::Connect(Config());
    ASSERT_TRUE(b.ok()) << b.status();
    ASSERT_TRUE((*b)->GenerateKek(2).ok());
    ASSERT_TRUE((*b)->GenerateKek(3).ok());
    backend_ = new std::shared_ptr<Pkcs11KekBackend>(*std::move(b));
  }
  static void TearDownTestSuite() {
    delete backend_;
    backend_ = nullptr;
  }

  static Pkcs11Config Config(const std::string& label = "onem2m-test",
                             const std::string& pin = "1234") {
    Pkcs11Config c;
    c.module_path = kSoftHsmModule;
    c.token_label = label;
    c.pin = SecretBytes::Copy(pin);
    c.sessions = 2;
    return c;
  }

  static std::shared_ptr<Pkcs11KekBackend> backend() { return *backend_; }

  static Envelope TokenEnvelope(uint32_t active) {
    absl::StatusOr<Envelope> e = Envelope::Create({backend()}, active);
    EXPECT_TRUE(e.ok()) << e.status();
    return *std::move(e);
  }

  static std::shared_ptr<Pkcs11KekBackend>* backend_;
};

std::shared_ptr<Pkcs11KekBackend>* Pkcs11KekBackendTest::backend_ = nullptr;

TEST(Pkcs11KekLabelTest, ParsesOnlyCanonicalLabels) {
  EXPECT_EQ(Pkcs11KekLabel(7), "onem2m-kek-v7");
  EXPECT_EQ(ParsePkcs11KekLabel("onem2m-kek-v7"), 7u);
  EXPECT_EQ(ParsePkcs11KekLabel("onem2m-kek-v4294967295"), 4294967295u);
  EXPECT_EQ(ParsePkcs11KekLabel("onem2m-kek-v4294967296"), 0u);
  EXPECT_EQ(ParsePkcs11KekLabel("onem2m-kek-v07"), 0u);
  EXPECT_EQ(ParsePkcs11KekLabel("onem2m-kek-v"), 0u);
  EXPECT_EQ(ParsePkcs11KekLabel("other-key"), 0u);
}

TEST_F(Pkcs11KekBackendTest, SealOpenRoundTrip) {
  const Envelope env = TokenEnvelope(2);
  const SecretBytes secret = SecretBytes::Random(32);
  absl::StatusOr<std::string> blob = env.Seal(secret, "KE1@mef.example.com");
  ASSERT_TRUE(blob.ok()) << blob.status();
  EXPECT_EQ(static_cast<uint8_t>((*blob)[0]), kSealedFormatPkcs11);
  EXPECT_EQ(blob->size(), secret.size() + kSealedPkcs11Overhead);
  EXPECT_EQ(*SealedKeyVersion(*blob), 2u);
  absl::StatusOr<SecretBytes> back = env.Open(*blob, "KE1@mef.example.com");
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_TRUE(back->Equals(secret));
}

TEST_F(Pkcs11KekBackendTest, EachSealUsesAFreshDataKey) {
  const Envelope env = TokenEnvelope(2);
  const SecretBytes secret = SecretBytes::Random(16);
  const std::string a = *env.Seal(secret, "id");
  const std::string b = *env.Seal(secret, "id");
  // Wrapped DEKs (bytes 17..64) differ, not just the nonces.
  EXPECT_NE(a.substr(17, 48), b.substr(17, 48));
}

TEST_F(Pkcs11KekBackendTest, WrongAssociatedDataIsDataLoss) {
  const Envelope env = TokenEnvelope(2);
  const std::string blob = *env.Seal(SecretBytes::Random(32), "row-1");
  EXPECT_EQ(env.Open(blob, "row-2").status().code(), absl::StatusCode::kDataLoss);
}

TEST_F(Pkcs11KekBackendTest, TamperedWrappedDataKeyIsDataLoss) {
  const Envelope env = TokenEnvelope(2);
  std::string blob = *env.Seal(SecretBytes::Random(32), "row");
  blob[20] ^= 0x01;
  EXPECT_EQ(env.Open(blob, "row").status().code(), absl::StatusCode::kDataLoss);
}

TEST_F(Pkcs11KekBackendTest, RelabelledVersionIsDataLoss) {
  const Envelope env = TokenEnvelope(2);
  std::string blob = *env.Seal(SecretBytes::Random(32), "row");
  blob[4] = 3;  // KEK v3 exists, but the DEK was wrapped (and bound) under v2
  EXPECT_EQ(env.Open(blob, "row").status().code(), absl::StatusCode::kDataLoss);
}

TEST_F(Pkcs11KekBackendTest, UnknownVersionIsNotFound) {
  const Envelope env = TokenEnvelope(2);
  std::string blob = *env.Seal(SecretBytes::Random(32), "row");
  blob[4] = 99;
  EXPECT_EQ(env.Open(blob, "row").status().code(), absl::StatusCode::kNotFound);
}

TEST_F(Pkcs11KekBackendTest, TruncatedBlobIsDataLoss) {
  const Envelope env = TokenEnvelope(2);
  const std::string blob = *env.Seal(SecretBytes::Random(32), "row");
  EXPECT_EQ(env.Open(blob.substr(0, kSealedPkcs11Overhead - 1), "row").status().code(),
            absl::StatusCode::kDataLoss);
}

TEST_F(Pkcs11KekBackendTest, KekIsSensitiveAndNotExtractable) {
  absl::StatusOr<std::vector<Pkcs11KekInfo>> keks = backend()->List();
  ASSERT_TRUE(keks.ok()) << keks.status();
  ASSERT_EQ(keks->size(), 2u);
  for (const Pkcs11KekInfo& k : *keks) {
    SCOPED_TRACE(k.label);
    EXPECT_TRUE(k.sensitive);
    EXPECT_FALSE(k.extractable);
    EXPECT_FALSE(k.value_readable);  // C_GetAttributeValue(CKA_VALUE) fails
  }
}

TEST_F(Pkcs11KekBackendTest, GenerateExistingVersionFails) {
  EXPECT_EQ(backend()->GenerateKek(2).code(), absl::StatusCode::kAlreadyExists);
}

TEST_F(Pkcs11KekBackendTest, SecondConnectionFindsTheKeks) {
  absl::StatusOr<std::shared_ptr<Pkcs11KekBackend>> again = Pkcs11KekBackend::Connect(Config());
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ((*again)->versions(), (std::vector<uint32_t>{2, 3}));
  EXPECT_EQ((*again)->default_active_version(), 3u);
  // A blob sealed through one connection opens through the other.
  const std::string blob = *TokenEnvelope(3).Seal(SecretBytes::Copy("k"), "id");
  absl::StatusOr<Envelope> env = Envelope::Create({*again}, 0);
  ASSERT_TRUE(env.ok());
  EXPECT_TRUE(env->Open(blob, "id").ok());
}

TEST_F(Pkcs11KekBackendTest, FileAndTokenRowsCoexist) {
  Keyring v1 = Keyring::Generate(1);
  std::map<uint32_t, SecretBytes> keys;
  keys.emplace(1, *v1.key(1));
  const Envelope file_only(std::move(v1));
  const std::string old_row = *file_only.Seal(SecretBytes::Copy("kpm"), "kpm-1");

  auto file = std::make_shared<const FileKekBackend>(*Keyring::FromKeys(std::move(keys)));
  absl::StatusOr<Envelope> both = Envelope::Create({file, backend()}, 2);
  ASSERT_TRUE(both.ok()) << both.status();
  EXPECT_EQ(both->versions(), (std::vector<uint32_t>{1, 2, 3}));
  EXPECT_TRUE(both->HasVersion(1));
  EXPECT_EQ(both->active_backend_name(), "pkcs11");
  // Rewrap: open the file row, seal it again under the token's v2.
  absl::StatusOr<SecretBytes> clear = both->Open(old_row, "kpm-1");
  ASSERT_TRUE(clear.ok()) << clear.status();
  const std::string new_row = *both->Seal(*clear, "kpm-1");
  EXPECT_EQ(static_cast<uint8_t>(new_row[0]), kSealedFormatPkcs11);
  EXPECT_EQ(*SealedKeyVersion(new_row), 2u);
  EXPECT_EQ(both->Open(new_row, "kpm-1")->Reveal(), "kpm");
  // A token-only envelope cannot open file rows, and says so.
  EXPECT_EQ(TokenEnvelope(2).Open(old_row, "kpm-1").status().code(), absl::StatusCode::kNotFound);
}

TEST_F(Pkcs11KekBackendTest, VersionInTwoBackendsIsRejected) {
  auto file = std::make_shared<const FileKekBackend>(Keyring::Generate(2));
  EXPECT_EQ(Envelope::Create({file, backend()}, 2).status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST_F(Pkcs11KekBackendTest, ActiveVersionMustExist) {
  EXPECT_EQ(Envelope::Create({backend()}, 9).status().code(), absl::StatusCode::kInvalidArgument);
}

TEST_F(Pkcs11KekBackendTest, UnknownTokenIsNotFound) {
  EXPECT_EQ(Pkcs11KekBackend::Connect(Config("no-such-token")).status().code(),
            absl::StatusCode::kNotFound);
}

TEST_F(Pkcs11KekBackendTest, WrongPinIsPermissionDenied) {
  EXPECT_EQ(Pkcs11KekBackend::Connect(Config("onem2m-other", "0000")).status().code(),
            absl::StatusCode::kPermissionDenied);
}

TEST_F(Pkcs11KekBackendTest, MissingModuleIsNotFound) {
  Pkcs11Config c = Config();
  c.module_path = "/nonexistent/libpkcs11.so";
  EXPECT_EQ(Pkcs11KekBackend::Connect(c).status().code(), absl::StatusCode::kNotFound);
}

TEST_F(Pkcs11KekBackendTest, ConcurrentSealOpenShareTheSessionPool) {
  const Envelope env = TokenEnvelope(3);
  std::vector<std::thread> threads;
  std::vector<int> failures(6, 0);
  for (int t = 0; t < 6; ++t) {
    threads.emplace_back([&env, &failures, t] {
      for (int i = 0; i < 40; ++i) {
        const SecretBytes s = SecretBytes::Random(32);
        absl::StatusOr<std::string> blob = env.Seal(s, "row");
        absl::StatusOr<SecretBytes> back =
            blob.ok() ? env.Open(*blob, "row") : absl::StatusOr<SecretBytes>(blob.status());
        if (!back.ok() || !back->Equals(s)) ++failures[t];
      }
    });
  }
  for (std::thread& th : threads) th.join();
  for (int f : failures) EXPECT_EQ(f, 0);
}

TEST(ReadPkcs11PinFileTest, RefusesWorldReadableFile) {
  const std::string path = ::testing::TempDir() + "/pin-world";
  FILE* f = fopen(path.c_str(), "w");
  fputs("1234\n", f);
  fclose(f);
  chmod(path.c_str(), 0644);
  EXPECT_EQ(ReadPkcs11PinFile(path).status().code(), absl::StatusCode::kFailedPrecondition);
  chmod(path.c_str(), 0600);
  absl::StatusOr<SecretBytes> pin = ReadPkcs11PinFile(path);
  ASSERT_TRUE(pin.ok()) << pin.status();
  EXPECT_EQ(pin->Reveal(), "1234");
}

}  // namespace
}  // namespace crypto
}  // namespace onem2m

#include "common/crypto/key_fingerprint.h"

#include "gtest/gtest.h"

namespace onem2m::crypto {
namespace {

TEST(KeyFingerprintTest, SameKeySameFingerprintOtherKeyOther) {
  SecretBytes a = SecretBytes::Copy(std::string(32, 'a'));
  SecretBytes b = SecretBytes::Copy(std::string(32, 'b'));
  std::string fa = KeyFingerprint(a);
  EXPECT_EQ(fa.size(), 16u);
  EXPECT_EQ(fa, KeyFingerprint(SecretBytes::Copy(std::string(32, 'a'))));
  EXPECT_NE(fa, KeyFingerprint(b));
  EXPECT_EQ(fa.find_first_not_of("0123456789abcdef"), std::string::npos);
}

TEST(KeyFingerprintTest, DoesNotContainTheKeyHex) {
  SecretBytes k = SecretBytes::Copy(std::string(32, '\x11'));
  EXPECT_EQ(KeyFingerprint(k).find("1111111111"), std::string::npos);
}

}  // namespace
}  // namespace onem2m::crypto

#include "common/secret_bytes.h"

#include <string>
#include <type_traits>

#include "gtest/gtest.h"

namespace onem2m {
namespace {

TEST(SecretBytesTest, CopyKeepsBytes) {
  SecretBytes s = SecretBytes::Copy(absl::string_view("\x01\x02\x03", 3));
  ASSERT_EQ(s.size(), 3u);
  EXPECT_EQ(s.data()[0], 1);
  EXPECT_EQ(s.data()[2], 3);
}

TEST(SecretBytesTest, EqualsComparesContentAndLength) {
  SecretBytes a = SecretBytes::Copy("abcd");
  EXPECT_TRUE(a.Equals(SecretBytes::Copy("abcd")));
  EXPECT_FALSE(a.Equals(SecretBytes::Copy("abce")));
  EXPECT_FALSE(a.Equals(SecretBytes::Copy("abc")));
}

TEST(SecretBytesTest, MoveLeavesSourceEmpty) {
  SecretBytes a = SecretBytes::Copy("key");
  SecretBytes b(std::move(a));
  EXPECT_TRUE(a.empty());  // NOLINT(bugprone-use-after-move): checked on purpose.
  EXPECT_EQ(b.Reveal(), "key");
}

TEST(SecretBytesTest, ClearEmpties) {
  SecretBytes a = SecretBytes::Copy("key");
  a.Clear();
  EXPECT_TRUE(a.empty());
}

TEST(SecretBytesTest, RandomHasSizeAndDiffers) {
  SecretBytes a = SecretBytes::Random(32);
  SecretBytes b = SecretBytes::Random(32);
  EXPECT_EQ(a.size(), 32u);
  EXPECT_FALSE(a.Equals(b));
}

TEST(SecretBytesTest, NotImplicitlyConvertibleToString) {
  EXPECT_FALSE((std::is_convertible<SecretBytes, std::string>::value));
  EXPECT_FALSE((std::is_convertible<SecretBytes, absl::string_view>::value));
}

TEST(ConstantTimeEqualsTest, Basics) {
  EXPECT_TRUE(ConstantTimeEquals("", ""));
  EXPECT_TRUE(ConstantTimeEquals("abc", "abc"));
  EXPECT_FALSE(ConstantTimeEquals("abc", "abd"));
  EXPECT_FALSE(ConstantTimeEquals("abc", "ab"));
}

TEST(WipeStringTest, Empties) {
  std::string s = "secret";
  WipeString(&s);
  EXPECT_TRUE(s.empty());
}

}  // namespace
}  // namespace onem2m

#include "services/common/mef_fqdn.h"

#include <string>

#include "common/crypto/key_id.h"
#include "common/testing/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace onem2m::services {
namespace {

using ::onem2m::testing::IsOk;
using ::onem2m::testing::StatusIs;
using ::testing::HasSubstr;

// FqdnOf returns a valid FQDN of exactly `n` bytes: labels of 63 letters joined by dots.
std::string FqdnOf(size_t n) {
  std::string f;
  while (f.size() < n) f += (f.empty() ? "" : ".") + std::string(63, 'a');
  f.resize(n);
  if (f.back() == '.') f.back() = 'b';
  return f;
}

TEST(CheckMefFqdnFitsKeyIdTest, TheLongestKeyIdFitsOpenSslsPskIdentity) {
  // 32 hex digits, '@', the FQDN: 256 bytes at the limit.
  EXPECT_EQ(32 + 1 + kMaxMefFqdnBytes, 256u);
  ASSERT_THAT(crypto::ValidateFqdn(FqdnOf(kMaxMefFqdnBytes)), IsOk());
  EXPECT_THAT(CheckMefFqdnFitsKeyId(FqdnOf(kMaxMefFqdnBytes)), IsOk());
  EXPECT_THAT(CheckMefFqdnFitsKeyId("mef.example.com"), IsOk());
}

TEST(CheckMefFqdnFitsKeyIdTest, OneByteMoreIsRefusedSayingWhy) {
  EXPECT_THAT(CheckMefFqdnFitsKeyId(FqdnOf(kMaxMefFqdnBytes + 1)),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("is 224 bytes; at most 223 so that a KeID fits OpenSSL's "
                                 "256-byte psk_identity")));
}

}  // namespace
}  // namespace onem2m::services

#include "common/tls/psk_config.h"

#include "gtest/gtest.h"

namespace onem2m {
namespace tls {
namespace {

TEST(PskConfigTest, DefaultTlsOrderMatchesProtocol) {
  std::vector<CipherSuite> suites = DefaultCipherSuites(Transport::kTls);
  ASSERT_EQ(suites.size(), 4u);
  EXPECT_EQ(suites[0].id, 0x00AE);
  EXPECT_EQ(suites[1].id, 0x00A8);
  EXPECT_EQ(suites[2].id, 0xC0A8);
  EXPECT_EQ(suites[3].id, 0xC037);
  EXPECT_EQ(OpenSslCipherList(suites),
            "PSK-AES128-CBC-SHA256:PSK-AES128-GCM-SHA256:PSK-AES128-CCM8:"
            "ECDHE-PSK-AES128-CBC-SHA256");
}

TEST(PskConfigTest, DefaultDtlsOrderMatchesProtocol) {
  std::vector<CipherSuite> suites = DefaultCipherSuites(Transport::kDtls);
  ASSERT_EQ(suites.size(), 3u);
  EXPECT_EQ(suites[0].id, 0xC0A8);
  EXPECT_EQ(suites[1].id, 0x00A8);
  EXPECT_EQ(suites[2].id, 0xC037);
}

TEST(PskConfigTest, ParsesIanaOpenSslAndHexNames) {
  absl::StatusOr<std::vector<CipherSuite>> suites = ParseCipherSuites(
      Transport::kTls, {"TLS_PSK_WITH_AES_128_GCM_SHA256", "psk-aes128-ccm8", "0x00ae"});
  ASSERT_TRUE(suites.ok()) << suites.status();
  ASSERT_EQ(suites->size(), 3u);
  EXPECT_EQ((*suites)[0].id, 0x00A8);
  EXPECT_EQ((*suites)[1].id, 0xC0A8);
  EXPECT_EQ((*suites)[2].id, 0x00AE);
}

TEST(PskConfigTest, ForbiddenSuitesAreRejected) {
  for (const char* name :
       {"TLS_PSK_WITH_NULL_SHA256", "PSK-NULL-SHA256", "DHE-PSK-AES128-CBC-SHA256",
        "TLS_DHE_PSK_WITH_AES_128_CBC_SHA256", "PSK-3DES-EDE-CBC-SHA", "PSK-RC4-SHA",
        "ADH-AES128-SHA", "EXP-RC4-MD5", "ALL", "DEFAULT", "aNULL", "eNULL", "",
        "PSK-AES128-CBC-SHA256:PSK-NULL-SHA"}) {
    SCOPED_TRACE(name);
    absl::StatusOr<std::vector<CipherSuite>> suites = ParseCipherSuites(Transport::kTls, {name});
    ASSERT_FALSE(suites.ok());
    EXPECT_EQ(suites.status().code(), absl::StatusCode::kInvalidArgument);
  }
}

TEST(PskConfigTest, CbcWithoutEcdheIsNotForDtls) {
  EXPECT_EQ(FindCipherSuite(Transport::kDtls, "PSK-AES128-CBC-SHA256").status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(FindCipherSuite(Transport::kDtls, "ECDHE-PSK-AES128-CBC-SHA256").ok());
}

TEST(PskConfigTest, EmptyAndDuplicateListsAreRejected) {
  EXPECT_EQ(ParseCipherSuites(Transport::kTls, {}).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ParseCipherSuites(Transport::kTls, {"0x00AE", "PSK-AES128-CBC-SHA256"}).status().code(),
            absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace tls
}  // namespace onem2m

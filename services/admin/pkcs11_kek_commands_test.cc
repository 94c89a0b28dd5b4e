#include "services/admin/pkcs11_kek_commands.h"

#include <sstream>
#include <string>

#include "common/testing/softhsm_token.h"
#include "gtest/gtest.h"

namespace onem2m {
namespace admin {
namespace {

TEST(Pkcs11KekCommandsTest, GenerateThenListShowsAProtectedKek) {
  absl::StatusOr<testing::SoftHsmToken> token =
      testing::SoftHsmToken::Create(::testing::TempDir() + "/softhsm-tool");
  ASSERT_TRUE(token.ok()) << token.status();
  crypto::Pkcs11Config config;
  config.module_path = testing::kSoftHsmModule;
  config.token_label = token->label();
  config.pin = *crypto::ReadPkcs11PinFile(token->pin_file());
  config.sessions = 1;

  std::ostringstream empty;
  ASSERT_TRUE(Pkcs11ListKeks(config, empty).ok());
  EXPECT_EQ(empty.str(), "no KEK in token 'onem2m-test'\n");

  std::ostringstream gen;
  ASSERT_TRUE(Pkcs11GenerateKek(config, 5, gen).ok());
  EXPECT_EQ(gen.str(), "generated onem2m-kek-v5 inside the token (sensitive, not extractable)\n");
  std::ostringstream again;
  EXPECT_EQ(Pkcs11GenerateKek(config, 5, again).code(), absl::StatusCode::kAlreadyExists);

  std::ostringstream list;
  ASSERT_TRUE(Pkcs11ListKeks(config, list).ok());
  EXPECT_EQ(list.str(), "onem2m-kek-v5 version=5 sensitive=yes extractable=no value_readable=no\n");
}

}  // namespace
}  // namespace admin
}  // namespace onem2m

// File: common/testing/softhsm_token.h
//
// SoftHsmToken gives a test its own SoftHSM2 token (the PKCS#11 KEK backend,
// common/crypto/pkcs11_kek_backend.h): a token directory and softhsm2.conf under `dir`, the
// SOFTHSM2_CONF environment variable pointing at it (inherited by child processes), and a token
// initialised with `softhsm2-util --init-token --free`.
//
// Example:
//
//   absl::StatusOr<SoftHsmToken> token = SoftHsmToken::Create(::testing::TempDir() + "/hsm");
//   ASSERT_TRUE(token.ok()) << token.status();
//   crypto::Pkcs11Config config = token->Config();
#ifndef ONEM2M_COMMON_TESTING_SOFTHSM_TOKEN_H_
#define ONEM2M_COMMON_TESTING_SOFTHSM_TOKEN_H_

#include <string>

#include "absl/status/statusor.h"

namespace onem2m {
namespace testing {

// kSoftHsmModule is Debian's SoftHSM2 PKCS#11 module (package libsofthsm2).
inline constexpr char kSoftHsmModule[] = "/usr/lib/softhsm/libsofthsm2.so";

class SoftHsmToken {
 public:
  // Create makes `dir` (which must not hold a token yet), writes the configuration, sets
  // SOFTHSM2_CONF and initialises a token labelled `label` with user PIN `pin`. Call it before
  // the process first loads the module: SoftHSM2 reads its configuration once.
  static absl::StatusOr<SoftHsmToken> Create(const std::string& dir,
                                             const std::string& label = "onem2m-test",
                                             const std::string& pin = "1234");

  const std::string& label() const { return label_; }
  const std::string& pin() const { return pin_; }
  const std::string& conf_path() const { return conf_path_; }
  // pin_file is a mode-0600 file holding the PIN, for --pkcs11_pin_file.
  const std::string& pin_file() const { return pin_file_; }

 private:
  std::string label_, pin_, conf_path_, pin_file_;
};

}  // namespace testing
}  // namespace onem2m

#endif  // ONEM2M_COMMON_TESTING_SOFTHSM_TOKEN_H_

// File: common/crypto/test_vectors.h
//
// Test-only access to tests/vectors/derivation.json (independent vectors computed with Python's
// hmac/hashlib). Tests using it need `data = ["//tests/vectors:derivation.json"]`.
//
//   nlohmann::json v = onem2m::crypto::testing::LoadDerivationVectors();
//   ASSERT_FALSE(v.is_null());
//   for (const auto& e : v["enrolment"]) { SCOPED_TRACE(e.dump()); ... }
#ifndef ONEM2M_COMMON_CRYPTO_TEST_VECTORS_H_
#define ONEM2M_COMMON_CRYPTO_TEST_VECTORS_H_

#include <string>

#include "common/secret_bytes.h"
#include "nlohmann/json.hpp"

namespace onem2m {
namespace crypto {
namespace testing {

// LoadDerivationVectors reads and parses derivation.json from the test's runfiles. It records a
// gtest failure and returns a null json if the file is missing or malformed.
nlohmann::json LoadDerivationVectors();

// HexField returns the bytes of a lower- or upper-case hex string field of `entry`, recording a
// gtest failure (and returning empty) if it is absent or not hex.
SecretBytes HexField(const nlohmann::json& entry, const std::string& name);

// StringField returns a string field of `entry`, recording a gtest failure if absent.
std::string StringField(const nlohmann::json& entry, const std::string& name);

}  // namespace testing
}  // namespace crypto
}  // namespace onem2m

#endif  // ONEM2M_COMMON_CRYPTO_TEST_VECTORS_H_

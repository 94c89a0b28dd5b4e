// File: common/crypto/aes_gcm.h
//
// One-shot AES-256-GCM with a 96-bit nonce, a 128-bit tag and associated data given in two parts
// (a blob header and the caller's binding), shared by the KEK backends (kek_backend.h).
#ifndef ONEM2M_COMMON_CRYPTO_AES_GCM_H_
#define ONEM2M_COMMON_CRYPTO_AES_GCM_H_

#include <cstddef>
#include <cstdint>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace onem2m {
namespace crypto {

inline constexpr size_t kGcmKeyLen = 32;
inline constexpr size_t kGcmNonceLen = 12;
inline constexpr size_t kGcmTagLen = 16;

// AesGcmSeal encrypts `plaintext_len` bytes at `plaintext` under the 32-byte `key` and 12-byte
// `nonce`, authenticating `aad1 || aad2`, and writes ciphertext || tag to `out` (plaintext_len +
// 16 bytes; may not overlap the input). Internal on OpenSSL failure.
absl::Status AesGcmSeal(const uint8_t* key, const uint8_t* nonce, absl::string_view aad1,
                        absl::string_view aad2, const uint8_t* plaintext, size_t plaintext_len,
                        uint8_t* out);

// AesGcmOpen decrypts `ciphertext_len` bytes of ciphertext || tag (ciphertext_len >= 16) into
// `out` (ciphertext_len - 16 bytes). DataLoss on authentication failure; `out` then holds
// unauthenticated bytes the caller must wipe. Internal on OpenSSL failure.
absl::Status AesGcmOpen(const uint8_t* key, const uint8_t* nonce, absl::string_view aad1,
                        absl::string_view aad2, const uint8_t* ciphertext, size_t ciphertext_len,
                        uint8_t* out);

}  // namespace crypto
}  // namespace onem2m

#endif  // ONEM2M_COMMON_CRYPTO_AES_GCM_H_

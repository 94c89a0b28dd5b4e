#include "common/crypto/aes_gcm.h"

#include <openssl/evp.h>

#include <cstring>

#include "common/openssl_util.h"

namespace onem2m {
namespace crypto {
namespace {

const EVP_CIPHER* Aes256Gcm() {
  static EVP_CIPHER* const cipher = EVP_CIPHER_fetch(nullptr, "AES-256-GCM", nullptr);
  return cipher;
}

const uint8_t* Bytes(absl::string_view s) { return reinterpret_cast<const uint8_t*>(s.data()); }

}  // namespace

absl::Status AesGcmSeal(const uint8_t* key, const uint8_t* nonce, absl::string_view aad1,
                        absl::string_view aad2, const uint8_t* plaintext, size_t plaintext_len,
                        uint8_t* out) {
  const EVP_CIPHER* cipher = Aes256Gcm();
  if (cipher == nullptr) {
    return OpenSslError(absl::StatusCode::kInternal, "AES-256-GCM unavailable");
  }
  EvpCipherCtxPtr ctx(EVP_CIPHER_CTX_new());
  int len = 0;
  if (ctx == nullptr || EVP_EncryptInit_ex2(ctx.get(), cipher, key, nonce, nullptr) != 1 ||
      (!aad1.empty() && EVP_EncryptUpdate(ctx.get(), nullptr, &len, Bytes(aad1),
                                          static_cast<int>(aad1.size())) != 1) ||
      (!aad2.empty() && EVP_EncryptUpdate(ctx.get(), nullptr, &len, Bytes(aad2),
                                          static_cast<int>(aad2.size())) != 1) ||
      (plaintext_len > 0 &&
       EVP_EncryptUpdate(ctx.get(), out, &len, plaintext, static_cast<int>(plaintext_len)) != 1) ||
      EVP_EncryptFinal_ex(ctx.get(), out + plaintext_len, &len) != 1 ||
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_GET_TAG, kGcmTagLen, out + plaintext_len) != 1) {
    return OpenSslError(absl::StatusCode::kInternal, "AES-256-GCM seal");
  }
  return absl::OkStatus();
}

absl::Status AesGcmOpen(const uint8_t* key, const uint8_t* nonce, absl::string_view aad1,
                        absl::string_view aad2, const uint8_t* ciphertext, size_t ciphertext_len,
                        uint8_t* out) {
  const EVP_CIPHER* cipher = Aes256Gcm();
  if (cipher == nullptr) {
    return OpenSslError(absl::StatusCode::kInternal, "AES-256-GCM unavailable");
  }
  if (ciphertext_len < kGcmTagLen) return absl::DataLossError("ciphertext shorter than its tag");
  const size_t ct_len = ciphertext_len - kGcmTagLen;
  uint8_t tag[kGcmTagLen];
  std::memcpy(tag, ciphertext + ct_len, kGcmTagLen);
  EvpCipherCtxPtr ctx(EVP_CIPHER_CTX_new());
  int len = 0;
  if (ctx == nullptr || EVP_DecryptInit_ex2(ctx.get(), cipher, key, nonce, nullptr) != 1 ||
      (!aad1.empty() && EVP_DecryptUpdate(ctx.get(), nullptr, &len, Bytes(aad1),
                                          static_cast<int>(aad1.size())) != 1) ||
      (!aad2.empty() && EVP_DecryptUpdate(ctx.get(), nullptr, &len, Bytes(aad2),
                                          static_cast<int>(aad2.size())) != 1) ||
      (ct_len > 0 &&
       EVP_DecryptUpdate(ctx.get(), out, &len, ciphertext, static_cast<int>(ct_len)) != 1) ||
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_TAG, kGcmTagLen, tag) != 1) {
    return OpenSslError(absl::StatusCode::kInternal, "AES-256-GCM open");
  }
  if (EVP_DecryptFinal_ex(ctx.get(), out + ct_len, &len) != 1) {
    ClearOpenSslErrors();
    return absl::DataLossError(
        "sealed blob failed authentication (tampered, wrong associated data, or wrong key)");
  }
  return absl::OkStatus();
}

}  // namespace crypto
}  // namespace onem2m

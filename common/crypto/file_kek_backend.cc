#include "common/crypto/file_kek_backend.h"

#include <openssl/rand.h>

#include <string>

#include "absl/strings/str_cat.h"
#include "common/crypto/aes_gcm.h"
#include "common/crypto/sealed_header.h"
#include "common/openssl_util.h"

namespace onem2m {
namespace crypto {

// Blob layout (envelope.h): header (5) || nonce (12) || ciphertext || tag (16). The header is
// authenticated as the first part of the GCM additional data.
absl::StatusOr<std::string> FileKekBackend::Seal(uint32_t version, const SecretBytes& plaintext,
                                                 absl::string_view associated_data) const {
  const SecretBytes* kek = keyring_.key(version);
  if (kek == nullptr) {
    return absl::NotFoundError(
        absl::StrCat("key-encryption key version ", version, " is not in the keyring"));
  }
  std::string blob(kSealedOverhead + plaintext.size(), '\0');
  PutSealedHeader(kSealedFormatFile, version, &blob[0]);
  auto* nonce = reinterpret_cast<uint8_t*>(&blob[kSealedHeaderLen]);
  if (RAND_bytes(nonce, kGcmNonceLen) != 1) {
    return OpenSslError(absl::StatusCode::kInternal, "RAND_bytes");
  }
  absl::Status s =
      AesGcmSeal(kek->data(), nonce, absl::string_view(blob.data(), kSealedHeaderLen),
                 associated_data, plaintext.data(), plaintext.size(), nonce + kGcmNonceLen);
  if (!s.ok()) return s;
  return blob;
}

absl::StatusOr<SecretBytes> FileKekBackend::Open(absl::string_view blob,
                                                 absl::string_view associated_data) const {
  if (blob.size() < kSealedOverhead) return absl::DataLossError("sealed blob truncated");
  const uint32_t version = SealedHeaderVersion(blob);
  const SecretBytes* kek = keyring_.key(version);
  if (kek == nullptr) {
    return absl::NotFoundError(absl::StrCat("sealed blob names key-encryption key version ",
                                            version, ", which the keyring does not hold"));
  }
  const auto* nonce = reinterpret_cast<const uint8_t*>(blob.data() + kSealedHeaderLen);
  SecretBytes plaintext(blob.size() - kSealedOverhead);
  // On failure `plaintext` (unauthenticated bytes) is wiped by its destructor.
  absl::Status s = AesGcmOpen(kek->data(), nonce, blob.substr(0, kSealedHeaderLen), associated_data,
                              nonce + kGcmNonceLen, blob.size() - kSealedHeaderLen - kGcmNonceLen,
                              plaintext.mutable_data());
  if (!s.ok()) return s;
  return plaintext;
}

}  // namespace crypto
}  // namespace onem2m

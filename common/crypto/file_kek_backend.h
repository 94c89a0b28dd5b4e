// File: common/crypto/file_kek_backend.h
//
// FileKekBackend keeps the KEKs of a Keyring (envelope.h: file or Kubernetes Secret directory) in
// process memory and seals each secret directly under one (docs/protocol.md section 8). It is the
// default backend; its blob format (format byte 0x01) is the one described in envelope.h.
#ifndef ONEM2M_COMMON_CRYPTO_FILE_KEK_BACKEND_H_
#define ONEM2M_COMMON_CRYPTO_FILE_KEK_BACKEND_H_

#include <utility>

#include "common/crypto/envelope.h"
#include "common/crypto/kek_backend.h"

namespace onem2m {
namespace crypto {

class FileKekBackend final : public KekBackend {
 public:
  explicit FileKekBackend(Keyring keyring) : keyring_(std::move(keyring)) {}

  // KekBackend
  uint8_t format_tag() const override { return kSealedFormatFile; }
  absl::string_view name() const override { return "file"; }
  std::vector<uint32_t> versions() const override { return keyring_.versions(); }
  uint32_t default_active_version() const override { return keyring_.active_version(); }
  absl::StatusOr<std::string> Seal(uint32_t version, const SecretBytes& plaintext,
                                   absl::string_view associated_data) const override;
  absl::StatusOr<SecretBytes> Open(absl::string_view blob,
                                   absl::string_view associated_data) const override;

  const Keyring& keyring() const { return keyring_; }

 private:
  Keyring keyring_;
};

}  // namespace crypto
}  // namespace onem2m

#endif  // ONEM2M_COMMON_CRYPTO_FILE_KEK_BACKEND_H_

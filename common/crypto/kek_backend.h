// File: common/crypto/kek_backend.h
//
// KekBackend is where key-encryption keys (KEKs) live for envelope encryption of secrets at rest
// (docs/protocol.md section 8). Envelope (envelope.h) dispatches each blob to the backend whose
// format tag the blob's first byte names, so rows sealed by different backends coexist in one
// table and are rewrapped the same way:
//
//   FileKekBackend    (file_kek_backend.h)    format 0x01: the KEK is in process memory, loaded
//                                             from a keyring file or directory (the default).
//   Pkcs11KekBackend  (pkcs11_kek_backend.h)  format 0x02: the KEK stays inside a PKCS#11 token;
//                                             each row gets a fresh data key wrapped by it.
//
// Every format starts with the format byte and the KEK version as a big-endian uint32 (bytes
// 1..4), so SealedKeyVersion works on any blob. KEK version numbers are one namespace across
// backends: Envelope refuses two backends that hold the same version.
#ifndef ONEM2M_COMMON_CRYPTO_KEK_BACKEND_H_
#define ONEM2M_COMMON_CRYPTO_KEK_BACKEND_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "common/secret_bytes.h"

namespace onem2m {
namespace crypto {

// kSealedFormatFile tags blobs sealed directly under an in-memory KEK (FileKekBackend).
inline constexpr uint8_t kSealedFormatFile = 0x01;
// kSealedFormatPkcs11 tags blobs whose data key is wrapped by a KEK inside a PKCS#11 token.
inline constexpr uint8_t kSealedFormatPkcs11 = 0x02;

// kSealedPkcs11Overhead is the number of bytes a PKCS#11 (format 0x02) seal adds to the
// plaintext: header 5, wrap nonce 12, wrapped data key 32 + tag 16, row nonce 12, row tag 16.
inline constexpr size_t kSealedPkcs11Overhead = 5 + 12 + 48 + 12 + 16;
// kMaxSealedOverhead is the largest overhead of any format.
inline constexpr size_t kMaxSealedOverhead = kSealedPkcs11Overhead;

// KekBackend seals and opens secrets under versioned KEKs.
//
// THREAD SAFETY: implementations are safe for concurrent calls to every method.
class KekBackend {
 public:
  virtual ~KekBackend() = default;

  // format_tag returns the first byte of every blob this backend seals.
  virtual uint8_t format_tag() const = 0;

  // name returns a short name for logs and errors ("file", "pkcs11").
  virtual absl::string_view name() const = 0;

  // versions returns the KEK versions this backend holds, ascending.
  virtual std::vector<uint32_t> versions() const = 0;

  // default_active_version returns the version to seal with when no version is configured.
  virtual uint32_t default_active_version() const = 0;

  // Seal encrypts `plaintext` under KEK `version`, binding `associated_data`. NotFound if the
  // backend does not hold `version`, Unavailable if the key store cannot be reached, Internal on
  // a cryptographic failure. Size limits are checked by Envelope.
  virtual absl::StatusOr<std::string> Seal(uint32_t version, const SecretBytes& plaintext,
                                           absl::string_view associated_data) const = 0;

  // Open decrypts a blob of this backend's format. DataLoss if the blob is truncated or fails
  // authentication, NotFound for a version the backend does not hold, Unavailable if the key
  // store cannot be reached.
  virtual absl::StatusOr<SecretBytes> Open(absl::string_view blob,
                                           absl::string_view associated_data) const = 0;
};

}  // namespace crypto
}  // namespace onem2m

#endif  // ONEM2M_COMMON_CRYPTO_KEK_BACKEND_H_

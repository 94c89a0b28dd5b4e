// File: common/crypto/envelope.h
//
// Envelope encryption of secrets at rest (docs/protocol.md section 8): AES-256-GCM under a
// versioned key-encryption key (KEK) loaded from a keyring, so KEKs can be rotated while old rows
// stay readable.
//
// Example:
//
//   absl::StatusOr<onem2m::crypto::Keyring> keyring =
//       onem2m::crypto::Keyring::Load("/etc/onem2m/kek");      // file or Kubernetes Secret dir
//   if (!keyring.ok()) return keyring.status();
//   onem2m::crypto::Envelope envelope(*std::move(keyring));
//   absl::StatusOr<std::string> blob = envelope.Seal(kpm, /*associated_data=*/kpm_id);
//   ...                                                         // store *blob in the row
//   absl::StatusOr<onem2m::SecretBytes> back = envelope.Open(*blob, kpm_id);
//
// KEYRING FILE FORMAT (text, UTF-8/ASCII):
//   # comment lines and blank lines are ignored
//   active: 2                 optional: the version used for sealing (default: the highest)
//   1:<key>                   one line per version: decimal 1..4294967295, ':', the 32-byte key as
//   2:<key>                   64 hex characters (either case) or standard base64 (44 characters)
// Whitespace around tokens is ignored. Duplicate versions, a missing active version, or no key
// at all are errors. All versions can open; only the active one seals. Rotation: add the new
// version to every replica first (it can then open), then mark it active, later re-seal old rows
// (SealedKeyVersion tells which) and finally remove the old version.
//
// KEYRING DIRECTORY FORMAT (a mounted Kubernetes Secret): one file per version, named by the
// decimal version ("1", "2", ...), each holding one key as above (surrounding whitespace ignored),
// and optionally a file "active" holding the active version. Names starting with '.' (Kubernetes'
// "..data" links) are skipped; any other name is an error.
//
// PERMISSIONS [project rule]: a keyring file (or any key file in a directory) that is accessible
// to "others" (mode & 0007 != 0, e.g. world-readable 0644, which is Kubernetes' default
// defaultMode) is refused with FailedPrecondition; mount the Secret with defaultMode 0400 or 0440.
// Group access is allowed (Kubernetes' fsGroup), and the file must be a regular file (symlinks are
// followed).
//
// SEALED BLOB FORMAT of a keyring (FileKekBackend; a PKCS#11 token's format 0x02 is in
// pkcs11_kek_backend.h; Envelope opens both, see kek_backend.h):
//   byte 0       format version, 0x01
//   bytes 1..4   KEK version, big-endian uint32
//   bytes 5..16  random 96-bit GCM nonce
//   bytes 17..   ciphertext (same length as the plaintext) || 16-byte GCM tag
// The GCM additional data is bytes 0..4 of the blob || associated_data, so the header and the
// caller's binding (e.g. the KeID or KpmID of the row) are both authenticated: a blob moved to
// another row, or relabelled with another version, fails to open. Overhead: 33 bytes. Nonces are
// random: rotate a KEK before it has sealed 2^32 blobs.
//
// ERRORS: Open returns DataLoss for a blob that is truncated, has an unknown format byte, or fails
// authentication (tampered bytes, wrong associated data, or a different key under the same
// version number; these cannot be told apart), NotFound for a KEK version the keyring does not
// hold, InvalidArgument for inputs over the size limits. Loading returns NotFound (no such path),
// FailedPrecondition (permissions, not a regular file), InvalidArgument (syntax, with the line or
// file name but never key text), PermissionDenied (the process may not read the file), Internal
// (I/O, OpenSSL). No message contains key bytes.
//
// THREAD SAFETY: Keyring and Envelope are immutable after construction (backends are thread-safe);
// const methods may be called from any number of threads.
#ifndef ONEM2M_COMMON_CRYPTO_ENVELOPE_H_
#define ONEM2M_COMMON_CRYPTO_ENVELOPE_H_

#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "common/crypto/kek_backend.h"
#include "common/secret_bytes.h"

namespace onem2m {
namespace crypto {

// kKekLen is the length of a key-encryption key (AES-256).
inline constexpr size_t kKekLen = 32;
// kSealedFormatV1 is the first byte of every blob a keyring (FileKekBackend) seals.
inline constexpr uint8_t kSealedFormatV1 = kSealedFormatFile;
// kSealedOverhead is the number of bytes a keyring (format 0x01) seal adds to the plaintext.
inline constexpr size_t kSealedOverhead = 1 + 4 + 12 + 16;
// kMaxSealPlaintextLen and kMaxAssociatedDataLen bound Seal/Open inputs.
inline constexpr size_t kMaxSealPlaintextLen = 1 << 20;
inline constexpr size_t kMaxAssociatedDataLen = 1 << 16;

// Keyring holds the versioned KEKs and the active version.
class Keyring {
 public:
  // Parse reads the keyring file format from `text` (see the file comment). Used by LoadFile and
  // by tests; does no permission check.
  static absl::StatusOr<Keyring> Parse(absl::string_view text);

  // LoadFile reads a keyring file after checking its permissions.
  static absl::StatusOr<Keyring> LoadFile(const std::string& path);

  // LoadDirectory reads a keyring directory (Kubernetes Secret mount) after checking each key
  // file's permissions.
  static absl::StatusOr<Keyring> LoadDirectory(const std::string& path);

  // Load calls LoadDirectory if `path` is a directory, else LoadFile.
  static absl::StatusOr<Keyring> Load(const std::string& path);

  // FromKeys builds a keyring from `keys` (version -> 32-byte key). `active_version` 0 means the
  // highest version. InvalidArgument for no keys, version 0, a key of the wrong length, or an
  // active version not in `keys`.
  static absl::StatusOr<Keyring> FromKeys(std::map<uint32_t, SecretBytes> keys,
                                          uint32_t active_version = 0);

  // Generate returns a keyring with one fresh random key under `version` (>= 1), active.
  static Keyring Generate(uint32_t version = 1);

  // active_version returns the version Seal uses.
  uint32_t active_version() const { return active_version_; }

  // versions returns all versions, ascending.
  std::vector<uint32_t> versions() const;

  // key returns the KEK of `version`, or null. The pointer is valid while the keyring lives.
  // WARNING: raw key access, for Envelope and for writing keyring files only.
  const SecretBytes* key(uint32_t version) const;

  // ToFileText renders the keyring in the file format. WARNING: the result holds every key in
  // clear; wipe it (WipeString) after writing it to a protected file.
  std::string ToFileText() const;

 private:
  Keyring(std::map<uint32_t, SecretBytes> keys, uint32_t active_version)
      : keys_(std::move(keys)), active_version_(active_version) {}

  std::map<uint32_t, SecretBytes> keys_;
  uint32_t active_version_ = 0;
};

// Envelope seals under the active KEK version and opens any blob whose backend (kek_backend.h) it
// holds: the blob's format byte picks the backend, the version picks the KEK. It is copyable; the
// backends are shared.
class Envelope {
 public:
  // Envelope seals and opens with `keyring` alone (a FileKekBackend), sealing under the
  // keyring's active version.
  explicit Envelope(Keyring keyring);

  // Create builds an envelope over `backends` (at most one per format tag), sealing under
  // `active_version`; 0 means the last backend's default_active_version. InvalidArgument for no
  // backends, two backends of one format, a version held by two backends, or an active version
  // no backend holds.
  static absl::StatusOr<Envelope> Create(std::vector<std::shared_ptr<const KekBackend>> backends,
                                         uint32_t active_version);

  // Seal encrypts `plaintext` under the active KEK, binding `associated_data` (e.g. the row's
  // KeID). It returns the sealed blob (see the file comment and kek_backend.h), or
  // InvalidArgument if an input is over its size limit, Unavailable if a token cannot be
  // reached, Internal on a cryptographic failure.
  absl::StatusOr<std::string> Seal(const SecretBytes& plaintext,
                                   absl::string_view associated_data) const;

  // Open decrypts a blob from Seal with the backend and KEK version it names, checking
  // `associated_data`. Errors: DataLoss (truncated, unknown format, authentication failure),
  // NotFound (unknown KEK version or no backend for the format), InvalidArgument (oversized
  // input), Unavailable (token unreachable), Internal (cryptographic failure).
  absl::StatusOr<SecretBytes> Open(absl::string_view blob, absl::string_view associated_data) const;

  // active_version returns the KEK version Seal uses.
  uint32_t active_version() const { return active_version_; }

  // active_backend_name returns the name of the backend Seal uses ("file", "pkcs11").
  absl::string_view active_backend_name() const { return active_->name(); }

  // versions returns the KEK versions of all backends, ascending.
  std::vector<uint32_t> versions() const;

  // HasVersion tells whether some backend holds KEK `version` (it can then open its blobs).
  bool HasVersion(uint32_t version) const;

 private:
  Envelope(std::vector<std::shared_ptr<const KekBackend>> backends, const KekBackend* active,
           uint32_t active_version)
      : backends_(std::move(backends)), active_(active), active_version_(active_version) {}

  std::vector<std::shared_ptr<const KekBackend>> backends_;
  const KekBackend* active_ = nullptr;  // one of backends_
  uint32_t active_version_ = 0;
};

// SealedKeyVersion returns the KEK version a sealed blob of any known format names (without
// decrypting), to find rows to re-seal after a rotation. DataLoss if `blob` is too short for its
// format or of an unknown format.
absl::StatusOr<uint32_t> SealedKeyVersion(absl::string_view blob);

// CreateKeyringFile writes a new keyring file at `path` with one random key, version 1, active,
// created with mode 0600 and O_EXCL. AlreadyExists if `path` exists; Internal on I/O failure.
absl::Status CreateKeyringFile(const std::string& path);

// AddKeyToKeyringFile loads the keyring file at `path` (permission-checked), adds a random key
// under the highest version + 1, makes it active if `activate` (else keeps the active version,
// written explicitly), and replaces the file atomically (temporary file in the same directory,
// mode 0600, fsync, rename). It returns the new version.
absl::StatusOr<uint32_t> AddKeyToKeyringFile(const std::string& path, bool activate);

}  // namespace crypto
}  // namespace onem2m

#endif  // ONEM2M_COMMON_CRYPTO_ENVELOPE_H_

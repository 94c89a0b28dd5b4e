// File: common/crypto/pkcs11_kek_backend.h
//
// Pkcs11KekBackend keeps the key-encryption keys (KEKs) inside a PKCS#11 token (an HSM; SoftHSM2
// in tests) for envelope encryption of secrets at rest (docs/protocol.md section 8). The KEK never
// leaves the token: each row gets a fresh random 256-bit data key (DEK) that seals the row with
// AES-256-GCM in process; the token encrypts the DEK under its AES KEK (CKM_AES_GCM) and decrypts
// it again to open the row. DEKs are wiped after each call.
//
// Example:
//
//   Pkcs11Config config;
//   config.module_path = "/usr/lib/softhsm/libsofthsm2.so";
//   config.token_label = "onem2m";
//   config.pin = *ReadPkcs11PinFile("/etc/onem2m/hsm/pin");
//   absl::StatusOr<std::shared_ptr<Pkcs11KekBackend>> token = Pkcs11KekBackend::Connect(config);
//   absl::StatusOr<Envelope> envelope = Envelope::Create({*token}, /*active_version=*/2);
//
// KEK VERSIONS are token key labels: the AES secret key object labelled "onem2m-kek-v<N>" is KEK
// version N (decimal, 1..4294967295). Other objects are ignored. A KEK must be sensitive and not
// extractable (CKA_SENSITIVE true, CKA_EXTRACTABLE false; GenerateKek makes it so inside the
// token); Connect refuses a token whose KEK could be read out.
//
// SEALED BLOB FORMAT 0x02 (self-describing, stored as bytes; kSealedPkcs11Overhead = 93 bytes):
//   byte 0        format, 0x02
//   bytes 1..4    KEK version, big-endian uint32
//   bytes 5..16   random nonce of the DEK's wrapping (done in the token, CKM_AES_GCM, 128-bit tag)
//   bytes 17..64  wrapped DEK: 32 bytes ciphertext || 16-byte tag; wrapping additional data is
//                 bytes 0..4, so a DEK cannot be relabelled with another version
//   bytes 65..76  random nonce of the row
//   bytes 77..    row ciphertext || 16-byte tag, AES-256-GCM under the DEK, additional data
//                 bytes 0..64 || associated_data (binds the row to its wrapped DEK and its row id)
//
// SESSIONS: Connect opens a small pool of sessions (PKCS#11 sessions are single-threaded) and logs
// in once as the user; a call takes a session from the pool for its token round trip and waits if
// all are busy. The module is loaded with dlopen and initialised with OS locking; one loaded
// module is shared by every backend of the process using the same path.
//
// ERRORS: Connect returns NotFound (module file, token label), FailedPrecondition (an extractable
// or non-sensitive KEK, duplicate labels), PermissionDenied (wrong PIN), Unavailable (module or
// token failure). Seal/Open return DataLoss (truncated blob, authentication failure of the row or
// of the wrapped DEK), NotFound (a version the token lacks), Unavailable (token failure). No
// message holds key bytes or the PIN.
//
// THREAD SAFETY: all methods may be called from any number of threads.
#ifndef ONEM2M_COMMON_CRYPTO_PKCS11_KEK_BACKEND_H_
#define ONEM2M_COMMON_CRYPTO_PKCS11_KEK_BACKEND_H_

#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "common/crypto/kek_backend.h"
#include "common/secret_bytes.h"

namespace onem2m {
namespace crypto {

// kPkcs11KekLabelPrefix starts the label of every KEK in the token.
inline constexpr absl::string_view kPkcs11KekLabelPrefix = "onem2m-kek-v";

// Pkcs11KekLabel returns the token label of KEK `version`.
std::string Pkcs11KekLabel(uint32_t version);

// ParsePkcs11KekLabel returns the version a KEK label names, or 0 if it names none.
uint32_t ParsePkcs11KekLabel(absl::string_view label);

// ReadPkcs11PinFile reads a user PIN from `path` (trailing whitespace removed). The file must be
// a regular file that "others" cannot access (mode & 0007 == 0). NotFound, FailedPrecondition,
// PermissionDenied, InvalidArgument (empty PIN) or Internal.
absl::StatusOr<SecretBytes> ReadPkcs11PinFile(const std::string& path);

// Pkcs11Config says which module and token to use.
struct Pkcs11Config {
  std::string module_path;  // the PKCS#11 module, e.g. /usr/lib/softhsm/libsofthsm2.so
  std::string token_label;  // CK_TOKEN_INFO label of the token
  SecretBytes pin;          // user PIN
  size_t sessions = 4;      // session pool size (1..64)
};

// Pkcs11KekInfo describes one KEK object of the token.
struct Pkcs11KekInfo {
  std::string label;
  uint32_t version = 0;
  bool sensitive = false;
  bool extractable = true;
  bool value_readable = true;  // whether C_GetAttributeValue(CKA_VALUE) succeeds
};

class Pkcs11KekBackend final : public KekBackend {
 public:
  // Connect loads the module, finds the token, opens the session pool, logs in and finds the
  // KEKs (see the file comment for errors).
  static absl::StatusOr<std::shared_ptr<Pkcs11KekBackend>> Connect(const Pkcs11Config& config);

  ~Pkcs11KekBackend() override;
  Pkcs11KekBackend(const Pkcs11KekBackend&) = delete;
  Pkcs11KekBackend& operator=(const Pkcs11KekBackend&) = delete;

  // KekBackend
  uint8_t format_tag() const override { return kSealedFormatPkcs11; }
  absl::string_view name() const override { return "pkcs11"; }
  std::vector<uint32_t> versions() const override;
  uint32_t default_active_version() const override;
  absl::StatusOr<std::string> Seal(uint32_t version, const SecretBytes& plaintext,
                                   absl::string_view associated_data) const override;
  absl::StatusOr<SecretBytes> Open(absl::string_view blob,
                                   absl::string_view associated_data) const override;

  // GenerateKek creates KEK `version` inside the token (C_GenerateKey, CKM_AES_KEY_GEN, 32
  // bytes, a token object that is private, sensitive, not extractable, for encrypt and decrypt
  // only) labelled Pkcs11KekLabel(version). AlreadyExists if the token holds that version.
  absl::Status GenerateKek(uint32_t version);

  // List describes the token's KEKs, by version.
  absl::StatusOr<std::vector<Pkcs11KekInfo>> List() const;

  struct Module;  // the loaded PKCS#11 module (pkcs11_kek_backend.cc)

 private:
  class Lease;

  Pkcs11KekBackend(std::shared_ptr<Module> module, unsigned long slot)
      : module_(std::move(module)), slot_(slot) {}

  absl::Status OpenSessions(size_t count, const SecretBytes& pin);
  absl::Status FindKeks();
  unsigned long Acquire() const;
  void Release(unsigned long session) const;
  absl::StatusOr<unsigned long> KekHandle(uint32_t version) const;

  const std::shared_ptr<Module> module_;
  const unsigned long slot_;
  std::vector<unsigned long> all_sessions_;  // set in Connect, then constant
  mutable absl::Mutex mu_;
  mutable std::vector<unsigned long> free_sessions_ ABSL_GUARDED_BY(mu_);
  std::map<uint32_t, unsigned long> keks_ ABSL_GUARDED_BY(mu_);  // version -> object handle
};

}  // namespace crypto
}  // namespace onem2m

#endif  // ONEM2M_COMMON_CRYPTO_PKCS11_KEK_BACKEND_H_

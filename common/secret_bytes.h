// File: common/secret_bytes.h
//
// SecretBytes holds key material (Kpm, Ke, Km, distributed keys). It wipes its buffer when it is
// destroyed or reassigned, compares in constant time and has no operator<< and no implicit
// conversion to a string, so a key cannot reach a log by accident.
//
// What it cannot protect: copies made through `Reveal()` (into protobuf `bytes` fields, for example,
// whose buffers are not wiped), swap space and core dumps. Every `Reveal()` call site is greppable on
// purpose; keep them few.
//
//   SecretBytes ke = SecretBytes::Copy(export_bytes.substr(16, 32));
//   if (ke.Equals(other)) { ... }             // constant time
//   HMAC(..., ke.data(), ke.size(), ...);     // raw access for crypto calls
#ifndef ONEM2M_COMMON_SECRET_BYTES_H_
#define ONEM2M_COMMON_SECRET_BYTES_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"

namespace onem2m {

class SecretBytes {
 public:
  SecretBytes() = default;
  // SecretBytes creates a zero-filled secret of `size` bytes, to be written through mutable_data().
  explicit SecretBytes(size_t size);
  ~SecretBytes();

  SecretBytes(const SecretBytes& other);
  SecretBytes& operator=(const SecretBytes& other);
  SecretBytes(SecretBytes&& other) noexcept;
  SecretBytes& operator=(SecretBytes&& other) noexcept;

  // Copy returns a secret holding a copy of `bytes`. The caller remains responsible for wiping
  // `bytes` if it was itself secret.
  static SecretBytes Copy(absl::string_view bytes);
  static SecretBytes Copy(const uint8_t* bytes, size_t len);

  // Random returns `size` bytes from OpenSSL's CSPRNG. It aborts if the CSPRNG fails, since no
  // caller can continue safely without randomness.
  static SecretBytes Random(size_t size);

  const uint8_t* data() const { return bytes_.data(); }
  uint8_t* mutable_data() { return bytes_.data(); }
  size_t size() const { return bytes_.size(); }
  bool empty() const { return bytes_.empty(); }

  // Equals compares contents in time that depends only on the sizes.
  bool Equals(const SecretBytes& other) const;

  // Reveal returns the bytes as a string_view, valid while this object lives and is unchanged.
  // WARNING: whatever the view is copied into is not wiped; use it only where the protocol hands
  // the key on (crypto calls, encryption at rest, the credential-fetch response).
  absl::string_view Reveal() const {
    return absl::string_view(reinterpret_cast<const char*>(bytes_.data()), bytes_.size());
  }

  // Clear wipes and empties the buffer.
  void Clear();

 private:
  std::vector<uint8_t> bytes_;
};

// ConstantTimeEquals compares two byte strings in time that depends only on their lengths.
bool ConstantTimeEquals(absl::string_view a, absl::string_view b);

// WipeString overwrites a std::string's buffer (e.g. a protobuf bytes field that held a key) and
// empties it.
void WipeString(std::string* s);

}  // namespace onem2m

#endif  // ONEM2M_COMMON_SECRET_BYTES_H_

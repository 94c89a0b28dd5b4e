#include "common/secret_bytes.h"

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include <cstdlib>
#include <cstring>

namespace onem2m {

SecretBytes::SecretBytes(size_t size) : bytes_(size, 0) {}

SecretBytes::~SecretBytes() { Clear(); }

SecretBytes::SecretBytes(const SecretBytes& other) : bytes_(other.bytes_) {}

SecretBytes& SecretBytes::operator=(const SecretBytes& other) {
  if (this != &other) {
    Clear();
    bytes_ = other.bytes_;
  }
  return *this;
}

SecretBytes::SecretBytes(SecretBytes&& other) noexcept : bytes_(std::move(other.bytes_)) {
  other.bytes_.clear();
}

SecretBytes& SecretBytes::operator=(SecretBytes&& other) noexcept {
  if (this != &other) {
    Clear();
    bytes_ = std::move(other.bytes_);
    other.bytes_.clear();
  }
  return *this;
}

SecretBytes SecretBytes::Copy(absl::string_view bytes) {
  return Copy(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size());
}

SecretBytes SecretBytes::Copy(const uint8_t* bytes, size_t len) {
  SecretBytes s(len);
  if (len > 0) std::memcpy(s.bytes_.data(), bytes, len);
  return s;
}

SecretBytes SecretBytes::Random(size_t size) {
  SecretBytes s(size);
  if (size > 0 && RAND_bytes(s.bytes_.data(), static_cast<int>(size)) != 1) {
    std::abort();
  }
  return s;
}

bool SecretBytes::Equals(const SecretBytes& other) const {
  return ConstantTimeEquals(Reveal(), other.Reveal());
}

void SecretBytes::Clear() {
  if (!bytes_.empty()) OPENSSL_cleanse(bytes_.data(), bytes_.size());
  bytes_.clear();
}

bool ConstantTimeEquals(absl::string_view a, absl::string_view b) {
  if (a.size() != b.size()) return false;
  if (a.empty()) return true;
  return CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

void WipeString(std::string* s) {
  if (!s->empty()) OPENSSL_cleanse(&(*s)[0], s->size());
  s->clear();
}

}  // namespace onem2m

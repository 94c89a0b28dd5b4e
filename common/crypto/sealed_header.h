// File: common/crypto/sealed_header.h
//
// The five bytes every sealed blob starts with (kek_backend.h): the format byte and the KEK
// version, big-endian.
#ifndef ONEM2M_COMMON_CRYPTO_SEALED_HEADER_H_
#define ONEM2M_COMMON_CRYPTO_SEALED_HEADER_H_

#include <cstddef>
#include <cstdint>

#include "absl/strings/string_view.h"

namespace onem2m {
namespace crypto {

inline constexpr size_t kSealedHeaderLen = 5;

// PutSealedHeader writes the format byte and `version` to out[0..4].
inline void PutSealedHeader(uint8_t format, uint32_t version, char* out) {
  out[0] = static_cast<char>(format);
  out[1] = static_cast<char>(version >> 24);
  out[2] = static_cast<char>(version >> 16);
  out[3] = static_cast<char>(version >> 8);
  out[4] = static_cast<char>(version);
}

// SealedHeaderVersion reads the version of a blob at least kSealedHeaderLen bytes long.
inline uint32_t SealedHeaderVersion(absl::string_view blob) {
  const auto* p = reinterpret_cast<const uint8_t*>(blob.data());
  return (uint32_t{p[1]} << 24) | (uint32_t{p[2]} << 16) | (uint32_t{p[3]} << 8) | uint32_t{p[4]};
}

}  // namespace crypto
}  // namespace onem2m

#endif  // ONEM2M_COMMON_CRYPTO_SEALED_HEADER_H_

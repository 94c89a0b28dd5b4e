// libFuzzer target: key identifier and identifier validation (common/crypto/key_id.h). A key ID
// that parses must format back to its canonical form and that form must parse to the same parts.
#include <cstddef>
#include <cstdint>
#include <string>

#include "absl/strings/string_view.h"
#include "common/crypto/key_id.h"

namespace crypto = onem2m::crypto;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  absl::string_view text(reinterpret_cast<const char*>(data), size);
  (void)crypto::ParseHex(text);
  (void)crypto::ParseHexSecret(text);
  (void)crypto::ValidateFqdn(text);
  (void)crypto::ValidateKpmId(text);
  (void)crypto::ValidateEnroleeId(text);
  (void)crypto::HexUpper(text);
  absl::StatusOr<crypto::KeyId> id = crypto::ParseKeyId(text);
  absl::StatusOr<std::string> canonical = crypto::CanonicalKeyId(text);
  if (id.ok() != canonical.ok()) __builtin_trap();
  if (!id.ok()) return 0;
  absl::StatusOr<std::string> formatted = crypto::FormatKeyId(id->relative_id, id->fqdn);
  if (!formatted.ok() || *formatted != *canonical) __builtin_trap();
  absl::StatusOr<crypto::KeyId> again = crypto::ParseKeyId(*canonical);
  if (!again.ok() || again->relative_id != id->relative_id || again->fqdn != id->fqdn) {
    __builtin_trap();
  }
  return 0;
}

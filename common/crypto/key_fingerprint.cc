#include "common/crypto/key_fingerprint.h"

#include "absl/strings/ascii.h"
#include "common/crypto/key_derivation.h"
#include "common/crypto/key_id.h"

namespace onem2m::crypto {

std::string KeyFingerprint(const SecretBytes& key) {
  static const SecretBytes* label = new SecretBytes(SecretBytes::Copy("onem2m key fingerprint"));
  absl::StatusOr<SecretBytes> mac = HmacSha256(*label, key.Reveal());
  if (!mac.ok()) return "?";
  return absl::AsciiStrToLower(HexUpper(mac->Reveal().substr(0, 8)));
}

}  // namespace onem2m::crypto

#include "mef/credential/envelope_ke_opener.h"

#include "common/crypto/key_derivation.h"

namespace onem2m {
namespace mef {

absl::StatusOr<SecretBytes> EnvelopeKeOpener::OpenKe(const SealedKey& sealed,
                                                     absl::string_view canonical_ke_id) const {
  absl::StatusOr<SecretBytes> ke = envelope_->Open(sealed.ciphertext, canonical_ke_id);
  if (!ke.ok()) return ke.status();
  if (ke->size() != crypto::kDerivedKeyLen) {
    return absl::InternalError("sealed Ke has the wrong length");
  }
  return ke;
}

}  // namespace mef
}  // namespace onem2m

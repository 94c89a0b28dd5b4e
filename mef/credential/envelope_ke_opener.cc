#include "mef/credential/envelope_ke_opener.h"

#include "common/crypto/key_derivation.h"
#include "common/crypto/key_id.h"

namespace onem2m {
namespace mef {

EnvelopeKeOpener::EnvelopeKeOpener(const crypto::Envelope* envelope) : envelope_(envelope) {
  decoy_ke_id_ = crypto::KeyId::Random("decoy.invalid")->ToString();  // a valid FQDN: cannot fail
  absl::StatusOr<std::string> sealed =
      envelope_->Seal(SecretBytes::Random(crypto::kDerivedKeyLen), decoy_ke_id_);
  // Should sealing fail (no usable KEK), OpenDecoyKe fails too: the MEF cannot open any Ke then.
  if (sealed.ok()) {
    decoy_.ciphertext = *std::move(sealed);
    decoy_.kek_version = static_cast<int32_t>(envelope_->active_version());
  }
}

absl::StatusOr<SecretBytes> EnvelopeKeOpener::OpenDecoyKe() const {
  return OpenKe(decoy_, decoy_ke_id_);
}

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

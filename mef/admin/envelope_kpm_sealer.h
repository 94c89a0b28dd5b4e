// File: mef/admin/envelope_kpm_sealer.h
//
// EnvelopeKpmSealer is the production KpmSealer: AES-256-GCM under the MEF's active KEK
// (common/crypto/envelope.h), with the KpmID as associated data. Whoever opens the blob (the MEF's
// PSK lookup) must pass the same KpmID, which is what stops a sealed Kpm from being copied onto
// another Enrolee's row.
//
//   crypto::Envelope envelope(*std::move(keyring));
//   EnvelopeKpmSealer sealer(&envelope);
//   absl::StatusOr<SealedKey> sealed = sealer.Seal(kpm, kpm_id);
//   // later, in the handshake: envelope.Open(row.kpm.ciphertext, /*associated_data=*/row.kpm_id)
#ifndef ONEM2M_MEF_ADMIN_ENVELOPE_KPM_SEALER_H_
#define ONEM2M_MEF_ADMIN_ENVELOPE_KPM_SEALER_H_

#include "common/crypto/envelope.h"
#include "mef/admin/kpm_sealer.h"

namespace onem2m {
namespace mef {

class EnvelopeKpmSealer final : public KpmSealer {
 public:
  // `envelope` is not owned and must outlive the sealer.
  explicit EnvelopeKpmSealer(const crypto::Envelope* envelope) : envelope_(envelope) {}

  // KpmSealer
  absl::StatusOr<SealedKey> Seal(const SecretBytes& kpm, absl::string_view kpm_id) override;

 private:
  const crypto::Envelope* const envelope_;
};

}  // namespace mef
}  // namespace onem2m

#endif  // ONEM2M_MEF_ADMIN_ENVELOPE_KPM_SEALER_H_

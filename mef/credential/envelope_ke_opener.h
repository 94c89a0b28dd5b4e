// File: mef/credential/envelope_ke_opener.h
//
// EnvelopeKeOpener is the production KeOpener: it opens the sealed Ke with the MEF's
// crypto::Envelope (AES-256-GCM under the versioned KEK, docs/protocol.md section 8), with associated
// data = the canonical KeID, exactly as the MEF's bootstrap path seals it (ke_opener.h).
//
//   onem2m::crypto::Envelope envelope(*std::move(keyring));
//   onem2m::mef::EnvelopeKeOpener opener(&envelope);
//   auto service = onem2m::mef::MefCredentialServiceImpl::Create(store, &opener, {});
#ifndef ONEM2M_MEF_CREDENTIAL_ENVELOPE_KE_OPENER_H_
#define ONEM2M_MEF_CREDENTIAL_ENVELOPE_KE_OPENER_H_

#include "common/crypto/envelope.h"
#include "mef/credential/ke_opener.h"

namespace onem2m {
namespace mef {

class EnvelopeKeOpener final : public KeOpener {
 public:
  // `envelope` is not owned and must outlive the opener.
  // The decoy Ke (OpenDecoyKe) is sealed here, under the envelope's active KEK.
  explicit EnvelopeKeOpener(const crypto::Envelope* envelope);

  // KeOpener. The blob names its own KEK version, so SealedKey::kek_version (kept by the store
  // for re-sealing after rotation) is not needed here. A Ke that opens to other than 32 bytes is
  // kInternal.
  absl::StatusOr<SecretBytes> OpenKe(const SealedKey& sealed,
                                     absl::string_view canonical_ke_id) const override;
  absl::StatusOr<SecretBytes> OpenDecoyKe() const override;

 private:
  const crypto::Envelope* const envelope_;
  // A random Ke sealed like a stored one, with associated data decoy_ke_id_ (a KeID of the
  // reserved "decoy.invalid", which no enrolment can have).
  std::string decoy_ke_id_;
  SealedKey decoy_;
};

}  // namespace mef
}  // namespace onem2m

#endif  // ONEM2M_MEF_CREDENTIAL_ENVELOPE_KE_OPENER_H_

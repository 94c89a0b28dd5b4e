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
  explicit EnvelopeKeOpener(const crypto::Envelope* envelope) : envelope_(envelope) {}

  // KeOpener. The blob names its own KEK version, so SealedKey::kek_version (kept by the store
  // for re-sealing after rotation) is not needed here. A Ke that opens to other than 32 bytes is
  // kInternal.
  absl::StatusOr<SecretBytes> OpenKe(const SealedKey& sealed,
                                     absl::string_view canonical_ke_id) const override;

 private:
  const crypto::Envelope* const envelope_;
};

}  // namespace mef
}  // namespace onem2m

#endif  // ONEM2M_MEF_CREDENTIAL_ENVELOPE_KE_OPENER_H_

// File: mef/admin/kpm_sealer.h
//
// KpmSealer turns a clear Kpm into the SealedKey the EnroleeStore keeps (envelope encryption under
// the MEF's current KEK, docs/protocol.md section 8). The admin service depends on this one-method
// interface rather than on the keyring directly, so it can be built and tested while the envelope
// library evolves, and so a test can check that no clear Kpm ever reaches the store.
//
//   std::unique_ptr<KpmSealer> sealer = ...;            // e.g. an adapter over common/crypto
//   absl::StatusOr<mef::SealedKey> sealed = sealer->Seal(kpm, "device-0001");
//   if (!sealed.ok()) return sealed.status();
//   enrolee.kpm = *std::move(sealed);
#ifndef ONEM2M_MEF_ADMIN_KPM_SEALER_H_
#define ONEM2M_MEF_ADMIN_KPM_SEALER_H_

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "common/secret_bytes.h"
#include "mef/store/enrolee_store.h"

namespace onem2m {
namespace mef {

// KpmSealer: see the file comment. Implementations must be safe for concurrent use (the admin
// service seals from many RPC threads) and must not put key bytes into error messages.
class KpmSealer {
 public:
  virtual ~KpmSealer() = default;

  // Seal encrypts `kpm` for storage. `kpm_id` names the Enrolee; implementations should bind it
  // as associated data so a sealed Kpm cannot be moved to another row. Returns the ciphertext and
  // the KEK version, or a non-OK status (kInternal / kFailedPrecondition when no KEK is loaded).
  virtual absl::StatusOr<SealedKey> Seal(const SecretBytes& kpm, absl::string_view kpm_id) = 0;
};

}  // namespace mef
}  // namespace onem2m

#endif  // ONEM2M_MEF_ADMIN_KPM_SEALER_H_

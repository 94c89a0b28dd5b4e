// File: mef/credential/ke_opener.h
//
// KeOpener unseals a stored Ke (docs/protocol.md section 8: Ke is kept encrypted under a versioned KEK)
// for the credential fetch. It is an interface so the fetch does not depend on how the MEF holds its
// KEKs (file, Kubernetes Secret), and so tests can run before or without the real envelope.
//
// AAD binding [coordination rule with the MEF server]: the bootstrap path seals Ke with associated
// data = the canonical KeID string (upper-case hex '@' MEF-FQDN, as stored in Enrolment::ke_id).
// OpenKe must open with exactly that associated data, so a sealed Ke copied onto another
// enrolment row fails to open (INTERNAL) instead of handing out the wrong key.
//
//   const KeOpener& opener = ...;
//   absl::StatusOr<SecretBytes> ke = opener.OpenKe(view.enrolment.ke,
//                                                 view.enrolment.ke_id.ToString());
//   if (!ke.ok()) return ke.status();
#ifndef ONEM2M_MEF_CREDENTIAL_KE_OPENER_H_
#define ONEM2M_MEF_CREDENTIAL_KE_OPENER_H_

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "common/secret_bytes.h"
#include "mef/store/enrolee_store.h"

namespace onem2m {
namespace mef {

// KeOpener: see the file comment. Implementations must be thread-safe (the fetch calls OpenKe from
// many gRPC threads at once).
class KeOpener {
 public:
  virtual ~KeOpener() = default;

  // OpenKe returns the 32-byte Ke sealed in `sealed`, authenticated with associated data
  // `canonical_ke_id`. Errors: kNotFound if the KEK version is unknown, kInternal (or
  // kInvalidArgument) if the ciphertext does not open; messages never contain key bytes.
  virtual absl::StatusOr<SecretBytes> OpenKe(const SealedKey& sealed,
                                             absl::string_view canonical_ke_id) const = 0;

  // OpenDecoyKe does what OpenKe does for a stored Ke, on a decoy sealed when the opener was
  // made, and returns the decoy's (random, never handed out) Ke. A fetch for a KeID that has no
  // usable enrolment calls it so its NOT_FOUND takes as long as a found KeID's answer
  // (docs/protocol.md 7, "Identity privacy").
  virtual absl::StatusOr<SecretBytes> OpenDecoyKe() const = 0;
};

}  // namespace mef
}  // namespace onem2m

#endif  // ONEM2M_MEF_CREDENTIAL_KE_OPENER_H_

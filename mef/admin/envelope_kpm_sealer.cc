#include "mef/admin/envelope_kpm_sealer.h"

#include <cstdint>
#include <limits>
#include <string>

namespace onem2m {
namespace mef {

absl::StatusOr<SealedKey> EnvelopeKpmSealer::Seal(const SecretBytes& kpm,
                                                  absl::string_view kpm_id) {
  const uint32_t version = envelope_->active_version();
  // The store keeps the version as int32 (a PostgreSQL integer); refuse rather than wrap.
  if (version > static_cast<uint32_t>(std::numeric_limits<int32_t>::max())) {
    return absl::FailedPreconditionError("active KEK version does not fit the store's int32");
  }
  absl::StatusOr<std::string> blob = envelope_->Seal(kpm, kpm_id);
  if (!blob.ok()) return blob.status();
  SealedKey out;
  out.ciphertext = *std::move(blob);
  out.kek_version = static_cast<int32_t>(version);
  return out;
}

}  // namespace mef
}  // namespace onem2m

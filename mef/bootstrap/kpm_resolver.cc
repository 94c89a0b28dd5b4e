#include "mef/bootstrap/kpm_resolver.h"

#include <string>
#include <utility>

namespace onem2m::mef {
namespace {
thread_local std::optional<Enrolee> t_last_enrolee;
}  // namespace

KpmResolver::KpmResolver(EnroleeStore* store, const crypto::Envelope* envelope,
                         std::function<absl::Time()> now, absl::Duration breaker)
    : store_(store), envelope_(envelope), now_(std::move(now)), breaker_(breaker) {}

absl::Status KpmResolver::Usable(const Enrolee& enrolee, absl::Time now) {
  if (enrolee.state != EnroleeState::kActive) {
    return absl::NotFoundError("enrolee not active");
  }
  if (enrolee.not_after.has_value() && *enrolee.not_after <= now) {
    return absl::NotFoundError("enrolee expired");
  }
  return absl::OkStatus();
}

absl::StatusOr<SecretBytes> KpmResolver::Resolve(absl::string_view identity) {
  t_last_enrolee.reset();
  absl::Time now = now_();
  if (absl::ToUnixNanos(now) < store_down_until_ns_.load(std::memory_order_relaxed)) {
    return absl::UnavailableError("enrolee store unavailable (recent failure)");
  }
  absl::StatusOr<Enrolee> enrolee = store_->GetEnrolee(identity);
  if (!enrolee.ok()) {
    if (enrolee.status().code() == absl::StatusCode::kUnavailable) {
      store_down_until_ns_.store(absl::ToUnixNanos(now + breaker_), std::memory_order_relaxed);
    }
    return enrolee.status();
  }
  absl::Status usable = Usable(*enrolee, now);
  if (!usable.ok()) return usable;
  absl::StatusOr<SecretBytes> kpm = envelope_->Open(enrolee->kpm.ciphertext, enrolee->kpm_id);
  if (!kpm.ok()) return absl::InternalError("stored Kpm cannot be unsealed");
  t_last_enrolee = std::move(*enrolee);
  return kpm;
}

std::optional<Enrolee> KpmResolver::LastEnrolee(absl::string_view kpm_id) {
  if (t_last_enrolee.has_value() && t_last_enrolee->kpm_id == kpm_id) return t_last_enrolee;
  return std::nullopt;
}

}  // namespace onem2m::mef

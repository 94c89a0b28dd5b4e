#include "mef/bootstrap/kpm_resolver.h"

#include <string>
#include <utility>

#include "common/handoff_table.h"

namespace onem2m::mef {
namespace {

thread_local std::optional<Enrolee> t_last_enrolee;

// Rows found by asynchronous lookups, until the enrolment exchange takes them.
HandoffTable<Enrolee>& RecentEnrolees() {
  static HandoffTable<Enrolee>* table = new HandoffTable<Enrolee>(8192);
  return *table;
}

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

bool KpmResolver::BreakerOpen(absl::Time now) const {
  return absl::ToUnixNanos(now) < store_down_until_ns_.load(std::memory_order_relaxed);
}

absl::StatusOr<SecretBytes> KpmResolver::Finish(absl::StatusOr<Enrolee> enrolee, absl::Time now,
                                                bool on_this_thread) {
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
  if (on_this_thread) {
    t_last_enrolee = *std::move(enrolee);
  } else {
    const std::string kpm_id = enrolee->kpm_id;
    RecentEnrolees().Put(kpm_id, *std::move(enrolee));
  }
  return kpm;
}

absl::StatusOr<SecretBytes> KpmResolver::Resolve(absl::string_view identity) {
  t_last_enrolee.reset();
  absl::Time now = now_();
  if (BreakerOpen(now)) return absl::UnavailableError("enrolee store unavailable (recent failure)");
  return Finish(store_->GetEnrolee(identity), now, /*on_this_thread=*/true);
}

void KpmResolver::ResolveAsync(absl::string_view identity, ResolveDone done) {
  t_last_enrolee.reset();
  if (BreakerOpen(now_())) {
    done(absl::UnavailableError("enrolee store unavailable (recent failure)"));
    return;
  }
  std::shared_ptr<KpmResolver> keep = weak_from_this().lock();
  store_->GetEnroleeAsync(identity, [this, keep, done = std::move(done)](
                                        absl::StatusOr<Enrolee> enrolee) {
    done(Finish(std::move(enrolee), now_(), /*on_this_thread=*/false));
  });
}

std::optional<Enrolee> KpmResolver::LastEnrolee(absl::string_view kpm_id) {
  if (t_last_enrolee.has_value() && t_last_enrolee->kpm_id == kpm_id) return t_last_enrolee;
  return RecentEnrolees().Take(kpm_id);
}

}  // namespace onem2m::mef

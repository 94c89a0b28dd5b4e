#include "mef/bootstrap/kpm_resolver.h"

#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
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
    : store_(store),
      envelope_(envelope),
      now_(std::move(now)),
      breaker_(breaker),
      decoy_(MakeDecoy(envelope)) {}

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

KpmResolver::Decoy KpmResolver::MakeDecoy(const crypto::Envelope* envelope) {
  Decoy d;
  // A KpmID of a typical length that the admin API cannot create (control characters are not
  // valid in a KpmID), sealed like any stored Kpm under the active KEK.
  d.row.kpm_id = std::string("\x01" "decoy-kpm-id-0000");
  d.row.enrolee_id = "C-decoy";
  d.row.maf_id = "decoy.invalid";
  d.row.state = EnroleeState::kDisabled;  // never usable, should it ever be handed off
  absl::StatusOr<std::string> sealed = envelope->Seal(SecretBytes::Random(32), d.row.kpm_id);
  if (sealed.ok()) d.row.kpm.ciphertext = *std::move(sealed);
  return d;
}

absl::StatusOr<SecretBytes> KpmResolver::Finish(absl::string_view identity,
                                                absl::StatusOr<Enrolee> enrolee, absl::Time now,
                                                bool on_this_thread) {
  if (!enrolee.ok() && !absl::IsNotFound(enrolee.status())) {
    // The lookup failed, whatever the identity (docs/protocol.md 2: an outage is not an answer
    // about the identity). Every store error is reported as kUnavailable, so the handshake is
    // aborted with internal_error and the device retries; kNotFound alone means "no such KpmID".
    if (enrolee.status().code() == absl::StatusCode::kUnavailable) {
      store_down_until_ns_.store(absl::ToUnixNanos(now + breaker_), std::memory_order_relaxed);
    }
    return absl::UnavailableError(
        absl::StrCat("enrolee store lookup failed (", absl::StatusCodeToString(enrolee.status().code()),
                     ")"));
  }
  // From here on a known and an unknown identity take the same steps (docs/protocol.md 2: the
  // same time): check a row, unseal a sealed Kpm with AES-256-GCM, hand a row off. An unknown or
  // unusable identity gets the decoy row's sealed dummy Kpm, so the peer cannot tell by timing.
  absl::Status usable = enrolee.ok() ? Usable(*enrolee, now) : enrolee.status();
  const Enrolee& row = usable.ok() ? *enrolee : decoy_.row;
  absl::StatusOr<SecretBytes> kpm = envelope_->Open(row.kpm.ciphertext, row.kpm_id);
  // A row is handed off under the presented identity either way, for the same cost; one that
  // cannot be used (the decoy, a row that did not unseal) is marked disabled so LastEnrolee never
  // returns it (no handshake completes with the dummy key anyway).
  Enrolee handed = row;
  if (!usable.ok() || !kpm.ok()) {
    handed.kpm_id = std::string(identity);
    handed.state = EnroleeState::kDisabled;
  }
  if (on_this_thread) {
    t_last_enrolee = std::move(handed);
  } else {
    RecentEnrolees().Put(std::string(identity), std::move(handed));
  }
  if (!usable.ok()) return absl::NotFoundError(usable.message());
  // A row that does not unseal is unusable (corrupt, or sealed under a KEK this replica lacks):
  // about this identity, so it fails like a wrong key, never with internal_error.
  if (!kpm.ok()) return absl::NotFoundError("stored Kpm cannot be unsealed");
  return kpm;
}

absl::StatusOr<SecretBytes> KpmResolver::Resolve(absl::string_view identity) {
  t_last_enrolee.reset();
  absl::Time now = now_();
  if (BreakerOpen(now)) return absl::UnavailableError("enrolee store unavailable (recent failure)");
  return Finish(identity, store_->GetEnrolee(identity), now, /*on_this_thread=*/true);
}

void KpmResolver::ResolveAsync(absl::string_view identity, ResolveDone done) {
  t_last_enrolee.reset();
  if (BreakerOpen(now_())) {
    done(absl::UnavailableError("enrolee store unavailable (recent failure)"));
    return;
  }
  std::shared_ptr<KpmResolver> keep = weak_from_this().lock();
  store_->GetEnroleeAsync(identity, [this, keep, id = std::string(identity),
                                     done = std::move(done)](absl::StatusOr<Enrolee> enrolee) {
    done(Finish(id, std::move(enrolee), now_(), /*on_this_thread=*/false));
  });
}

std::optional<Enrolee> KpmResolver::LastEnrolee(absl::string_view kpm_id) {
  std::optional<Enrolee> row;
  if (t_last_enrolee.has_value() && t_last_enrolee->kpm_id == kpm_id) {
    row = t_last_enrolee;
  } else {
    row = RecentEnrolees().Take(kpm_id);
  }
  // Only usable rows were looked up for a handshake that can succeed; the decoy (disabled) never is.
  if (row.has_value() && row->state != EnroleeState::kActive) return std::nullopt;
  return row;
}

}  // namespace onem2m::mef

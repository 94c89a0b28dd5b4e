#include "mef/bootstrap/kpm_resolver.h"

#include <string>
#include <utility>

#include "absl/strings/str_cat.h"

namespace onem2m::mef {

KpmResolver::KpmResolver(EnroleeStore* store, const crypto::Envelope* envelope, const Clock* clock,
                         absl::Duration breaker)
    : store_(store),
      envelope_(envelope),
      clock_(clock),
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
  d.row.kpm_id = std::string(
      "\x01"
      "decoy-kpm-id-0000");
  d.row.enrolee_id = "C-decoy";
  d.row.maf_id = "decoy.invalid";
  d.row.state = EnroleeState::kDisabled;  // never usable, should it ever reach a session
  absl::StatusOr<std::string> sealed = envelope->Seal(SecretBytes::Random(32), d.row.kpm_id);
  if (sealed.ok()) d.row.kpm.ciphertext = *std::move(sealed);
  return d;
}

absl::StatusOr<tls::ResolvedPsk> KpmResolver::Finish(absl::string_view identity,
                                                     absl::StatusOr<Enrolee> enrolee,
                                                     absl::Time now) {
  if (!enrolee.ok() && !absl::IsNotFound(enrolee.status())) {
    // The lookup failed, whatever the identity (docs/protocol.md 2: an outage is not an answer
    // about the identity). Every store error is reported as kUnavailable, so the handshake is
    // aborted with internal_error and the device retries; kNotFound alone means "no such KpmID".
    if (enrolee.status().code() == absl::StatusCode::kUnavailable) {
      store_down_until_ns_.store(absl::ToUnixNanos(now + breaker_), std::memory_order_relaxed);
    }
    return absl::UnavailableError(absl::StrCat(
        "enrolee store lookup failed (", absl::StatusCodeToString(enrolee.status().code()), ")"));
  }
  // From here on a known and an unknown identity take the same steps (docs/protocol.md 2: the
  // same time): check a row, unseal a sealed Kpm with AES-256-GCM, copy a row into a context. An
  // unknown or unusable identity gets the decoy row's sealed dummy Kpm, so the peer cannot tell by
  // timing.
  absl::Status usable = enrolee.ok() ? Usable(*enrolee, now) : enrolee.status();
  const Enrolee& row = usable.ok() ? *enrolee : decoy_.row;
  absl::StatusOr<SecretBytes> kpm = envelope_->Open(row.kpm.ciphertext, row.kpm_id);
  // A row is copied into a context either way, for the same cost; one that cannot be used (the
  // decoy, a row that did not unseal) is marked disabled and dropped with the error below.
  Enrolee handed = row;
  if (!usable.ok() || !kpm.ok()) {
    handed.kpm_id = std::string(identity);
    handed.state = EnroleeState::kDisabled;
  }
  auto context = std::make_shared<const KpmContext>(std::move(handed));
  if (!usable.ok()) return absl::NotFoundError(usable.message());
  // A row that does not unseal is unusable (corrupt, or sealed under a KEK this replica lacks):
  // about this identity, so it fails like a wrong key, never with internal_error.
  if (!kpm.ok()) return absl::NotFoundError("stored Kpm cannot be unsealed");
  return tls::ResolvedPsk(*std::move(kpm), std::move(context));
}

absl::StatusOr<tls::ResolvedPsk> KpmResolver::Resolve(absl::string_view identity) {
  absl::Time now = clock_->Now();
  if (BreakerOpen(now)) return absl::UnavailableError("enrolee store unavailable (recent failure)");
  return Finish(identity, store_->GetEnrolee(identity), now);
}

void KpmResolver::ResolveAsync(absl::string_view identity, ResolveDone done) {
  if (BreakerOpen(clock_->Now())) {
    done(absl::UnavailableError("enrolee store unavailable (recent failure)"));
    return;
  }
  std::shared_ptr<KpmResolver> keep = weak_from_this().lock();
  store_->GetEnroleeAsync(identity, [this, keep, id = std::string(identity),
                                     done = std::move(done)](absl::StatusOr<Enrolee> enrolee) {
    done(Finish(id, std::move(enrolee), clock_->Now()));
  });
}

}  // namespace onem2m::mef

// File: mef/bootstrap/kpm_resolver.h
//
// KpmResolver is the MEF's PSK lookup (docs/protocol.md 2): KpmID -> Kpm for an active, unexpired
// enrolee, unsealed from the store with the KEK. Two kinds of error:
//   - kNotFound, "this identity is unusable" (unknown, disabled, revoked, expired, undecryptable):
//     the TLS layer continues with the dummy key so the handshake fails exactly like a wrong Kpm.
//     To make it fail in the same TIME as well, an unusable identity does the same work as a
//     usable one: the same store read, then the AES-256-GCM unseal of a decoy sealed record (a
//     random Kpm sealed at start-up under the active KEK) and the same copy of a row into a
//     context (dropped with the error);
//   - kUnavailable, "the lookup failed" (store down, timeout, overload; any store error other
//     than kNotFound): the TLS layer aborts with internal_error, which every identity gets alike,
//     and the device retries (tls::IsPskLookupFailure).
//
// A store that is down makes every lookup fail fast for a short while (a circuit breaker), so a
// dead database costs each handshake microseconds instead of a connect timeout on an I/O thread.
//
// The enrolee row read for the lookup travels with Kpm as the answer's context (KpmContext), into
// the session's own state; the enrolment exchange that follows reads it from there
// (PskSession::psk_context<KpmContext>) and needs no second read.
//
// ResolveAsync (what the MEF's bootstrap listeners use) reads through
// EnroleeStore::GetEnroleeAsync, so a PostgreSQL store batches the lookups of many paused
// handshakes into one read and no I/O thread ever waits on the database.
//
//   KpmResolver resolver(store, envelope);
//   absl::StatusOr<tls::ResolvedPsk> kpm = resolver.Resolve("device-0001");
//   // kpm->key is Kpm; kpm->context a KpmContext with the enrolee row.
#ifndef ONEM2M_MEF_BOOTSTRAP_KPM_RESOLVER_H_
#define ONEM2M_MEF_BOOTSTRAP_KPM_RESOLVER_H_

#include <atomic>
#include <memory>

#include "absl/time/time.h"
#include "common/crypto/envelope.h"
#include "common/time/clock.h"
#include "common/tls/psk_resolver.h"
#include "mef/store/enrolee_store.h"

namespace onem2m::mef {

// KpmContext is what a found Kpm brings to its session: the enrolee row it was read from (Kpm
// still sealed in it), active and unexpired when the lookup ran.
struct KpmContext final : tls::PskKeyContext {
  explicit KpmContext(Enrolee row) : enrolee(std::move(row)) {}
  const Enrolee enrolee;
};

class KpmResolver : public tls::PskResolver, public std::enable_shared_from_this<KpmResolver> {
 public:
  // `store`, `envelope` and `clock` must outlive the resolver.
  KpmResolver(EnroleeStore* store, const crypto::Envelope* envelope,
              const Clock* clock = Clock::Real(), absl::Duration breaker = absl::Milliseconds(500));

  absl::StatusOr<tls::ResolvedPsk> Resolve(absl::string_view identity) override;
  bool SupportsAsync() const override { return true; }
  // ResolveAsync: when the resolver is owned by a shared_ptr, a late answer keeps it alive;
  // otherwise the caller keeps it alive until every answer has arrived.
  void ResolveAsync(absl::string_view identity, ResolveDone done) override;

  // Usable checks state and expiry: what makes an enrolee eligible to bootstrap now.
  static absl::Status Usable(const Enrolee& enrolee, absl::Time now);

 private:
  // Finish turns the store's answer into Kpm (usable? unseal) with the row as its context.
  absl::StatusOr<tls::ResolvedPsk> Finish(absl::string_view identity,
                                          absl::StatusOr<Enrolee> enrolee, absl::Time now);
  // Decoy is the row whose sealed Kpm an unusable identity unseals instead of its own.
  struct Decoy {
    Enrolee row;
  };
  static Decoy MakeDecoy(const crypto::Envelope* envelope);
  bool BreakerOpen(absl::Time now) const;

  EnroleeStore* store_;
  const crypto::Envelope* envelope_;
  const Clock* const clock_;
  const absl::Duration breaker_;
  std::atomic<int64_t> store_down_until_ns_{0};
  const Decoy decoy_;
};

}  // namespace onem2m::mef

#endif  // ONEM2M_MEF_BOOTSTRAP_KPM_RESOLVER_H_

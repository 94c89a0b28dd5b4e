// MafPskResolver adapts KmResolver to the TLS/DTLS PSK callback (docs/protocol.md 7): psk_identity
// is a KeID (first contact: Km fetched from the MEF, single flight, deadline) or a KmID (stored
// Km). Errors pass through from KmResolver: kUnavailable / kDeadlineExceeded (MEF unreachable or
// slow, breaker open, too many fetches, store down) are lookup failures (tls::IsPskLookupFailure:
// the handshake is aborted with internal_error and the device retries, docs/protocol.md 2); the
// others (unknown, revoked, expired, not a KeID/KmID) are about the identity and fail like a wrong
// key, in the same time as a known identity (KmResolver does the known path's work on a decoy;
// docs/protocol.md 7, "Identity privacy").
// Lookups are asynchronous (ResolveAsync): a handshake waiting on a MEF fetch or a store read is
// paused, not holding a thread, and a cached KmID is answered at once.
// The resolved credential's metadata (KmID, Enrolee-ID, expiry; never Km) travels with Km as the
// answer's context (ResolvedIdentity) into the session's own state, where MafSessionFactory reads
// it right after the handshake (PskSession::psk_context<ResolvedIdentity>): no second lookup.
#ifndef ONEM2M_MAF_SERVER_MAF_PSK_RESOLVER_H_
#define ONEM2M_MAF_SERVER_MAF_PSK_RESOLVER_H_

#include <memory>
#include <string>

#include "absl/time/time.h"
#include "common/tls/psk_resolver.h"
#include "maf/km_resolver/km_resolver.h"

namespace onem2m::maf {

// ResolvedIdentity is what a found Km brings to its session.
struct ResolvedIdentity final : tls::PskKeyContext {
  std::string identity;  // as presented
  crypto::KeyId km_id;
  crypto::KeyId ke_id;
  std::string enrolee_id;
  std::string mef_fqdn;
  absl::Time expires_at = absl::InfinitePast();
};

class MafPskResolver : public tls::PskResolver {
 public:
  MafPskResolver(std::shared_ptr<KmResolver> resolver, absl::Duration fetch_timeout)
      : resolver_(std::move(resolver)), fetch_timeout_(fetch_timeout) {}

  absl::StatusOr<tls::ResolvedPsk> Resolve(absl::string_view identity) override;
  bool SupportsAsync() const override { return true; }
  void ResolveAsync(absl::string_view identity, ResolveDone done) override;

 private:
  std::shared_ptr<KmResolver> resolver_;
  const absl::Duration fetch_timeout_;
};

}  // namespace onem2m::maf

#endif  // ONEM2M_MAF_SERVER_MAF_PSK_RESOLVER_H_

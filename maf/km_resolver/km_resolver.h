// File: maf/km_resolver/km_resolver.h
//
// KmResolver turns the PSK identity a device presents to the MAF into Km (docs/protocol.md 7):
//   - a KmID of this MAF's FQDN: the stored credential (unsealed; revoked or expired: refused);
//   - a KeID: the MEF named by the FQDN after '@' is asked for Km (section 6), KmID is derived
//     (DeriveKmId), the credential is stored sealed (AAD = KmID) and Km returned. A KeID stored
//     before is asked of the MEF again (unless cached); the store's row, revoked or not, answers
//     for it once the MEF has.
// It is called from the handshake's PSK callback, which OpenSSL runs synchronously, so it is built
// not to let one slow MEF stall other handshakes:
//   - single flight per KeID (and per KmID for the store read): concurrent resolves of one
//     identity share one lookup, which runs on a flight thread; every caller waits only until its
//     own deadline;
//   - the MEF fetch is asynchronous (MefFetcher::FetchAsync): while the fetcher waits for the MEF
//     or between its retries (MefCredentialClient's backoff runs on a timer) no flight thread is
//     held, so a slow MEF does not starve KmID store reads or other KeIDs of flight threads;
//   - a circuit breaker per MEF: after UNAVAILABLE (or DEADLINE_EXCEEDED) from a MEF, KeIDs of that
//     MEF fail fast with UNAVAILABLE for `breaker_open_for`;
//   - at most `max_flights` fetches at once; beyond that new KeIDs fail fast with UNAVAILABLE;
//   - negative caching: a KeID the MEF answered NOT_FOUND, or a KmID the store does not hold, is
//     refused without asking again for `negative_ttl` (by default as long as a known identity is
//     cached, so a repeated identity is answered from memory whether known or not);
//   - a bounded cache of resolved Km by KmID and KeID (LRU, wiped on eviction), each entry living
//     at most `cache_ttl` and never past the Ke's expiry.
// Revocation: OnRevokedKeId / OnRevokedEnrolee (from the MEF's WatchRevocations stream, or the
// admin service) drop cached Km and revoke the credentials, clients and keys in the store;
// OnMefResync drops every Km cached from one MEF. A revocation that races with an in-flight fetch
// still wins (revoked identities are remembered for `tombstone_ttl` and checked after the fetch).
// No timing oracle (docs/protocol.md 7, "Identity privacy"): an identity that resolves to nothing
// does the work of one that resolves: an unknown KmID unseals a decoy sealed Km (sealed with the
// envelope at Create); a KeID the MEF does not know derives a KmID from a decoy Km, seals it and
// makes the store's decoy write (MafStore::WriteDecoyCredential) where a known KeID derives, seals
// and stores its credential.
//
//   KmResolverOptions o;
//   o.maf_fqdn = "maf.example.com";
//   o.store = store.get(); o.envelope = &envelope;
//   o.fetchers["mef.example.com"] =
//       std::make_shared<MefCredentialClient>(channel, "maf.example.com");
//   absl::StatusOr<std::shared_ptr<KmResolver>> r = KmResolver::Create(std::move(o));
//   absl::StatusOr<ResolvedKm> km = (*r)->Resolve(psk_identity, absl::Now() + absl::Seconds(2));
//   if (!km.ok()) { /* fail the handshake like a wrong key */ }
//
// Error codes of Resolve: kInvalidArgument (not a KeID/KmID), kNotFound (unknown, expired, MEF
// said NOT_FOUND, no MEF configured for the FQDN), kPermissionDenied (revoked here, or the MEF
// refused us), kUnavailable (MEF or store down, breaker open), kDeadlineExceeded, kInternal
// (unseal failure, malformed MEF answer). Messages name identifiers, never key bytes. The handshake
// must treat them all alike towards the peer.
//
// Identifiers: the PSK identity is parsed into a crypto::KeyId once, in Resolve (either hex case,
// docs/protocol.md 3); flights, caches and tombstones are keyed by KeyId and the fetcher, the
// store and ResolvedKm get it or its canonical text, so one KeID has one key everywhere.
//
// Thread safety: all methods may be called concurrently. The resolver itself lives (through
// shared_ptr) until its last in-flight fetch ends; the store, envelope and fetchers must outlive
// that too (WaitIdle at shutdown).
#ifndef ONEM2M_MAF_KM_RESOLVER_KM_RESOLVER_H_
#define ONEM2M_MAF_KM_RESOLVER_KM_RESOLVER_H_

#include <algorithm>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <tuple>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "common/crypto/envelope.h"
#include "common/crypto/key_id.h"
#include "common/psk_server/worker_pool.h"
#include "maf/km_resolver/km_cache.h"
#include "maf/km_resolver/mef_fetcher.h"
#include "maf/store/maf_store.h"

namespace onem2m {
namespace maf {

struct KmResolverOptions {
  std::string maf_fqdn;                                         // this MAF's FQDN (MAF-ID)
  std::map<std::string, std::shared_ptr<MefFetcher>> fetchers;  // MEF-FQDN -> fetcher
  MafStore* store = nullptr;                                    // not owned
  const crypto::Envelope* envelope = nullptr;                   // not owned
  const Clock* clock = Clock::Real();                           // not owned
  absl::Duration default_timeout = absl::Seconds(2);            // Resolve(identity) deadline
  absl::Duration breaker_open_for = absl::Milliseconds(500);
  // negative_ttl: how long an unknown KeID or KmID is refused from memory. Equal to cache_ttl by
  // default, so known and unknown identities leave their caches at the same pace (a shorter one
  // would let a prober tell them apart by which one is answered from memory).
  absl::Duration negative_ttl = absl::Seconds(30);
  absl::Duration cache_ttl = absl::Seconds(30);  // bounds staleness after a revocation elsewhere
  absl::Duration tombstone_ttl = absl::Minutes(5);
  size_t cache_capacity = 100000;
  size_t negative_capacity = 100000;
  // max_flights bounds the KeIDs being fetched or queued at once (each flight is one MEF
  // call): a flood of handshakes with made-up KeIDs gets UNAVAILABLE instead of a queue slot each.
  size_t max_flights = 256;
  // flight_threads run the flights: long-lived threads, so a first contact costs no thread
  // creation. Flights beyond them queue (still within max_flights); their callers wait until their
  // own deadline as before.
  int flight_threads = 32;
  // trust_cache tells whether Km cached from a MEF may be served without reading the store. The
  // MAF answers false while its revocation watch on that MEF is down: a revocation it cannot hear
  // may still reach the shared store through another replica, so every KmID handshake then reads
  // the stored state. Empty: always trust. Called without the resolver's lock held.
  std::function<bool(const std::string& mef_fqdn)> trust_cache;
  // on_revocation_write_failed is told of every failed store write of a revocation that raced a
  // fetch (the write is retried at the start of the next flight); the MAF counts it in its
  // metrics. Called without the resolver's lock held.
  std::function<void(const absl::Status&)> on_revocation_write_failed;
};

// KmResolverStats are counters for tests and metrics.
struct KmResolverStats {
  int64_t fetches = 0;  // calls to a MefFetcher
  int64_t cache_hits = 0;
  int64_t breaker_rejects = 0;
  int64_t negative_hits = 0;
  int64_t flight_limit_rejects = 0;
  int64_t revocation_write_failures = 0;  // store writes of a revocation that failed (retried)
};

class KmResolver : public std::enable_shared_from_this<KmResolver> {
 public:
  // Create validates the options (FQDNs, store, envelope). kInvalidArgument otherwise.
  static absl::StatusOr<std::shared_ptr<KmResolver>> Create(KmResolverOptions options);

  // Resolve returns Km for a PSK identity (see the file comment), waiting at most until `deadline`.
  absl::StatusOr<ResolvedKm> Resolve(absl::string_view identity, absl::Time deadline);
  // Resolve with deadline = now + default_timeout.
  absl::StatusOr<ResolvedKm> Resolve(absl::string_view identity);

  // ResolveAsync answers like Resolve through `done`, exactly once: at once (on this thread) from
  // the cache, the negative cache or a refusal, otherwise on a flight thread when the flight it
  // joins ends (the MEF fetch keeps its deadline). Never blocks.
  using Done = std::function<void(absl::StatusOr<ResolvedKm>)>;
  void ResolveAsync(absl::string_view identity, absl::Time deadline, Done done);

  // OnRevokedKeId / OnRevokedEnrolee drop cached Km and revoke in the store (idempotent; safe to
  // replay). They return the store's status; the cache is dropped even if the store fails.
  absl::Status OnRevokedKeId(const crypto::KeyId& ke_id, const Revocation& why);
  absl::Status OnRevokedEnrolee(absl::string_view enrolee_id, const Revocation& why);
  // ForgetKmId drops one cached Km (after an admin revocation on this replica), and tombstones its
  // KeID if it was cached, so a first contact with it is refused without asking the MEF.
  void ForgetKmId(const crypto::KeyId& km_id);
  // OnMefResync drops every Km cached from `mef_fqdn` (the watcher restarted without a cursor).
  void OnMefResync(absl::string_view mef_fqdn);

  // WaitIdle waits until no fetch is in flight (or `deadline` passes) and reports whether it is
  // idle. Call it at shutdown before destroying the store, envelope or fetchers: a flight whose
  // callers all gave up keeps running until its fetch returns.
  bool WaitIdle(absl::Time deadline);

  KmResolverStats stats() const;

 private:
  struct Flight;
  // Decoy is what an identity that resolves to nothing works on instead (see the file comment):
  // a random Km, the KmID derived from it and that Km sealed under it with the envelope.
  struct Decoy {
    SecretBytes km;
    MafCredential credential;  // km_id and the sealed Km as a stored row holds them
  };
  KmResolver(KmResolverOptions options, Decoy decoy)
      : o_(std::move(options)),
        decoy_(std::move(decoy)),
        flight_pool_(std::max(1, o_.flight_threads)) {}

 public:
  // ~KmResolver waits for the flights still running (a fetch whose callers all gave up answers by
  // its deadline), since their fetch answers come back to this object.
  ~KmResolver();

 private:
  // Work is a flight's lookup: it answers through `finish`, exactly once, from any thread.
  using Work = std::function<void(Done finish)>;

  // FlightKey names one flight: a KeID (store, then the MEF) or a KmID (store).
  struct FlightKey {
    enum class Kind { kKeId, kKmId };
    Kind kind;
    crypto::KeyId id;
    bool operator<(const FlightKey& o) const { return std::tie(kind, id) < std::tie(o.kind, o.id); }
  };

  absl::Time Now() const { return o_.clock->Now(); }
  bool CacheTrusted(const std::string& mef_fqdn) const;
  // StartFlight returns the flight for `key`, starting `work` on a flight thread if there is none
  // (null and *rejected set when max_flights are already running).
  std::shared_ptr<Flight> StartFlight(const FlightKey& key, Work work, absl::Status* rejected);
  // FinishFlight records a flight's result and answers its waiting callers.
  void FinishFlight(const FlightKey& key, const std::shared_ptr<Flight>& flight,
                    absl::StatusOr<ResolvedKm> r) ABSL_LOCKS_EXCLUDED(mu_);
  // JoinFlight runs `work` once per `key` among concurrent callers, on a flight thread, and waits
  // for its result until `deadline`.
  absl::StatusOr<ResolvedKm> JoinFlight(const FlightKey& key, absl::Time deadline, Work work);
  // JoinFlightAsync is JoinFlight answering through `done` instead of waiting.
  void JoinFlightAsync(const FlightKey& key, Work work, Done done);
  // Shortcut answers without a flight when it can (cache, negative cache, unknown MEF); nullopt
  // when a flight is needed. `key` and `work` describe that flight.
  struct Plan {
    std::optional<absl::StatusOr<ResolvedKm>> answer;
    // spare: for a cached answer, the other answer it could have been (Km or refusal), kept so
    // it is destroyed after the caller has the answer, whichever it is.
    std::optional<absl::StatusOr<ResolvedKm>> spare;
    FlightKey key;
    Work work;
  };
  Plan MakePlan(absl::string_view identity, absl::Time deadline);
  // RunFlight does the slow part for one KeID on flight threads: BeforeFetch, the MEF fetch
  // (asynchronous: no thread waits for it), then AfterFetch.
  void RunFlight(const crypto::KeyId& ke_id, absl::Time deadline, Done finish);
  // BeforeFetch retries pending revocation writes and checks the MEF's breaker: an answer (breaker
  // open), or nullopt to fetch.
  std::optional<absl::StatusOr<ResolvedKm>> BeforeFetch(const crypto::KeyId& ke_id);
  // AfterFetch checks the MEF's answer, derives the KmID, seals and stores the credential.
  absl::StatusOr<ResolvedKm> AfterFetch(const crypto::KeyId& ke_id,
                                        absl::StatusOr<FetchedCredential> fetched);
  // RunKmIdFlight reads one KmID's credential from the store on its flight thread.
  absl::StatusOr<ResolvedKm> RunKmIdFlight(const crypto::KeyId& km_id);
  absl::StatusOr<ResolvedKm> Unseal(const MafCredential& c) const;
  // RefuseKmId answers for a KmID the store refused (`why`) after the same unseal a stored one
  // gets, remembering an unknown one for negative_ttl.
  absl::Status RefuseKmId(const crypto::KeyId& km_id, absl::Status why) ABSL_LOCKS_EXCLUDED(mu_);
  // RefuseKeId answers for a KeID the MEF does not know (`why`) after the same derivation, seal
  // and store write a known one gets, remembering it for negative_ttl.
  absl::Status RefuseKeId(const crypto::KeyId& ke_id, absl::Status why) ABSL_LOCKS_EXCLUDED(mu_);
  // RememberUnknownLocked caches `id` (a KeID or KmID) as unknown for negative_ttl.
  void RememberUnknownLocked(const crypto::KeyId& id, const std::string& mef_fqdn)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void Cache(const ResolvedKm& km) ABSL_LOCKS_EXCLUDED(mu_);
  // RevokeInStore writes a revocation that raced a fetch; a failed write is counted and kept for
  // RetryPendingRevocations, never dropped.
  void RevokeInStore(const crypto::KeyId& ke_id, const Revocation& why) ABSL_LOCKS_EXCLUDED(mu_);
  // RetryPendingRevocations writes the revocations whose first write failed (at the start of each
  // flight, before it reads the store, so a revoked credential is not served from it).
  void RetryPendingRevocations() ABSL_LOCKS_EXCLUDED(mu_);
  // TombstoneKeIdLocked remembers `ke_id` as revoked for tombstone_ttl.
  void TombstoneKeIdLocked(const crypto::KeyId& ke_id) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  bool TombstonedLocked(const crypto::KeyId& ke_id, const std::string& enrolee_id)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void PruneTombstonesLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void EraseKmIdsLocked(const std::vector<crypto::KeyId>& km_ids)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const KmResolverOptions o_;
  const Decoy decoy_;
  mutable absl::Mutex mu_;
  // Resolved Km (known) and identities that resolve to nothing (unknown KeIDs and KmIDs, each as an
  // entry of the decoy Km under the identity and a random identifier of the other kind), in one
  // index (km_cache.h).
  KmCache cache_ ABSL_GUARDED_BY(mu_){o_.cache_capacity, o_.negative_capacity};
  std::map<FlightKey, std::shared_ptr<Flight>> flights_ ABSL_GUARDED_BY(mu_);  // in flight
  std::map<std::string, absl::Time> breaker_open_until_ ABSL_GUARDED_BY(mu_);  // by MEF
  // Recent revocations, until when: of one KeID, and of every KeID of one Enrolee.
  std::map<crypto::KeyId, absl::Time> revoked_ke_ids_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, absl::Time> revoked_enrolees_ ABSL_GUARDED_BY(mu_);
  // Revocation writes that failed, by KeID, until a retry succeeds.
  std::map<crypto::KeyId, Revocation> pending_revocations_ ABSL_GUARDED_BY(mu_);
  KmResolverStats stats_ ABSL_GUARDED_BY(mu_);
  // Last member: destroyed first, finishing every queued flight while the rest is still alive.
  server::WorkerPool flight_pool_;
};

}  // namespace maf
}  // namespace onem2m

#endif  // ONEM2M_MAF_KM_RESOLVER_KM_RESOLVER_H_

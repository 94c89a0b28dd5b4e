#include "maf/km_resolver/km_resolver.h"

#include <algorithm>
#include <functional>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/crypto/key_derivation.h"
#include "common/crypto/key_id.h"

namespace onem2m {
namespace maf {

// Flight is one in-progress resolution of a KeID, shared by every caller waiting for it.
struct KmResolver::Flight {
  absl::Mutex mu;
  bool done ABSL_GUARDED_BY(mu) = false;
  // Written once, before `done`; read-only afterwards.
  absl::StatusOr<ResolvedKm> result = absl::UnknownError("pending");
  std::vector<Done> waiters ABSL_GUARDED_BY(mu);  // asynchronous callers
};

absl::StatusOr<std::shared_ptr<KmResolver>> KmResolver::Create(KmResolverOptions options) {
  absl::Status s = crypto::ValidateFqdn(options.maf_fqdn);
  if (!s.ok()) return s;
  for (const auto& [fqdn, fetcher] : options.fetchers) {
    s = crypto::ValidateFqdn(fqdn);
    if (!s.ok()) return s;
    if (fetcher == nullptr) return absl::InvalidArgumentError("null fetcher for " + fqdn);
  }
  if (options.store == nullptr || options.envelope == nullptr) {
    return absl::InvalidArgumentError("store and envelope are required");
  }
  if (options.clock == nullptr) options.clock = Clock::Real();
  // The decoy is sealed like a stored Km (AAD = its KmID) under the active KEK, so unsealing it
  // costs what unsealing a stored Km costs (docs/protocol.md 7, "Identity privacy").
  Decoy decoy;
  decoy.km = SecretBytes::Random(crypto::kDerivedKeyLen);
  absl::StatusOr<std::string> decoy_km_id = crypto::DeriveKmId(decoy.km, options.maf_fqdn);
  if (!decoy_km_id.ok()) return decoy_km_id.status();
  absl::StatusOr<std::string> sealed = options.envelope->Seal(decoy.km, *decoy_km_id);
  if (!sealed.ok()) return sealed.status();
  absl::StatusOr<crypto::KeyId> decoy_km_key_id = crypto::KeyId::Parse(*decoy_km_id);
  if (!decoy_km_key_id.ok()) return decoy_km_key_id.status();
  decoy.credential.km_id = *std::move(decoy_km_key_id);
  decoy.credential.km =
      SealedKey{*std::move(sealed), static_cast<int32_t>(options.envelope->active_version())};
  // A decoy KeID too, so reading the decoy's identifiers costs what reading a stored row's does.
  decoy.credential.ke_id = *crypto::KeyId::FromParts(
      SecretBytes::Random(crypto::kRelativeIdLen).Reveal(), "decoy.invalid");
  decoy.credential.enrolee_id = "C-decoy";
  decoy.credential.expires_at = absl::InfiniteFuture();
  return std::shared_ptr<KmResolver>(new KmResolver(std::move(options), std::move(decoy)));
}

absl::StatusOr<ResolvedKm> KmResolver::Resolve(absl::string_view identity) {
  return Resolve(identity, absl::Now() + o_.default_timeout);
}

absl::StatusOr<ResolvedKm> KmResolver::Resolve(absl::string_view identity, absl::Time deadline) {
  Plan plan = MakePlan(identity, deadline);
  if (plan.answer.has_value()) return *std::move(plan.answer);
  return JoinFlight(plan.key, deadline, std::move(plan.work));
}

void KmResolver::ResolveAsync(absl::string_view identity, absl::Time deadline, Done done) {
  Plan plan = MakePlan(identity, deadline);
  if (plan.answer.has_value()) {
    // The answer not given dies after the caller has its own (see MakePlan). Calling `done`
    // moves the answer twice (into std::function's parameter, then the callee's), so the spare is
    // moved twice too: a known and an unknown identity then move two values and two statuses
    // before the caller sees its answer.
    std::optional<absl::StatusOr<ResolvedKm>> spare_moved = std::move(plan.spare);
    const std::optional<absl::StatusOr<ResolvedKm>> spare = std::move(spare_moved);
    done(*std::move(plan.answer));
    return;
  }
  JoinFlightAsync(plan.key, std::move(plan.work), std::move(done));
}

absl::StatusOr<ResolvedKm> KmResolver::Unseal(const MafCredential& c) const {
  // Km is sealed with its KmID's canonical text as associated data (docs/protocol.md 8).
  const std::string km_id = c.km_id.ToString();
  absl::StatusOr<SecretBytes> km = o_.envelope->Open(c.km.ciphertext, km_id);
  if (!km.ok()) {
    // A stored blob that will not open is a broken invariant (wrong KEK, tampering), not a
    // caller error; the message keeps the code but not the blob.
    return absl::InternalError(absl::StrCat("cannot unseal Km of ", km_id, ": ",
                                            absl::StatusCodeToString(km.status().code())));
  }
  ResolvedKm r;
  r.km = *std::move(km);
  r.km_id = c.km_id;
  r.ke_id = c.ke_id;
  r.enrolee_id = c.enrolee_id;
  r.mef_fqdn = c.mef_fqdn;
  r.expires_at = c.expires_at;
  return r;
}

void KmResolver::RememberUnknownLocked(const crypto::KeyId& id, const std::string& mef_fqdn) {
  // An entry like a cached known Km (the decoy's), so answering it from memory costs the same.
  ResolvedKm e;
  e.km = SecretBytes::Copy(decoy_.km.Reveal());
  e.km_id = id;
  e.ke_id = id;
  e.enrolee_id = decoy_.credential.enrolee_id;
  e.mef_fqdn = mef_fqdn;
  e.expires_at = Now() + o_.negative_ttl;
  unknown_.Put(e, e.expires_at);
}

absl::Status KmResolver::RefuseKmId(const crypto::KeyId& km_id, absl::Status why) {
  // What a stored KmID gets: one unseal, one cache write under the lock (Cache).
  absl::StatusOr<ResolvedKm> decoy = Unseal(decoy_.credential);
  (void)decoy;
  absl::MutexLock l(&mu_);
  if (absl::IsNotFound(why)) {
    RememberUnknownLocked(km_id, o_.fetchers.empty() ? "" : o_.fetchers.begin()->first);
  }
  return why;
}

absl::Status KmResolver::RefuseKeId(const crypto::KeyId& ke_id, absl::Status why) {
  const std::string& mef_fqdn = ke_id.fqdn;
  // What a KeID the MEF knows gets in RunFlight step 3: derive the KmID, seal Km under it, store
  // the credential (here a decoy write of the same size), check the tombstones.
  absl::StatusOr<std::string> km_id = crypto::DeriveKmId(decoy_.km, o_.maf_fqdn);
  absl::StatusOr<std::string> sealed =
      km_id.ok() ? o_.envelope->Seal(decoy_.km, *km_id) : km_id.status();
  absl::StatusOr<crypto::KeyId> typed_km_id =
      km_id.ok() ? crypto::KeyId::Parse(*km_id) : km_id.status();
  if (sealed.ok() && typed_km_id.ok()) {
    MafCredential c;
    c.km_id = *std::move(typed_km_id);
    c.ke_id = ke_id;
    c.km = SealedKey{*std::move(sealed), static_cast<int32_t>(o_.envelope->active_version())};
    c.enrolee_id = decoy_.credential.enrolee_id;
    c.mef_fqdn = mef_fqdn;
    c.expires_at = Now() + absl::Hours(1);
    // An outage here changes nothing for the answer: the MEF has already said "unknown".
    (void)o_.store->WriteDecoyCredential(c);
  }
  absl::MutexLock l(&mu_);
  (void)TombstonedLocked(ke_id, decoy_.credential.enrolee_id);
  RememberUnknownLocked(ke_id, mef_fqdn);
  return why;
}

bool KmResolver::CacheTrusted(const std::string& mef_fqdn) const {
  return !o_.trust_cache || o_.trust_cache(mef_fqdn);
}

void KmResolver::Cache(const ResolvedKm& km) {
  absl::MutexLock l(&mu_);
  cache_.Put(km, std::min(km.expires_at, Now() + o_.cache_ttl));
}

KmResolver::~KmResolver() {
  // Only a join: every flight's fetch answers by its deadline.
  WaitIdle(absl::InfiniteFuture());
}

std::shared_ptr<KmResolver::Flight> KmResolver::StartFlight(const FlightKey& key, Work work,
                                                            absl::Status* rejected) {
  absl::MutexLock l(&mu_);
  auto f = flights_.find(key);
  if (f != flights_.end()) return f->second;
  if (flights_.size() >= o_.max_flights) {
    ++stats_.flight_limit_rejects;
    *rejected = absl::UnavailableError("too many credential lookups in flight");
    return nullptr;
  }
  auto flight = std::make_shared<Flight>();
  flights_[key] = flight;
  // The slow part runs on a flight thread so that no caller waits past its own deadline (or, async,
  // at all). The resolver outlives the flight: its destructor waits until no flight is left.
  flight_pool_.Submit([this, flight, key, work = std::move(work)] {
    work([this, flight, key](absl::StatusOr<ResolvedKm> r) {
      FinishFlight(key, flight, std::move(r));
    });
  });
  return flight;
}

void KmResolver::FinishFlight(const FlightKey& key, const std::shared_ptr<Flight>& flight,
                              absl::StatusOr<ResolvedKm> r) {
  {
    absl::MutexLock l(&mu_);
    flights_.erase(key);
  }
  // The waiters touch only the flight (which they share), not the resolver.
  std::vector<Done> waiters;
  {
    absl::MutexLock fl(&flight->mu);
    flight->result = std::move(r);
    flight->done = true;
    waiters.swap(flight->waiters);
  }
  for (Done& w : waiters) w(flight->result);  // a copy each: every caller wipes its own Km
}

absl::StatusOr<ResolvedKm> KmResolver::JoinFlight(const FlightKey& key, absl::Time deadline,
                                                  Work work) {
  absl::Status rejected;
  std::shared_ptr<Flight> flight = StartFlight(key, std::move(work), &rejected);
  if (flight == nullptr) return rejected;
  absl::MutexLock fl(&flight->mu);
  auto done = [&flight]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(flight->mu) { return flight->done; };
  if (!flight->mu.AwaitWithDeadline(absl::Condition(&done), deadline)) {
    return absl::DeadlineExceededError("credential lookup timed out");
  }
  return flight->result;  // a copy: each caller gets (and later wipes) its own Km
}

void KmResolver::JoinFlightAsync(const FlightKey& key, Work work, Done done) {
  absl::Status rejected;
  std::shared_ptr<Flight> flight = StartFlight(key, std::move(work), &rejected);
  if (flight == nullptr) {
    done(rejected);
    return;
  }
  {
    absl::MutexLock fl(&flight->mu);
    if (!flight->done) {
      flight->waiters.push_back(std::move(done));
      return;
    }
  }
  done(flight->result);
}

KmResolver::Plan KmResolver::MakePlan(absl::string_view identity, absl::Time deadline) {
  Plan plan;
  // The edge: the identity is parsed here, once, and travels as a KeyId from now on.
  absl::StatusOr<crypto::KeyId> parsed = crypto::KeyId::Parse(identity);
  if (!parsed.ok()) {
    plan.answer = absl::InvalidArgumentError("PSK identity is neither a KeID nor a KmID");
    return plan;
  }
  const crypto::KeyId id = *std::move(parsed);
  const bool is_km_id = id.fqdn == o_.maf_fqdn;
  if (!is_km_id && o_.fetchers.find(id.fqdn) == o_.fetchers.end()) {
    plan.answer = absl::NotFoundError(absl::StrCat("no MEF configured for ", id.fqdn));
    return plan;
  }
  // Both caches are asked, and an entry of either is answered the same way, so a known and an
  // unknown identity cost the same (docs/protocol.md 7, "Identity privacy"); an untrusted MEF
  // sends both to the store.
  std::optional<ResolvedKm> hit, unknown;
  {
    absl::MutexLock l(&mu_);
    const absl::Time now = Now();
    hit = is_km_id ? cache_.GetByKmId(id, now) : cache_.GetByKeId(id, now);
    unknown = is_km_id ? unknown_.GetByKmId(id, now) : unknown_.GetByKeId(id, now);
  }
  const std::optional<ResolvedKm>& entry = hit.has_value() ? hit : unknown;
  if (entry.has_value() && CacheTrusted(entry->mef_fqdn)) {
    // Both possible answers are built, and the one not given is destroyed only after the caller
    // has its answer (ResolveAsync), so a cached known and a cached unknown identity do the same
    // work before the answer: the same moves, allocations and wipes (maf_oracle_check measures it).
    const bool known = hit.has_value();
    absl::StatusOr<ResolvedKm> found = *std::move(known ? hit : unknown);
    absl::StatusOr<ResolvedKm> refused =
        absl::NotFoundError(is_km_id ? "unknown KmID" : "unknown KeID");
    {
      absl::MutexLock l(&mu_);
      ++(known ? stats_.cache_hits : stats_.negative_hits);
    }
    plan.answer.emplace(std::move(known ? found : refused));
    plan.spare.emplace(std::move(known ? refused : found));
    return plan;
  }
  if (is_km_id) {
    // A store read can stall too (database failover): it gets the same flight treatment as a MEF
    // fetch, so a handshake never waits past its deadline.
    plan.key = FlightKey{FlightKey::Kind::kKmId, id};
    plan.work = [this, id](Done finish) { finish(RunKmIdFlight(id)); };
    return plan;
  }
  plan.key = FlightKey{FlightKey::Kind::kKeId, id};
  plan.work = [this, id, deadline](Done finish) { RunFlight(id, deadline, std::move(finish)); };
  return plan;
}

absl::StatusOr<ResolvedKm> KmResolver::RunKmIdFlight(const crypto::KeyId& km_id) {
  RetryPendingRevocations();
  absl::StatusOr<MafCredential> c = o_.store->GetCredentialByKmId(km_id);
  if (c.status().code() == absl::StatusCode::kFailedPrecondition) {
    // Revoked in the store (perhaps by another replica): a cached copy must never serve again.
    {
      absl::MutexLock l(&mu_);
      cache_.EraseKmId(km_id);
    }
    return RefuseKmId(km_id, absl::PermissionDeniedError("KmID revoked"));
  }
  // Unknown or expired: refused after the same unseal a stored KmID gets.
  if (absl::IsNotFound(c.status())) return RefuseKmId(km_id, c.status());
  if (!c.ok()) return c.status();
  absl::StatusOr<ResolvedKm> r = Unseal(*c);
  if (r.ok()) Cache(*r);
  return r;
}

void KmResolver::RunFlight(const crypto::KeyId& ke_id, absl::Time deadline, Done finish) {
  std::optional<absl::StatusOr<ResolvedKm>> answer = BeforeFetch(ke_id);
  if (answer.has_value()) return finish(*std::move(answer));
  o_.fetchers.at(ke_id.fqdn)
      ->FetchAsync(
          ke_id, deadline,
          [this, ke_id, finish = std::move(finish)](absl::StatusOr<FetchedCredential> fetched) {
            // The rest (derive, seal, store write) goes back to a flight thread: the
            // fetcher's thread (gRPC's) is not for blocking store calls. Km travels in a
            // shared holder because a pool task must be copyable.
            auto held = std::make_shared<absl::StatusOr<FetchedCredential>>(std::move(fetched));
            flight_pool_.Submit(
                [this, ke_id, finish, held] { finish(AfterFetch(ke_id, std::move(*held))); });
          });
}

std::optional<absl::StatusOr<ResolvedKm>> KmResolver::BeforeFetch(const crypto::KeyId& ke_id) {
  const std::string& mef_fqdn = ke_id.fqdn;
  RetryPendingRevocations();
  // 1. Stored already (an earlier handshake, possibly on another replica)?
  absl::StatusOr<MafCredential> stored = o_.store->GetCredentialByKeId(ke_id);
  if (stored.ok()) {
    absl::StatusOr<ResolvedKm> r = Unseal(*stored);
    if (r.ok()) Cache(*r);
    return r;
  }
  if (stored.status().code() == absl::StatusCode::kFailedPrecondition) {
    // Revoked at this MAF: refused even though the MEF may still hand Km out, and dropped from
    // the cache so no copy serves again.
    absl::MutexLock l(&mu_);
    cache_.EraseKeId(ke_id);
    return absl::PermissionDeniedError("KeID revoked");
  }
  if (stored.status().code() != absl::StatusCode::kNotFound) return stored.status();

  // 2. Ask the MEF, unless its breaker is open.
  {
    absl::MutexLock l(&mu_);
    auto b = breaker_open_until_.find(mef_fqdn);
    if (b != breaker_open_until_.end() && Now() < b->second) {
      ++stats_.breaker_rejects;
      return absl::UnavailableError(absl::StrCat("MEF ", mef_fqdn, " unavailable (breaker open)"));
    }
    ++stats_.fetches;
  }
  return std::nullopt;
}

absl::StatusOr<ResolvedKm> KmResolver::AfterFetch(const crypto::KeyId& ke_id,
                                                  absl::StatusOr<FetchedCredential> fetched) {
  const std::string& mef_fqdn = ke_id.fqdn;
  if (!fetched.ok()) {
    // The MEF does not know the KeID: refused after the work a known one gets.
    if (absl::IsNotFound(fetched.status())) return RefuseKeId(ke_id, fetched.status());
    absl::MutexLock l(&mu_);
    switch (fetched.status().code()) {
      case absl::StatusCode::kUnavailable:
      case absl::StatusCode::kDeadlineExceeded:
        breaker_open_until_[mef_fqdn] = Now() + o_.breaker_open_for;
        break;
      default:
        break;
    }
    return fetched.status();
  }
  {
    absl::MutexLock l(&mu_);
    breaker_open_until_.erase(mef_fqdn);
  }

  // 3. Check the answer (the KeID compared as a KeyId: the one comparison rule), derive KmID, seal
  // and store.
  if (fetched->km.size() != crypto::kDerivedKeyLen || fetched->ke_id != ke_id) {
    return absl::InternalError(absl::StrCat("malformed credential from MEF ", mef_fqdn));
  }
  if (fetched->expires_at <= Now()) {
    return RefuseKeId(ke_id, absl::NotFoundError("unknown KeID"));
  }
  absl::StatusOr<std::string> km_id = crypto::DeriveKmId(fetched->km, o_.maf_fqdn);
  if (!km_id.ok()) return km_id.status();
  absl::StatusOr<crypto::KeyId> typed_km_id = crypto::KeyId::Parse(*km_id);
  if (!typed_km_id.ok()) return typed_km_id.status();
  absl::StatusOr<std::string> sealed = o_.envelope->Seal(fetched->km, *km_id);
  if (!sealed.ok()) return sealed.status();
  MafCredential c;
  c.km_id = *typed_km_id;
  c.ke_id = ke_id;
  c.km = SealedKey{*std::move(sealed), static_cast<int32_t>(o_.envelope->active_version())};
  c.enrolee_id = fetched->enrolee_id;
  c.mef_fqdn = mef_fqdn;
  c.expires_at = fetched->expires_at;
  absl::StatusOr<MafCredential> put = o_.store->PutCredential(c);
  if (!put.ok()) return put.status();
  if (put->revoked) return absl::PermissionDeniedError("KeID revoked");

  // 4. A revocation may have arrived while we fetched: it wins.
  bool tombstoned;
  {
    absl::MutexLock l(&mu_);
    tombstoned = TombstonedLocked(ke_id, c.enrolee_id);
  }
  if (tombstoned) {
    RevokeInStore(ke_id, Revocation{"mef:" + mef_fqdn, "revoked during fetch", {}});
    return absl::PermissionDeniedError("KeID revoked");
  }

  {
    // A KmID refused before this first contact stored it (only its holder can know it) is known
    // now.
    absl::MutexLock l(&mu_);
    unknown_.EraseKmId(*typed_km_id);
  }
  ResolvedKm r;
  r.km = std::move(fetched->km);
  r.km_id = *std::move(typed_km_id);
  r.ke_id = ke_id;
  r.enrolee_id = c.enrolee_id;
  r.mef_fqdn = mef_fqdn;
  r.expires_at = absl::FromUnixMicros(absl::ToUnixMicros(c.expires_at));
  Cache(r);
  return r;
}

void KmResolver::RevokeInStore(const crypto::KeyId& ke_id, const Revocation& why) {
  absl::Status s = o_.store->RevokeByKeId(ke_id, why).status();
  if (s.ok()) return;
  {
    absl::MutexLock l(&mu_);
    ++stats_.revocation_write_failures;
    pending_revocations_.emplace(ke_id, why);
  }
  if (o_.on_revocation_write_failed) o_.on_revocation_write_failed(s);
}

void KmResolver::RetryPendingRevocations() {
  std::map<crypto::KeyId, Revocation> pending;
  {
    absl::MutexLock l(&mu_);
    if (pending_revocations_.empty()) return;
    pending.swap(pending_revocations_);
  }
  // RevokeInStore puts back (and counts) each one that fails again.
  for (const auto& [ke_id, why] : pending) RevokeInStore(ke_id, why);
}

bool KmResolver::TombstonedLocked(const crypto::KeyId& ke_id, const std::string& enrolee_id) {
  const absl::Time now = Now();
  auto k = revoked_ke_ids_.find(ke_id);
  if (k != revoked_ke_ids_.end() && now < k->second) return true;
  auto e = revoked_enrolees_.find(enrolee_id);
  return e != revoked_enrolees_.end() && now < e->second;
}

void KmResolver::PruneTombstonesLocked() {
  // Pruned on the (rare) revocation path, so the maps hold only the last tombstone_ttl's worth.
  const absl::Time now = Now();
  for (auto it = revoked_ke_ids_.begin(); it != revoked_ke_ids_.end();) {
    it = now >= it->second ? revoked_ke_ids_.erase(it) : std::next(it);
  }
  for (auto it = revoked_enrolees_.begin(); it != revoked_enrolees_.end();) {
    it = now >= it->second ? revoked_enrolees_.erase(it) : std::next(it);
  }
}

// EraseKmIds drops the cached Km of every KmID the store revoked.
void KmResolver::EraseKmIdsLocked(const std::vector<crypto::KeyId>& km_ids) {
  for (const crypto::KeyId& km_id : km_ids) cache_.EraseKmId(km_id);
}

absl::Status KmResolver::OnRevokedKeId(const crypto::KeyId& ke_id, const Revocation& why) {
  {
    absl::MutexLock l(&mu_);
    cache_.EraseKeId(ke_id);
    unknown_.EraseKeId(ke_id);
    PruneTombstonesLocked();
    revoked_ke_ids_[ke_id] = Now() + o_.tombstone_ttl;
  }
  absl::StatusOr<std::vector<crypto::KeyId>> km_ids = o_.store->RevokeByKeId(ke_id, why);
  if (!km_ids.ok()) return km_ids.status();
  absl::MutexLock l(&mu_);
  EraseKmIdsLocked(*km_ids);
  return absl::OkStatus();
}

absl::Status KmResolver::OnRevokedEnrolee(absl::string_view enrolee_id, const Revocation& why) {
  {
    absl::MutexLock l(&mu_);
    cache_.EraseEnrolee(enrolee_id);
    PruneTombstonesLocked();
    revoked_enrolees_[std::string(enrolee_id)] = Now() + o_.tombstone_ttl;
  }
  absl::StatusOr<std::vector<crypto::KeyId>> km_ids = o_.store->RevokeByEnroleeId(enrolee_id, why);
  if (!km_ids.ok()) return km_ids.status();
  absl::MutexLock l(&mu_);
  EraseKmIdsLocked(*km_ids);
  return absl::OkStatus();
}

void KmResolver::ForgetKmId(const crypto::KeyId& km_id) {
  absl::MutexLock l(&mu_);
  cache_.EraseKmId(km_id);
}

void KmResolver::OnMefResync(absl::string_view mef_fqdn) {
  absl::MutexLock l(&mu_);
  cache_.EraseMef(mef_fqdn);
}

bool KmResolver::WaitIdle(absl::Time deadline) {
  absl::MutexLock l(&mu_);
  auto idle = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return flights_.empty(); };
  return mu_.AwaitWithDeadline(absl::Condition(&idle), deadline);
}

KmResolverStats KmResolver::stats() const {
  absl::MutexLock l(&mu_);
  return stats_;
}

}  // namespace maf
}  // namespace onem2m

// KmResolver's flights: single-flight lookups on flight threads (for a KeID the MEF fetch, then
// derive/seal/store; for a KmID the store read). See km_resolver.h.
#include <memory>
#include <optional>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/crypto/key_derivation.h"
#include "common/crypto/key_id.h"
#include "maf/km_resolver/km_resolver.h"

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
  // 1. Ask the MEF, unless its breaker is open. A KeID not in the cache is always fetched, even
  // one stored before (a device doing first contact again, another replica's): the MEF says
  // whether it is usable now (TS-0003 8.3.2.1), and the store's state of it (revoked here or by
  // another replica) comes back with the write in step 2. A store read first would cost every
  // first contact a database round trip to spare the MEF a call for the rare stored KeID
  // (docs/performance.md, "Stop 27"). A KeID revoked here in the last tombstone_ttl is refused
  // without the call: the tombstone is in memory (its enrolee is not known before the answer).
  // A flight that ended between this caller's cache miss and the start of this one has cached its
  // answer (known or unknown): that is the answer, with no second MEF call.
  {
    std::optional<ResolvedKm> entry;
    KmCache::Kind kind = KmCache::Kind::kUnknown;
    {
      absl::MutexLock l(&mu_);
      entry = cache_.GetByKeId(ke_id, Now(), &kind);
    }
    if (entry.has_value() && CacheTrusted(entry->mef_fqdn)) {
      if (kind == KmCache::Kind::kKnown) return absl::StatusOr<ResolvedKm>(*std::move(entry));
      return absl::StatusOr<ResolvedKm>(absl::NotFoundError("unknown KeID"));
    }
  }
  {
    absl::MutexLock l(&mu_);
    if (TombstonedLocked(ke_id, /*enrolee_id=*/"")) {
      cache_.EraseKeId(ke_id);
      return absl::PermissionDeniedError("KeID revoked");
    }
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

  // 2. Check the answer (the KeID compared as a KeyId: the one comparison rule), derive KmID, seal
  // and store. PutCredential answers with the row under the KmID: ours, or the one stored before.
  if (fetched->km.size() != crypto::kDerivedKeyLen || fetched->ke_id != ke_id) {
    return absl::InternalError(absl::StrCat("malformed credential from MEF ", mef_fqdn));
  }
  if (fetched->expires_at <= Now()) {
    return RefuseKeId(ke_id, absl::NotFoundError("unknown KeID"));
  }
  absl::StatusOr<crypto::KeyId> typed_km_id = crypto::DeriveKmKeyId(fetched->km, o_.maf_fqdn);
  if (!typed_km_id.ok()) return typed_km_id.status();
  absl::StatusOr<std::string> sealed = o_.envelope->Seal(fetched->km, typed_km_id->ToString());
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
  if (put->revoked) {
    // Revoked at the MAF (here or by another replica) though the MEF still hands Km out: refused,
    // dropped from the cache so no copy serves again, and tombstoned so the next first contact
    // with it is refused without asking the MEF.
    absl::MutexLock l(&mu_);
    cache_.EraseKeId(ke_id);
    TombstoneKeIdLocked(ke_id);
    return absl::PermissionDeniedError("KeID revoked");
  }

  // 3. A revocation may have arrived while we fetched: it wins.
  bool tombstoned;
  {
    absl::MutexLock l(&mu_);
    tombstoned = TombstonedLocked(ke_id, c.enrolee_id);
  }
  if (tombstoned) {
    RevokeInStore(ke_id, Revocation{"mef:" + mef_fqdn, "revoked during fetch", {}});
    return absl::PermissionDeniedError("KeID revoked");
  }

  ResolvedKm r;
  r.km = std::move(fetched->km);
  r.km_id = *std::move(typed_km_id);
  r.ke_id = ke_id;
  r.enrolee_id = c.enrolee_id;
  r.mef_fqdn = mef_fqdn;
  r.expires_at = absl::FromUnixMicros(absl::ToUnixMicros(c.expires_at));
  // Replaces an unknown entry of this KmID, if one was refused before this first contact stored
  // it (only its holder can know it): it is known now.
  Cache(r);
  return r;
}

}  // namespace maf
}  // namespace onem2m

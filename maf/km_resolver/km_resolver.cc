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
  absl::StatusOr<crypto::KeyId> decoy_km_id = crypto::DeriveKmKeyId(decoy.km, options.maf_fqdn);
  if (!decoy_km_id.ok()) return decoy_km_id.status();
  absl::StatusOr<std::string> sealed = options.envelope->Seal(decoy.km, decoy_km_id->ToString());
  if (!sealed.ok()) return sealed.status();
  decoy.credential.km_id = *std::move(decoy_km_id);
  decoy.credential.km =
      SealedKey{*std::move(sealed), static_cast<int32_t>(options.envelope->active_version())};
  // A decoy KeID too, so reading the decoy's identifiers costs what reading a stored row's does.
  decoy.credential.ke_id = *crypto::KeyId::Random("decoy.invalid");
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
  // Its other identifier is a fresh random one of the other kind, so the entry has a known one's
  // shape: a KeID lookup then reads a second, different key (the KmID) for both.
  const bool is_km_id = id.fqdn == o_.maf_fqdn;
  // Both FQDNs were validated (Create, the identity's parse), so Random cannot fail.
  const crypto::KeyId other = *crypto::KeyId::Random(
      !is_km_id ? o_.maf_fqdn : (mef_fqdn.empty() ? decoy_.credential.ke_id.fqdn : mef_fqdn));
  ResolvedKm e;
  e.km = SecretBytes::Copy(decoy_.km.Reveal());
  e.km_id = is_km_id ? id : other;
  e.ke_id = is_km_id ? other : id;
  e.enrolee_id = decoy_.credential.enrolee_id;
  e.mef_fqdn = mef_fqdn;
  e.expires_at = Now() + o_.negative_ttl;
  cache_.Put(e, e.expires_at, KmCache::Kind::kUnknown);
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
  // What a KeID the MEF knows gets in AfterFetch step 2: derive the KmID, seal Km under it, store
  // the credential (here a decoy write of the same size), check the tombstones.
  absl::StatusOr<crypto::KeyId> km_id = crypto::DeriveKmKeyId(decoy_.km, o_.maf_fqdn);
  absl::StatusOr<std::string> sealed =
      km_id.ok() ? o_.envelope->Seal(decoy_.km, km_id->ToString()) : km_id.status();
  if (sealed.ok()) {
    MafCredential c;
    c.km_id = *std::move(km_id);
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
  // One lookup finds a known and an unknown identity alike (km_cache.h), and either entry is
  // answered the same way, so the two cost the same (docs/protocol.md 7, "Identity privacy"); an
  // untrusted MEF sends both to a flight (a KmID to the store, a KeID to the MEF).
  std::optional<ResolvedKm> entry;
  KmCache::Kind kind = KmCache::Kind::kUnknown;
  {
    absl::MutexLock l(&mu_);
    const absl::Time now = Now();
    entry = is_km_id ? cache_.GetByKmId(id, now, &kind) : cache_.GetByKeId(id, now, &kind);
  }
  if (entry.has_value() && CacheTrusted(entry->mef_fqdn)) {
    // Both possible answers are built, and the one not given is destroyed only after the caller
    // has its answer (ResolveAsync), so a cached known and a cached unknown identity do the same
    // work before the answer: the same moves, allocations and wipes (km_resolver_benchmark and
    // maf_oracle_check measure it).
    const bool known = kind == KmCache::Kind::kKnown;
    absl::StatusOr<ResolvedKm> found = *std::move(entry);
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

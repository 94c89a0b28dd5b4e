// File: mef/credential/credential_fetcher.h
//
// CredentialFetcher is the one decision path of the MEF's credential fetch (docs/protocol.md 5 and
// 6; TS-0003 8.3.2.1 "Use of Remotely Provisioned Credential"), shared by both bindings:
// MefCredentialServiceImpl (gRPC, batched reads) and SpecFetchServer (the spec's own HTTPS RETRIEVE
// of /fetchCredentials/<KeID>/<SUID>). Both get the same authorisation, the same revocation checks
// and the same "credential_fetch" audit record (caller, ke_id, suid, target, binding, outcome;
// never key bytes).
//
//   CredentialFetcher fetcher(store, &opener, {});
//   FetchAsk ask{/*names=*/{"cse.example.com"}, ke_id, /*suid=*/42, /*target_id=*/""};
//   FetchResult r = fetcher.FetchOne(ask, "https");   // read, decide, audit, count
//   if (r.status.ok()) Use(r.key, r.enrolee_id, r.expires_at);
//
// Decision order (the gRPC service batches steps 4..6 of many calls into one store read):
//   1. no DNS name in the client certificate             -> kUnauthenticated ("unauthenticated")
//   2. ke_id not a strict KeID (common/crypto/key_id)     -> kInvalidArgument ("invalid")
//   3. suid is 0; or the target cannot be resolved: an explicit target_id must be one of the
//      caller's DNS names (else kPermissionDenied, "permission_denied"); an empty target_id means
//      the caller's only DNS name, or for SUID 21 "whichever name is the MAF-ID"; several names
//      with another SUID and no target_id                 -> kInvalidArgument ("invalid")
//   4. unknown, enrolment revoked, enrolee not active, expires_at or enrolee not_after reached
//                                                          -> kNotFound, one message ("not_found")
//   5. SUID 21 and the target is the enrolment's MAF-ID   -> Km = DeriveKm(Ke, MAF-ID) (10.3.2)
//      else {target, SUID} in the enrolee's FetchGrants   -> DeriveUsageConstrainedKey (10.3.7)
//      else                                               -> kPermissionDenied
//      ("permission_denied")
//   store unreachable at step 4 -> kUnavailable ("unavailable"); Ke does not open -> kInternal.
// NOT_FOUND before the identity check is the documented disclosure choice of credential_service.h.
//
// expires_at is min(enrolment expires_at, enrolee not_after) (10.7: no key outlives Ke).
//
// Thread safety: all methods may be called concurrently.
#ifndef ONEM2M_MEF_CREDENTIAL_CREDENTIAL_FETCHER_H_
#define ONEM2M_MEF_CREDENTIAL_CREDENTIAL_FETCHER_H_

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "common/log/logger.h"
#include "common/secret_bytes.h"
#include "common/time/clock.h"
#include "mef/credential/credential_metrics.h"
#include "mef/credential/ke_opener.h"
#include "mef/credential/revocation_feed.h"
#include "mef/store/enrolee_store.h"

namespace onem2m {
namespace mef {

// kSuidRspfKeySharedWithMaf is the SUID of the MAF's Km fetch (docs/protocol.md 5).
inline constexpr uint32_t kSuidRspfKeySharedWithMaf = 21;

// kNotFoundMessage is the one message of every NOT_FOUND fetch answer.
inline constexpr absl::string_view kNotFoundMessage = "no usable enrolment for this KeID";

// FetchAsk is one fetch as received.
struct FetchAsk {
  // names are the DNS names of the caller's verified client certificate.
  std::vector<std::string> names;
  // ke_id as received (parsed and canonicalised by Prepare).
  std::string ke_id;
  uint32_t suid = 0;
  // target_id is the Enrolment-Target-ID asked for (the HTTPS originator, or the gRPC field); empty
  // lets Prepare resolve it (see step 3 of the file comment).
  std::string target_id;
};

// FetchResult is one fetch's progress and, once decided, its answer.
struct FetchResult {
  // ke_id is the asked KeID, parsed; set whenever `valid` is (what the store is asked).
  crypto::KeyId ke_id;
  // The canonical KeID when it parses (what the audit records and the answer carry); otherwise
  // the raw KeID, truncated.
  std::string audited_ke_id;
  // The resolved Enrolment-Target-ID; empty for a SUID 21 call left to match any of its names
  // until the enrolment is read (then the MAF-ID when it matched).
  std::string target_id;
  // valid: steps 1..3 passed; the call needs the store's answer (Decide).
  bool valid = false;
  FetchOutcome outcome = FetchOutcome::kError;
  // OK, or the code and message to answer with.
  absl::Status status = absl::UnknownError("not decided");

  // Set when status is OK.
  SecretBytes key;     // Km (is_km) or the 10.3.7 usage-constrained key; 32 bytes
  bool is_km = false;  // Km for the enrolment's MAF (SUID 21)
  std::string enrolee_id;
  std::string maf_id;  // the enrolment's MAF-ID
  absl::Time expires_at = absl::InfinitePast();
};

class CredentialFetcher {
 public:
  struct Options {
    // clock supplies "now" for expiry checks (common/time/clock.h). Not owned; must outlive.
    const Clock* clock = Clock::Real();
    // metrics receives one OnFetch per fetch; may be null. Not owned; must outlive.
    CredentialMetrics* metrics = nullptr;
  };

  // `store` and `opener` are not owned, must be non-null and outlive the fetcher.
  CredentialFetcher(EnroleeStore* store, const KeOpener* opener, Options options);

  // Prepare runs steps 1..3 for `ask`.
  static FetchResult Prepare(const FetchAsk& ask);

  // Decide runs steps 4..5 on the store's answer for a prepared, valid call.
  void Decide(const FetchAsk& ask, absl::StatusOr<EnrolmentView> view, FetchResult* result);

  // FetchOne is the whole fetch for one call: Prepare, one store read, Decide, the audit record
  // (written before it returns) and the metrics. `binding` names the API in the audit ("grpc",
  // "https").
  FetchResult FetchOne(const FetchAsk& ask, absl::string_view binding);

  // Audit adds the "credential_fetch" record of one decided call to `batch`.
  static void Audit(const FetchAsk& ask, const FetchResult& result, absl::string_view binding,
                    AuditBatch* batch);

  // Count reports one decided call to the metrics hook (if any).
  void Count(FetchOutcome outcome, absl::Duration took) const;

  EnroleeStore* store() const { return store_; }
  // directory learns each read enrolee's MAF-ID (for the revocation watch).
  EnroleeDirectory* directory() { return &directory_; }

 private:
  absl::Time Now() const {
    return options_.clock != nullptr ? options_.clock->Now() : Clock::Real()->Now();
  }
  // Derive opens Ke and derives the answer's key (step 5's chosen derivation).
  absl::Status Derive(const Enrolment& enrolment, const FetchAsk& ask, FetchResult* result) const;
  // NotFound answers "no usable enrolment" after the work a found one gets (open a Ke, derive
  // Km), done on the opener's decoy Ke (docs/protocol.md 7, "Identity privacy").
  void NotFound(FetchResult* result) const;

  EnroleeStore* const store_;
  const KeOpener* const opener_;
  const Options options_;
  EnroleeDirectory directory_;
};

}  // namespace mef
}  // namespace onem2m

#endif  // ONEM2M_MEF_CREDENTIAL_CREDENTIAL_FETCHER_H_

#include "mef/credential/credential_fetcher.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/crypto/key_derivation.h"
#include "common/crypto/key_id.h"

namespace onem2m {
namespace mef {
namespace {

// Untrusted KeIDs are quoted in the audit log only up to this length (a valid one is <= 286).
constexpr size_t kMaxAuditedKeIdLen = 300;
// Untrusted target IDs likewise (a DNS name is at most 253).
constexpr size_t kMaxAuditedTargetLen = 260;

bool Contains(const std::vector<std::string>& names, absl::string_view name) {
  return std::find(names.begin(), names.end(), name) != names.end();
}

void Fail(FetchOutcome outcome, absl::Status status, FetchResult* r) {
  r->outcome = outcome;
  r->status = std::move(status);
}

}  // namespace

absl::string_view FetchOutcomeName(FetchOutcome outcome) {
  switch (outcome) {
    case FetchOutcome::kOk:
      return "ok";
    case FetchOutcome::kInvalid:
      return "invalid";
    case FetchOutcome::kUnauthenticated:
      return "unauthenticated";
    case FetchOutcome::kNotFound:
      return "not_found";
    case FetchOutcome::kPermissionDenied:
      return "permission_denied";
    case FetchOutcome::kUnavailable:
      return "unavailable";
    case FetchOutcome::kError:
      return "error";
  }
  return "error";
}

CredentialFetcher::CredentialFetcher(EnroleeStore* store, const KeOpener* opener, Options options)
    : store_(store), opener_(opener), options_(std::move(options)), directory_(store) {}

FetchResult CredentialFetcher::Prepare(const FetchAsk& ask) {
  FetchResult r;
  // The edge of the MEF's credential API: the KeID is parsed once, here (either hex case,
  // docs/protocol.md 3); everything after holds the KeyId (the audit its canonical text).
  absl::StatusOr<crypto::KeyId> ke_id = crypto::KeyId::Parse(ask.ke_id);
  if (ke_id.ok()) r.ke_id = *ke_id;
  r.audited_ke_id = ke_id.ok() ? ke_id->ToString() : ask.ke_id.substr(0, kMaxAuditedKeIdLen);
  r.target_id = ask.target_id.substr(0, kMaxAuditedTargetLen);
  if (ask.names.empty()) {
    Fail(FetchOutcome::kUnauthenticated,
         absl::UnauthenticatedError("no client certificate identity"), &r);
    return r;
  }
  if (!ke_id.ok()) {
    Fail(FetchOutcome::kInvalid, absl::InvalidArgumentError("malformed ke_id"), &r);
    return r;
  }
  if (ask.suid == 0) {
    Fail(FetchOutcome::kInvalid, absl::InvalidArgumentError("suid must be at least 1"), &r);
    return r;
  }
  if (!ask.target_id.empty()) {
    // The originator must be the authenticated caller (TS-0003 8.3.2.1: the Enrolment Target's ID
    // comes from the originator field; the certificate proves it).
    if (!Contains(ask.names, ask.target_id)) {
      Fail(FetchOutcome::kPermissionDenied,
           absl::PermissionDeniedError("originator is not an identity of the client certificate"),
           &r);
      return r;
    }
  } else if (ask.names.size() == 1) {
    r.target_id = ask.names[0];
  } else if (ask.suid != kSuidRspfKeySharedWithMaf) {
    Fail(FetchOutcome::kInvalid,
         absl::InvalidArgumentError(
             "enrolment_target_id is required when the client certificate names several DNS names"),
         &r);
    return r;
  }
  r.valid = true;
  return r;
}

void CredentialFetcher::Decide(const FetchAsk& ask, absl::StatusOr<EnrolmentView> view,
                               FetchResult* r) {
  if (!view.ok()) {
    switch (view.status().code()) {
      case absl::StatusCode::kNotFound:
        return NotFound(r);
      case absl::StatusCode::kUnavailable:
        return Fail(FetchOutcome::kUnavailable,
                    absl::UnavailableError("credential store unavailable"), r);
      default:
        Log(Level::kError, "credential_fetch_store_error",
            {{"ke_id", r->audited_ke_id}, {"status", view.status().ToString()}});
        return Fail(FetchOutcome::kError, absl::InternalError("credential store error"), r);
    }
  }
  const Enrolment& enrolment = view->enrolment;
  // Every unusable case gives the same status and message (the proto's non-disclosure rule).
  absl::Time expires_at = enrolment.expires_at;
  if (view->enrolee_not_after.has_value()) {
    expires_at = std::min(expires_at, *view->enrolee_not_after);
  }
  if (enrolment.revoked || view->enrolee_state != EnroleeState::kActive || Now() >= expires_at) {
    return NotFound(r);
  }
  directory_.Remember(enrolment.kpm_id, {enrolment.enrolee_id, enrolment.maf_id});

  // Step 5: Km for the enrolment's MAF (10.3.2, the project's profile for SUID 21) ...
  if (ask.suid == kSuidRspfKeySharedWithMaf &&
      (r->target_id.empty() ? Contains(ask.names, enrolment.maf_id)
                            : r->target_id == enrolment.maf_id)) {
    r->target_id = enrolment.maf_id;
    r->is_km = true;
  } else {
    // ... else the 10.3.7 key, only for a {target, SUID} the enrolee's record allows.
    const FetchGrant wanted{r->target_id, ask.suid};
    const bool allowed = !r->target_id.empty() &&
                         std::find(view->fetch_grants.begin(), view->fetch_grants.end(), wanted) !=
                             view->fetch_grants.end();
    if (!allowed) {
      return Fail(
          FetchOutcome::kPermissionDenied,
          absl::PermissionDeniedError(ask.suid == kSuidRspfKeySharedWithMaf
                                          ? "caller is not the MAF configured for this enrolment"
                                          : "caller is not allowed this SUID for this enrolment"),
          r);
    }
  }
  absl::Status derived = Derive(enrolment, ask, r);
  if (!derived.ok()) return Fail(FetchOutcome::kError, std::move(derived), r);
  r->enrolee_id = enrolment.enrolee_id;
  r->maf_id = enrolment.maf_id;
  r->expires_at = expires_at;
  r->outcome = FetchOutcome::kOk;
  r->status = absl::OkStatus();
}

void CredentialFetcher::NotFound(FetchResult* r) const {
  // The decoy's Km is wiped unused; a decoy that will not open changes nothing for the answer.
  absl::StatusOr<SecretBytes> ke = opener_->OpenDecoyKe();
  if (ke.ok()) (void)crypto::DeriveKm(*ke, "decoy.invalid");
  Fail(FetchOutcome::kNotFound, absl::NotFoundError(kNotFoundMessage), r);
}

absl::Status CredentialFetcher::Derive(const Enrolment& enrolment, const FetchAsk& ask,
                                       FetchResult* r) const {
  // Ke is sealed with its KeID's canonical text as associated data (docs/protocol.md 8).
  absl::StatusOr<SecretBytes> ke = opener_->OpenKe(enrolment.ke, enrolment.ke_id.ToString());
  if (!ke.ok()) {
    Log(Level::kError, "credential_fetch_unseal_failed",
        {{"ke_id", r->audited_ke_id},
         {"kek_version", absl::StrCat(enrolment.ke.kek_version)},
         {"status", ke.status().ToString()}});
    return absl::InternalError("stored Ke could not be opened");
  }
  absl::StatusOr<SecretBytes> key =
      r->is_km ? crypto::DeriveKm(*ke, enrolment.maf_id)
               : crypto::DeriveUsageConstrainedKey(*ke, ask.suid, r->target_id);
  if (!key.ok()) {
    Log(Level::kError, "credential_fetch_derive_failed",
        {{"ke_id", r->audited_ke_id}, {"status", key.status().ToString()}});
    return absl::InternalError(r->is_km ? "Km derivation failed" : "key derivation failed");
  }
  r->key = *std::move(key);
  return absl::OkStatus();
}

FetchResult CredentialFetcher::FetchOne(const FetchAsk& ask, absl::string_view binding) {
  const absl::Time start = absl::Now();
  FetchResult r = Prepare(ask);
  if (r.valid) {
    std::vector<absl::StatusOr<EnrolmentView>> views = store_->GetEnrolmentsByKeIds({r.ke_id});
    Decide(ask, std::move(views[0]), &r);
  }
  {
    AuditBatch audit;  // written before the caller answers
    Audit(ask, r, binding, &audit);
  }
  Count(r.outcome, absl::Now() - start);
  return r;
}

void CredentialFetcher::Audit(const FetchAsk& ask, const FetchResult& r, absl::string_view binding,
                              AuditBatch* batch) {
  batch->Add("credential_fetch", {{"caller", absl::StrJoin(ask.names, ",")},
                                  {"ke_id", r.audited_ke_id},
                                  {"suid", absl::StrCat(ask.suid)},
                                  {"target", r.target_id},
                                  {"binding", std::string(binding)},
                                  {"outcome", std::string(FetchOutcomeName(r.outcome))}});
}

void CredentialFetcher::Count(FetchOutcome outcome, absl::Duration took) const {
  if (options_.metrics != nullptr) options_.metrics->OnFetch(outcome, took);
}

}  // namespace mef
}  // namespace onem2m

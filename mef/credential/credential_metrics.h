// File: mef/credential/credential_metrics.h
//
// CredentialMetrics is the hook through which the credential service reports each fetch's outcome
// and latency, so the MEF main can feed Prometheus counters/histograms without this library
// depending on a metrics package. Outcomes are counted by cause (as Envoy counts TLS failures).
//
//   class PromMetrics : public onem2m::mef::CredentialMetrics {
//     void OnFetch(FetchOutcome o, absl::Duration d) override {
//       counter_[static_cast<int>(o)]->Increment(); latency_->Observe(absl::ToDoubleSeconds(d));
//     }
//   };
#ifndef ONEM2M_MEF_CREDENTIAL_CREDENTIAL_METRICS_H_
#define ONEM2M_MEF_CREDENTIAL_CREDENTIAL_METRICS_H_

#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace onem2m {
namespace mef {

// FetchOutcome is the outcome of one credential fetch (gRPC or HTTPS), as audited and counted.
enum class FetchOutcome {
  kOk,
  kInvalid,           // malformed KeID, suid 0, or no target given where one is needed
  kUnauthenticated,   // no DNS identity in the client certificate
  kNotFound,          // unknown / expired / disabled / revoked (one outcome on purpose)
  kPermissionDenied,  // caller is not the enrolee's MAF, nor an allowed {target, SUID}
  kUnavailable,       // store unreachable
  kError,             // invariant broke (Ke would not open, derivation failed)
};

// FetchOutcomeName returns the audit spelling: "ok", "invalid", "unauthenticated", "not_found",
// "permission_denied", "unavailable", "error".
absl::string_view FetchOutcomeName(FetchOutcome outcome);

// CredentialMetrics: see the file comment. OnFetch is called once per FetchCredential, from gRPC
// handler threads concurrently, so implementations must be thread-safe and quick.
class CredentialMetrics {
 public:
  virtual ~CredentialMetrics() = default;
  virtual void OnFetch(FetchOutcome outcome, absl::Duration latency) = 0;
};

}  // namespace mef
}  // namespace onem2m

#endif  // ONEM2M_MEF_CREDENTIAL_CREDENTIAL_METRICS_H_

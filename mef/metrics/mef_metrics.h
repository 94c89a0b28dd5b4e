// File: mef/metrics/mef_metrics.h
//
// MefMetrics turns the MEF's enrolment and credential-fetch events into Prometheus series (names
// per docs/operations.md); handshake series come from ops::HandshakeMetrics.
//   onem2m_mef_enrolments_total{outcome}
//   onem2m_mef_enrolment_duration_seconds
//   onem2m_mef_credential_fetches_total{outcome}
//   onem2m_mef_credential_fetch_duration_seconds
#ifndef ONEM2M_MEF_METRICS_MEF_METRICS_H_
#define ONEM2M_MEF_METRICS_MEF_METRICS_H_

#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>

#include "mef/bootstrap/enrolment_session.h"
#include "mef/credential/credential_metrics.h"

namespace onem2m::mef {

class MefMetrics : public EnrolmentObserver, public CredentialMetrics {
 public:
  explicit MefMetrics(prometheus::Registry& registry);

  // EnrolmentObserver
  void OnEnrolment(absl::string_view outcome, absl::Duration latency) override;
  // CredentialMetrics
  void OnFetch(FetchOutcome outcome, absl::Duration latency) override;

 private:
  prometheus::Family<prometheus::Counter>& enrolments_;
  prometheus::Histogram& enrolment_seconds_;
  prometheus::Family<prometheus::Counter>& fetches_;
  prometheus::Histogram& fetch_seconds_;
};

}  // namespace onem2m::mef

#endif  // ONEM2M_MEF_METRICS_MEF_METRICS_H_

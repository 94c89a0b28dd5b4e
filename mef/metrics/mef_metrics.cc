#include "mef/metrics/mef_metrics.h"

#include <string>

#include "common/ops/handshake_metrics.h"

namespace onem2m::mef {

MefMetrics::MefMetrics(prometheus::Registry& registry)
    : enrolments_(prometheus::BuildCounter()
                      .Name("onem2m_mef_enrolments_total")
                      .Help("Enrolment exchanges by outcome.")
                      .Register(registry)),
      enrolment_seconds_(prometheus::BuildHistogram()
                             .Name("onem2m_mef_enrolment_duration_seconds")
                             .Help("Enrolment request to durable answer.")
                             .Register(registry)
                             .Add({}, ops::LatencyBuckets())),
      fetches_(prometheus::BuildCounter()
                   .Name("onem2m_mef_credential_fetches_total")
                   .Help("Credential fetches by MAFs, by outcome.")
                   .Register(registry)),
      fetch_seconds_(prometheus::BuildHistogram()
                         .Name("onem2m_mef_credential_fetch_duration_seconds")
                         .Help("Credential fetch latency inside the MEF.")
                         .Register(registry)
                         .Add({}, ops::LatencyBuckets())) {}

void MefMetrics::OnEnrolment(absl::string_view outcome, absl::Duration latency) {
  enrolments_.Add({{"outcome", std::string(outcome)}}).Increment();
  if (outcome == "ok") enrolment_seconds_.Observe(absl::ToDoubleSeconds(latency));
}

void MefMetrics::OnFetch(FetchOutcome outcome, absl::Duration latency) {
  fetches_.Add({{"outcome", std::string(FetchOutcomeName(outcome))}}).Increment();
  fetch_seconds_.Observe(absl::ToDoubleSeconds(latency));
}

}  // namespace onem2m::mef

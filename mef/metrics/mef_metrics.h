// File: mef/metrics/mef_metrics.h
//
// MefMetrics turns the MEF's events into Prometheus series (names per docs/operations.md):
//   onem2m_mef_handshakes_total{transport,suite,outcome}
//   onem2m_mef_handshake_duration_seconds{transport}
//   onem2m_open_connections{transport}
//   onem2m_mef_enrolments_total{outcome}
//   onem2m_mef_enrolment_duration_seconds
//   onem2m_mef_credential_fetches_total{outcome}
//   onem2m_mef_credential_fetch_duration_seconds
//   onem2m_build_info{version,service}
// It is the observer the PSK server, the enrolment sessions and the credential service call.
#ifndef ONEM2M_MEF_METRICS_MEF_METRICS_H_
#define ONEM2M_MEF_METRICS_MEF_METRICS_H_

#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>

#include <memory>
#include <string>

#include "absl/synchronization/mutex.h"
#include "common/psk_server/session_handler.h"
#include "mef/bootstrap/enrolment_session.h"
#include "mef/credential/credential_metrics.h"

namespace onem2m::mef {

class MefMetrics : public server::ServerObserver,
                   public EnrolmentObserver,
                   public CredentialMetrics {
 public:
  MefMetrics(std::shared_ptr<prometheus::Registry> registry, const std::string& version);

  // server::ServerObserver
  void OnHandshake(const server::ConnectionInfo& info, server::HandshakeOutcome outcome,
                   absl::Duration elapsed) override;
  void OnSessionOpened(tls::Transport transport) override;
  void OnSessionClosed(tls::Transport transport) override;
  // EnrolmentObserver
  void OnEnrolment(absl::string_view outcome, absl::Duration latency) override;
  // CredentialMetrics
  void OnFetch(FetchOutcome outcome, absl::Duration latency) override;

  const std::shared_ptr<prometheus::Registry>& registry() const { return registry_; }

 private:
  std::shared_ptr<prometheus::Registry> registry_;
  prometheus::Family<prometheus::Counter>& handshakes_;
  prometheus::Family<prometheus::Histogram>& handshake_seconds_;
  prometheus::Family<prometheus::Gauge>& open_;
  prometheus::Family<prometheus::Counter>& enrolments_;
  prometheus::Histogram& enrolment_seconds_;
  prometheus::Family<prometheus::Counter>& fetches_;
  prometheus::Histogram& fetch_seconds_;
  absl::Mutex mu_;  // Family::Add is thread-safe, but we keep label lookups cheap and ordered
};

// HandshakeOutcomeName returns "ok", "bad_key", "timeout", "protocol_error", "rejected".
absl::string_view HandshakeOutcomeName(server::HandshakeOutcome outcome);

}  // namespace onem2m::mef

#endif  // ONEM2M_MEF_METRICS_MEF_METRICS_H_

// File: common/ops/handshake_metrics.h
//
// HandshakeMetrics is the PskServer observer both services use, exporting (with `prefix` =
// "onem2m_mef" or "onem2m_maf"):
//   <prefix>_handshakes_total{transport,suite,outcome}
//   <prefix>_handshake_duration_seconds{transport}      (successful handshakes)
//   onem2m_open_connections{transport}
//
//   HandshakeMetrics handshakes(registry, "onem2m_mef");
//   PskServer::Start(options, &factory, &handshakes);
#ifndef ONEM2M_COMMON_OPS_HANDSHAKE_METRICS_H_
#define ONEM2M_COMMON_OPS_HANDSHAKE_METRICS_H_

#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>

#include <memory>
#include <string>

#include "common/psk_server/session_handler.h"

namespace onem2m::ops {

class HandshakeMetrics : public server::ServerObserver {
 public:
  HandshakeMetrics(prometheus::Registry& registry, const std::string& prefix);

  void OnHandshake(const server::ConnectionInfo& info, server::HandshakeOutcome outcome,
                   absl::Duration elapsed) override;
  void OnPskLookup(tls::Transport transport, absl::Duration waited) override;
  void OnSessionOpened(tls::Transport transport) override;
  void OnSessionClosed(tls::Transport transport) override;

 private:
  prometheus::Family<prometheus::Counter>& handshakes_;
  prometheus::Family<prometheus::Histogram>& seconds_;
  prometheus::Family<prometheus::Histogram>& lookup_seconds_;
  prometheus::Family<prometheus::Gauge>& open_;
};

// HandshakeOutcomeName returns "ok", "bad_key", "timeout", "protocol_error", "rejected",
// "store_unavailable" or "over_capacity".
absl::string_view HandshakeOutcomeName(server::HandshakeOutcome outcome);

// LatencyBuckets are the histogram buckets every latency series uses (0.5 ms .. 5 s).
const prometheus::Histogram::BucketBoundaries& LatencyBuckets();

}  // namespace onem2m::ops

#endif  // ONEM2M_COMMON_OPS_HANDSHAKE_METRICS_H_

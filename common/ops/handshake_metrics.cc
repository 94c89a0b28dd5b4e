#include "common/ops/handshake_metrics.h"

namespace onem2m::ops {
namespace {

std::string TransportLabel(tls::Transport t) { return t == tls::Transport::kTls ? "tls" : "dtls"; }

}  // namespace

const prometheus::Histogram::BucketBoundaries& LatencyBuckets() {
  static const auto* b = new prometheus::Histogram::BucketBoundaries{
      0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5};
  return *b;
}

absl::string_view HandshakeOutcomeName(server::HandshakeOutcome outcome) {
  switch (outcome) {
    case server::HandshakeOutcome::kOk:
      return "ok";
    case server::HandshakeOutcome::kBadKey:
      return "bad_key";
    case server::HandshakeOutcome::kTimeout:
      return "timeout";
    case server::HandshakeOutcome::kProtocolError:
      return "protocol_error";
    case server::HandshakeOutcome::kRejected:
      return "rejected";
    case server::HandshakeOutcome::kStoreUnavailable:
      return "store_unavailable";
    case server::HandshakeOutcome::kOverCapacity:
      return "over_capacity";
  }
  return "unknown";
}

HandshakeMetrics::HandshakeMetrics(prometheus::Registry& registry, const std::string& prefix)
    : handshakes_(prometheus::BuildCounter()
                      .Name(prefix + "_handshakes_total")
                      .Help("PSK handshakes by transport, cipher suite and outcome.")
                      .Register(registry)),
      seconds_(prometheus::BuildHistogram()
                   .Name(prefix + "_handshake_duration_seconds")
                   .Help("First byte to the end of a successful handshake.")
                   .Register(registry)),
      lookup_seconds_(prometheus::BuildHistogram()
                          .Name(prefix + "_psk_lookup_duration_seconds")
                          .Help("How long handshakes waited for an asynchronous PSK lookup.")
                          .Register(registry)),
      open_(prometheus::BuildGauge()
                .Name("onem2m_open_connections")
                .Help("Open PSK sessions by transport.")
                .Register(registry)) {}

void HandshakeMetrics::OnHandshake(const server::ConnectionInfo& info,
                                   server::HandshakeOutcome outcome, absl::Duration elapsed) {
  std::string transport = TransportLabel(info.transport);
  handshakes_
      .Add({{"transport", transport},
            {"suite", info.cipher.empty() ? "none" : info.cipher},
            {"outcome", std::string(HandshakeOutcomeName(outcome))}})
      .Increment();
  if (outcome == server::HandshakeOutcome::kOk) {
    seconds_.Add({{"transport", transport}}, LatencyBuckets())
        .Observe(absl::ToDoubleSeconds(elapsed));
  }
}

void HandshakeMetrics::OnPskLookup(tls::Transport transport, absl::Duration waited) {
  lookup_seconds_.Add({{"transport", TransportLabel(transport)}}, LatencyBuckets())
      .Observe(absl::ToDoubleSeconds(waited));
}

void HandshakeMetrics::OnSessionOpened(tls::Transport transport) {
  open_.Add({{"transport", TransportLabel(transport)}}).Increment();
}

void HandshakeMetrics::OnSessionClosed(tls::Transport transport) {
  open_.Add({{"transport", TransportLabel(transport)}}).Decrement();
}

}  // namespace onem2m::ops

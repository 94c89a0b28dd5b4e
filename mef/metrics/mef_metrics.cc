#include "mef/metrics/mef_metrics.h"

namespace onem2m::mef {
namespace {

const prometheus::Histogram::BucketBoundaries& LatencyBuckets() {
  static const auto* b = new prometheus::Histogram::BucketBoundaries{
      0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5};
  return *b;
}

std::string TransportLabel(tls::Transport t) { return t == tls::Transport::kTls ? "tls" : "dtls"; }

}  // namespace

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
  }
  return "unknown";
}

MefMetrics::MefMetrics(std::shared_ptr<prometheus::Registry> registry, const std::string& version)
    : registry_(std::move(registry)),
      handshakes_(prometheus::BuildCounter()
                      .Name("onem2m_mef_handshakes_total")
                      .Help("Bootstrap handshakes by transport, cipher suite and outcome.")
                      .Register(*registry_)),
      handshake_seconds_(prometheus::BuildHistogram()
                             .Name("onem2m_mef_handshake_duration_seconds")
                             .Help("Time from first byte to the end of the handshake.")
                             .Register(*registry_)),
      open_(prometheus::BuildGauge()
                .Name("onem2m_open_connections")
                .Help("Open bootstrap sessions by transport.")
                .Register(*registry_)),
      enrolments_(prometheus::BuildCounter()
                      .Name("onem2m_mef_enrolments_total")
                      .Help("Enrolment exchanges by outcome.")
                      .Register(*registry_)),
      enrolment_seconds_(prometheus::BuildHistogram()
                             .Name("onem2m_mef_enrolment_duration_seconds")
                             .Help("Enrolment request to durable answer.")
                             .Register(*registry_)
                             .Add({}, LatencyBuckets())),
      fetches_(prometheus::BuildCounter()
                   .Name("onem2m_mef_credential_fetches_total")
                   .Help("Credential fetches by MAFs, by outcome.")
                   .Register(*registry_)),
      fetch_seconds_(prometheus::BuildHistogram()
                         .Name("onem2m_mef_credential_fetch_duration_seconds")
                         .Help("Credential fetch latency inside the MEF.")
                         .Register(*registry_)
                         .Add({}, LatencyBuckets())) {
  prometheus::BuildGauge()
      .Name("onem2m_build_info")
      .Help("Build information; the value is always 1.")
      .Register(*registry_)
      .Add({{"service", "mef"}, {"version", version}})
      .Set(1);
}

void MefMetrics::OnHandshake(const server::ConnectionInfo& info, server::HandshakeOutcome outcome,
                             absl::Duration elapsed) {
  std::string transport = TransportLabel(info.transport);
  handshakes_
      .Add({{"transport", transport},
            {"suite", info.cipher.empty() ? "none" : info.cipher},
            {"outcome", std::string(HandshakeOutcomeName(outcome))}})
      .Increment();
  if (outcome == server::HandshakeOutcome::kOk) {
    handshake_seconds_.Add({{"transport", transport}}, LatencyBuckets())
        .Observe(absl::ToDoubleSeconds(elapsed));
  }
}

void MefMetrics::OnSessionOpened(tls::Transport transport) {
  open_.Add({{"transport", TransportLabel(transport)}}).Increment();
}

void MefMetrics::OnSessionClosed(tls::Transport transport) {
  open_.Add({{"transport", TransportLabel(transport)}}).Decrement();
}

void MefMetrics::OnEnrolment(absl::string_view outcome, absl::Duration latency) {
  enrolments_.Add({{"outcome", std::string(outcome)}}).Increment();
  if (outcome == "ok") enrolment_seconds_.Observe(absl::ToDoubleSeconds(latency));
}

void MefMetrics::OnFetch(FetchOutcome outcome, absl::Duration latency) {
  fetches_.Add({{"outcome", std::string(FetchOutcomeName(outcome))}}).Increment();
  fetch_seconds_.Observe(absl::ToDoubleSeconds(latency));
}

}  // namespace onem2m::mef

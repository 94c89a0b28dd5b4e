#include "common/ops/handshake_metrics.h"

#include <prometheus/text_serializer.h>

#include "gtest/gtest.h"

namespace onem2m::ops {
namespace {

std::string Scrape(prometheus::Registry& r) {
  prometheus::TextSerializer s;
  return s.Serialize(r.Collect());
}

TEST(HandshakeMetricsTest, CountsByTransportSuiteAndOutcome) {
  prometheus::Registry registry;
  HandshakeMetrics m(registry, "onem2m_maf");
  server::ConnectionInfo tls;
  tls.transport = tls::Transport::kTls;
  tls.cipher = "TLS_PSK_WITH_AES_128_CBC_SHA256";
  m.OnHandshake(tls, server::HandshakeOutcome::kOk, absl::Milliseconds(3));
  m.OnHandshake(tls, server::HandshakeOutcome::kOk, absl::Milliseconds(4));
  server::ConnectionInfo dtls;
  dtls.transport = tls::Transport::kDtls;
  m.OnHandshake(dtls, server::HandshakeOutcome::kBadKey, absl::Milliseconds(1));
  m.OnSessionOpened(tls::Transport::kDtls);
  std::string text = Scrape(registry);
  EXPECT_NE(text.find("onem2m_maf_handshakes_total{outcome=\"ok\",suite=\"TLS_PSK_WITH_AES_128_CBC_"
                      "SHA256\",transport=\"tls\"} 2"),
            std::string::npos)
      << text;
  EXPECT_NE(
      text.find(
          "onem2m_maf_handshakes_total{outcome=\"bad_key\",suite=\"none\",transport=\"dtls\"} 1"),
      std::string::npos);
  EXPECT_NE(text.find("onem2m_maf_handshake_duration_seconds_count{transport=\"tls\"} 2"),
            std::string::npos);
  EXPECT_NE(text.find("onem2m_open_connections{transport=\"dtls\"} 1"), std::string::npos);
}

TEST(HandshakeMetricsTest, PskLookupWaitsByTransport) {
  prometheus::Registry registry;
  HandshakeMetrics m(registry, "onem2m_mef");
  m.OnPskLookup(tls::Transport::kTls, absl::Milliseconds(3));
  m.OnPskLookup(tls::Transport::kTls, absl::Milliseconds(30));
  m.OnPskLookup(tls::Transport::kDtls, absl::Microseconds(200));
  std::string text = Scrape(registry);
  EXPECT_NE(text.find("onem2m_mef_psk_lookup_duration_seconds_count{transport=\"tls\"} 2"),
            std::string::npos)
      << text;
  // 3 ms falls in the 5 ms bucket, 30 ms does not.
  EXPECT_NE(
      text.find("onem2m_mef_psk_lookup_duration_seconds_bucket{transport=\"tls\",le=\"0.005\"} 1"),
      std::string::npos)
      << text;
  EXPECT_NE(text.find("onem2m_mef_psk_lookup_duration_seconds_sum{transport=\"tls\"} 0.033"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("onem2m_mef_psk_lookup_duration_seconds_count{transport=\"dtls\"} 1"),
            std::string::npos);
}

}  // namespace
}  // namespace onem2m::ops

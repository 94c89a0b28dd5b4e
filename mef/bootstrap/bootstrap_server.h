// File: mef/bootstrap/bootstrap_server.h
//
// BootstrapServer is the MEF's device-facing side in one piece (docs/protocol.md 2-4): the KpmID ->
// Kpm resolver, the enrolment sessions and the TLS/DTLS PSK listeners, wired the same way for the
// mef_server binary, the end-to-end tests and the load generator.
//
//   BootstrapServerOptions o;
//   o.mef_fqdn = "mef.example.com";
//   o.tls_listen = {"[::]:8443"};
//   o.dtls_listen = {"[::]:5684"};
//   absl::StatusOr<std::unique_ptr<BootstrapServer>> s =
//       BootstrapServer::Start(o, store, &envelope, &enrolment_metrics, &handshake_metrics);
//   ...
//   (*s)->Shutdown(absl::Seconds(20));
#ifndef ONEM2M_MEF_BOOTSTRAP_BOOTSTRAP_SERVER_H_
#define ONEM2M_MEF_BOOTSTRAP_BOOTSTRAP_SERVER_H_

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "common/crypto/envelope.h"
#include "common/psk_server/psk_server.h"
#include "common/tls/psk_config.h"
#include "mef/bootstrap/enrolment_session.h"
#include "mef/bootstrap/kpm_resolver.h"
#include "mef/store/enrolee_store.h"

namespace onem2m::mef {

struct BootstrapServerOptions {
  std::string mef_fqdn;  // KeID suffix; also the required SNI when require_sni
  bool require_sni = true;
  std::vector<std::string> tls_listen;        // e.g. "[::]:8443"; empty: no TLS
  std::vector<std::string> dtls_listen;       // e.g. "[::]:5684"; empty: no DTLS
  std::vector<tls::CipherSuite> tls_suites;   // empty: docs/protocol.md defaults
  std::vector<tls::CipherSuite> dtls_suites;  // empty: docs/protocol.md defaults
  tls::Tls13Options tls13;                    // TLS 1.3 external PSK on the TLS port (opt-in)
  absl::Duration handshake_timeout = absl::Seconds(10);
  absl::Duration idle_timeout = absl::Seconds(30);
  absl::Duration default_lifetime = absl::Hours(24);
  // The MAF URIs of the full enrolment answer (TS-0003 Table 8.3.2.1-3); see EnrolmentConfig and
  // MafUrisFor. Empty: derived.
  std::string default_maf_uri;
  std::string maf_client_registration_uri;
  std::string maf_key_registration_uri;
  std::string maf_key_retrieval_uri;
  int io_threads = 2;
  int max_sessions_per_source = 256;
  int max_sessions = 10000;          // server-wide cap on open sessions (0: none)
  int64_t memory_budget_bytes = 0;   // heap in use past which new sessions are refused (0: none)
  server::ExchangeOptions exchange;  // binding switches (CoAP legacy option numbers)
};

// ValidateMafUri checks one of the MAF URIs a MEF hands out (BootstrapServerOptions'
// default_maf_uri and maf_*_uri): empty (derived) or an absolute URI in printable ASCII without
// spaces that fits an answer. InvalidArgument otherwise.
absl::Status ValidateMafUri(absl::string_view uri);

// MafUriOptions lists the MAF URIs of `o` by their option (and flag) names, so that Start and the
// service's flag check name the same option for a bad one.
std::vector<std::pair<const char*, const std::string*>> MafUriOptions(
    const BootstrapServerOptions& o);

class BootstrapServer {
 public:
  // Start validates the options, builds the PSK contexts and starts listening. `store` and
  // `envelope` must outlive the server; the observers may be null.
  static absl::StatusOr<std::unique_ptr<BootstrapServer>> Start(
      const BootstrapServerOptions& options, EnroleeStore* store, const crypto::Envelope* envelope,
      EnrolmentObserver* enrolments, server::ServerObserver* handshakes);

  const std::vector<net::SocketAddress>& tls_addresses() const { return server_->tls_addresses(); }
  const std::vector<net::SocketAddress>& dtls_addresses() const {
    return server_->dtls_addresses();
  }
  int open_sessions() const { return server_->open_sessions(); }

  // Shutdown drains (see PskServer::Shutdown). Idempotent; also run by the destructor.
  void Shutdown(absl::Duration grace) { server_->Shutdown(grace); }

 private:
  BootstrapServer() = default;
  std::shared_ptr<KpmResolver> resolver_;
  std::unique_ptr<EnrolmentSessionFactory> factory_;
  std::unique_ptr<server::PskServer> server_;  // last: stops before what it uses goes away
};

}  // namespace onem2m::mef

#endif  // ONEM2M_MEF_BOOTSTRAP_BOOTSTRAP_SERVER_H_

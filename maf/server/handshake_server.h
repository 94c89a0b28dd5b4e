// File: maf/server/handshake_server.h
//
// HandshakeServer is the MAF's device-facing side in one piece (docs/protocol.md 7): TLS/DTLS PSK
// listeners whose PSK is Km (MafPskResolver over KmResolver), and sessions serving the MAF
// procedures (MafRequestHandler) on request workers. The maf_server binary, the end-to-end tests
// and the load generator all run it, so what is tested is what ships.
//
//   HandshakeServerOptions o;
//   o.maf_fqdn = "maf.example.com";
//   o.tls_listen = {"[::]:8443"};
//   absl::StatusOr<std::unique_ptr<HandshakeServer>> s =
//       HandshakeServer::Start(o, store, &envelope, km_resolver, on_answer, &handshake_metrics);
#ifndef ONEM2M_MAF_SERVER_HANDSHAKE_SERVER_H_
#define ONEM2M_MAF_SERVER_HANDSHAKE_SERVER_H_

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/crypto/envelope.h"
#include "common/psk_server/psk_server.h"
#include "common/tls/psk_config.h"
#include "maf/km_resolver/km_resolver.h"
#include "maf/server/maf_session_factory.h"
#include "maf/store/maf_store.h"

namespace onem2m::maf {

struct HandshakeServerOptions {
  std::string maf_fqdn;    // MAF-ID: Key Identifier suffix; required SNI if asked
  std::string admin_fqdn;  // adminFQDN (TS-0003 8.8.3.2); empty: maf_fqdn
  bool require_sni = false;
  std::vector<std::string> tls_listen;        // empty: no TLS
  std::vector<std::string> dtls_listen;       // empty: no DTLS
  std::vector<tls::CipherSuite> tls_suites;   // empty: docs/protocol.md defaults
  std::vector<tls::CipherSuite> dtls_suites;  // empty: docs/protocol.md defaults
  tls::Tls13Options tls13;                    // TLS 1.3 external PSK on the TLS port (opt-in)
  absl::Duration handshake_timeout = absl::Seconds(10);
  absl::Duration fetch_timeout = absl::Seconds(2);  // one Km fetch inside a KeID handshake
  absl::Duration idle_timeout = absl::Seconds(30);
  int io_threads = 2;
  int request_workers = 8;  // the procedures use the store: they run here
  int max_sessions_per_source = 256;
  int max_sessions = 10000;          // server-wide cap on open sessions (0: none)
  int64_t memory_budget_bytes = 0;   // heap in use past which new sessions are refused (0: none)
  server::ExchangeOptions exchange;  // binding switches (CoAP legacy option numbers)
  // Each completed handshake is noted for the admin view (handshake_recorder.h).
  HandshakeRecorderOptions handshake_records;
};

// OnAnswer hears the oneM2M RSC of every procedure answered (metrics); may be empty. Called from
// the workers and from the store's writer thread, at once.
using OnAnswer = std::function<void(const std::string& path, int rsc)>;

class HandshakeServer {
 public:
  // Start builds the PSK contexts and starts listening. `store`, `envelope` and the observer must
  // outlive the server; the observer may be null.
  static absl::StatusOr<std::unique_ptr<HandshakeServer>> Start(
      const HandshakeServerOptions& options, MafStore* store, const crypto::Envelope* envelope,
      std::shared_ptr<KmResolver> km_resolver, OnAnswer on_answer,
      server::ServerObserver* observer);

  const std::vector<net::SocketAddress>& tls_addresses() const { return server_->tls_addresses(); }
  const std::vector<net::SocketAddress>& dtls_addresses() const {
    return server_->dtls_addresses();
  }

  // Shutdown drains (see PskServer::Shutdown). Idempotent; also run by the destructor.
  void Shutdown(absl::Duration grace) { server_->Shutdown(grace); }
  // open_sessions counts TLS and DTLS sessions open now.
  int open_sessions() const { return server_->open_sessions(); }

  // Stops the server, then waits until the store has answered every Client Registration it queued
  // (MafRequestHandler::HandleAsync): those answers call `on_answer` from the store's thread, and
  // nothing given to Start may be used once this returns.
  ~HandshakeServer();

 private:
  class PendingAnswers;  // Client Registrations queued in the store and not yet answered
  HandshakeServer() = default;
  std::shared_ptr<PendingAnswers> pending_;
  std::unique_ptr<HandshakeRecorder> recorder_;  // outlives the sessions that note into it
  std::unique_ptr<MafSessionFactory> factory_;
  std::unique_ptr<server::PskServer> server_;  // last: stops before the factory goes
};

}  // namespace onem2m::maf

#endif  // ONEM2M_MAF_SERVER_HANDSHAKE_SERVER_H_

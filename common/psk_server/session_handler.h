// File: common/psk_server/session_handler.h
//
// What a PskServer (psk_server.h) asks of the service behind it. The server owns sockets, the
// TLS/DTLS handshake, deadlines and framing; the service sees one SessionHandler per secured
// session, made by its SessionHandlerFactory right after the handshake, and answers requests.
//
//   class EnrolmentFactory : public SessionHandlerFactory {
//     absl::StatusOr<std::unique_ptr<SessionHandler>> OnHandshake(
//         tls::PskSession& session, const ConnectionInfo& info) override {
//       auto keys = session.Export(kBootstrapLabel, 48);      // on the I/O thread only
//       ...
//     }
//   };
#ifndef ONEM2M_COMMON_PSK_SERVER_SESSION_HANDLER_H_
#define ONEM2M_COMMON_PSK_SERVER_SESSION_HANDLER_H_

#include <functional>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "common/http/http_message.h"
#include "common/tls/psk_config.h"
#include "common/tls/psk_session.h"

namespace onem2m::server {

// ConnectionInfo describes a secured session to its handler and to observers.
struct ConnectionInfo {
  tls::Transport transport = tls::Transport::kTls;
  std::string peer;          // "192.0.2.1:40000" / "[2001:db8::1]:40000"
  std::string psk_identity;  // as presented by the client (KpmID, KeID or KmID)
  std::string cipher;        // IANA suite name
};

// SessionHandler serves the requests of one secured session. Its methods run on the session's
// I/O thread; `respond` may be called later from any thread, exactly once. The server sends
// nothing else on the session until it is called, and drops the answer if the session closed.
class SessionHandler {
 public:
  virtual ~SessionHandler() = default;

  // OnHttpRequest receives one HTTP/1.1 request read from a TLS session.
  virtual void OnHttpRequest(http::HttpRequest request,
                             std::function<void(http::HttpResponse)> respond) = 0;

  // OnDatagram receives one application datagram from a DTLS session (a CoAP message in this
  // project). `respond` takes the datagram to send back, or "" to send nothing.
  virtual void OnDatagram(std::string datagram, std::function<void(std::string)> respond) = 0;

  // ExchangeOver is true once the handler will serve nothing more on this session (for example
  // the end of the MEF's enrolment exchange, TS-0003 8.3.2.1): the server sends the answer being
  // delivered, then closes the session (close_notify; HTTP answers get "Connection: close").
  // Read on the I/O thread when an answer arrives, so set it before calling `respond`.
  virtual bool ExchangeOver() const { return false; }
};

// SessionHandlerFactory makes the handler of each session once its handshake succeeded.
class SessionHandlerFactory {
 public:
  virtual ~SessionHandlerFactory() = default;

  // OnHandshake runs on the I/O thread right after the handshake. `session` stays valid for as
  // long as the handler made here lives (the server destroys the handler first), and only on
  // this I/O thread: export keying material here, or later from the handler's own methods, never
  // from a worker. An error closes the session.
  virtual absl::StatusOr<std::unique_ptr<SessionHandler>> OnHandshake(
      tls::PskSession& session, const ConnectionInfo& info) = 0;
};

// HandshakeOutcome classifies a finished or abandoned handshake for metrics.
enum class HandshakeOutcome {
  kOk,
  kBadKey,         // wrong key or unknown/unusable identity (indistinguishable to the peer)
  kTimeout,        // handshake deadline passed
  kProtocolError,  // malformed input, no shared suite, bad SNI, transport error
  kRejected,       // refused before the handshake: per-source cap, shutting down
  // The PSK lookup itself failed (store or upstream down, timeout, overload): the handshake was
  // aborted with internal_error (docs/protocol.md 2). Counted apart from kBadKey so an outage
  // shows as one, in metrics and alerts.
  kStoreUnavailable,
  // Refused before the handshake because the server is full: its cap on open sessions
  // (--max_sessions) or its memory budget (--memory_budget_bytes). No TLS state was made.
  kOverCapacity,
};

// ServerObserver receives events for metrics and logs. Methods may run on any I/O thread at once
// and must be cheap. The default implementation ignores everything.
class ServerObserver {
 public:
  virtual ~ServerObserver() = default;
  virtual void OnHandshake(const ConnectionInfo& info, HandshakeOutcome outcome,
                           absl::Duration elapsed) {}
  // A handshake paused on an asynchronous PSK lookup was resumed `waited` after it paused, found
  // or not: the store's (or upstream's) answer and the I/O thread's queue, as the handshake felt
  // them. Lookups answered without a pause are not reported.
  virtual void OnPskLookup(tls::Transport transport, absl::Duration waited) {}
  virtual void OnSessionOpened(tls::Transport transport) {}
  virtual void OnSessionClosed(tls::Transport transport) {}
};

}  // namespace onem2m::server

#endif  // ONEM2M_COMMON_PSK_SERVER_SESSION_HANDLER_H_

// File: common/psk_server/psk_server.h
//
// PskServer terminates TLS 1.2-PSK over TCP and DTLS 1.2-PSK over UDP for the MEF and the MAF:
// a few I/O threads, each an epoll loop with its own SO_REUSEPORT listeners, serve every session,
// so thousands of concurrent handshakes need no thread each. Per session it enforces a handshake
// deadline and an idle deadline; per source address a cap on open sessions; server-wide a cap on
// sessions and a memory budget (past them new sessions are refused, counted as over_capacity); a
// TLS connection gets its OpenSSL state only once its first record has arrived; for DTLS the cookie
// exchange (no state for a peer until its cookie returns). Requests are framed as HTTP/1.1 (TLS)
// or passed as datagrams (DTLS) to the service's SessionHandler (session_handler.h).
// Handshakes run on the I/O threads, so a PSK resolver that may wait (a store read, a remote
// fetch) must answer asynchronously (PskResolver::SupportsAsync): a pending lookup pauses its
// session, not the thread.
//
//   PskServerOptions options;
//   options.tls_listen = {"[::]:8443"};
//   options.dtls_listen = {"[::]:5684"};
//   options.tls_context = *tls::PskContext::NewServer(tls_options, resolver);
//   options.dtls_context = *tls::PskContext::NewServer(dtls_options, resolver);
//   absl::StatusOr<std::unique_ptr<PskServer>> server =
//       PskServer::Start(options, &factory, &observer);
//   ...
//   (*server)->Shutdown(absl::Seconds(20));   // SIGTERM: drain, then close
//
// Thread safety: Start, Shutdown and the accessors may be called from any thread.
#ifndef ONEM2M_COMMON_PSK_SERVER_PSK_SERVER_H_
#define ONEM2M_COMMON_PSK_SERVER_PSK_SERVER_H_

#include <atomic>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/http/http_message.h"
#include "common/net/socket_util.h"
#include "common/psk_server/session_handler.h"
#include "common/tls/psk_context.h"
#include "common/tls/psk_resolver.h"

namespace onem2m::server {

struct PskServerOptions {
  // Addresses to serve, e.g. "[::]:8443" (dual stack), "127.0.0.1:0" (any free port).
  std::vector<std::string> tls_listen;
  std::vector<std::string> dtls_listen;
  // Server contexts; required when the matching listen list is not empty.
  std::shared_ptr<const tls::PskContext> tls_context;
  std::shared_ptr<const tls::PskContext> dtls_context;
  // I/O threads (each one epoll loop).
  int io_threads = 2;
  // A session with no request in flight is closed after this long.
  absl::Duration idle_timeout = absl::Seconds(30);
  // Open sessions (and DTLS sessions) one source address may hold; 0 = unlimited.
  int max_sessions_per_source = 256;
  // Open sessions the whole server may hold (TLS and DTLS, all sources); 0 = unlimited. Past it,
  // and past the memory budget, new sessions are refused (capacity_guard.h).
  int max_sessions = 10000;
  // Heap bytes in use (glibc mallinfo2, sampled every 100 ms) past which new sessions are
  // refused; 0 = no budget.
  int64_t memory_budget_bytes = 0;
  // How often the heap trimmer checks whether sessions dropped enough to give memory back
  // (heap_trimmer.h); zero: never.
  absl::Duration heap_trim_interval = absl::Seconds(5);
  http::HttpLimits http_limits;
  // Largest DTLS application datagram accepted.
  size_t max_datagram_bytes = 1500;
};

// AddServerContexts sets options->tls_context and ->dtls_context for each non-empty listen list:
// server contexts with the given suites (empty: docs/protocol.md defaults), SNI requirement (empty:
// none) and handshake deadline, resolving every PSK through `resolver`; `tls13` opts the TLS
// context into TLS 1.3 external PSK (docs/protocol.md 2a; DTLS stays 1.2). kInvalidArgument for a
// forbidden suite.
absl::Status AddServerContexts(PskServerOptions* options,
                               const std::vector<tls::CipherSuite>& tls_suites,
                               const std::vector<tls::CipherSuite>& dtls_suites,
                               const std::string& required_sni, absl::Duration handshake_timeout,
                               std::shared_ptr<tls::PskResolver> resolver,
                               const tls::Tls13Options& tls13 = {});

class PskServer {
 public:
  // Start binds every listener and starts the I/O threads. The factory and observer (may be null)
  // must outlive the server.
  static absl::StatusOr<std::unique_ptr<PskServer>> Start(PskServerOptions options,
                                                          SessionHandlerFactory* factory,
                                                          ServerObserver* observer);
  ~PskServer();
  PskServer(const PskServer&) = delete;
  PskServer& operator=(const PskServer&) = delete;

  // Bound addresses (with the real port when 0 was asked for), in the order of the options.
  const std::vector<net::SocketAddress>& tls_addresses() const { return tls_addresses_; }
  const std::vector<net::SocketAddress>& dtls_addresses() const { return dtls_addresses_; }

  // Shutdown stops accepting new sessions, lets sessions with a handshake or a request in flight
  // finish for up to `grace`, then closes everything and joins the threads. Idempotent.
  void Shutdown(absl::Duration grace);

  // open_sessions counts sessions open now (all threads).
  int open_sessions() const;

  struct Impl;

 private:
  PskServer() = default;
  std::vector<net::SocketAddress> tls_addresses_;
  std::vector<net::SocketAddress> dtls_addresses_;
  std::unique_ptr<Impl> impl_;
};

}  // namespace onem2m::server

#endif  // ONEM2M_COMMON_PSK_SERVER_PSK_SERVER_H_

// File: mef/spec_fetch/mtls_http_server.h
//
// MtlsHttpServer is a small HTTPS/1.1 server over OpenSSL 3 that requires and verifies a client
// certificate against a CA bundle (the same files the gRPC mutual-TLS ports use,
// common/grpc/mtls.h) and hands each parsed request (common/http/request_parser.h) with the DNS
// names of the caller's certificate to a handler. It serves the MEF's HTTPS credential fetch
// (spec_fetch_handler.h), a low-rate API for a few Enrolment Targets, so it is plain:
//
//   - one thread per connection, at most `max_connections` at once; a connection beyond the cap is
//     closed at once (before the TLS handshake);
//   - every connection has one deadline (`connection_deadline`, from accept): the handshake, each
//     read and each write wait at most until then, so a slow or silent client cannot hold a thread;
//   - keep-alive: up to `max_requests_per_connection` requests in sequence; "Connection: close"
//     ends the connection after the answer;
//   - a request the parser refuses (bad syntax, too large, chunked, ...) gets the parser's HTTP
//     status and the connection closes; bad input never reaches the handler.
//
//   MtlsHttpServer::Options o;
//   o.tls = {"/tls/mef.crt", "/tls/mef.key", "/tls/ca.crt"};
//   auto server = MtlsHttpServer::Create("0.0.0.0:9444", o, handler);
//   if (!server.ok()) return server.status();
//   (*server)->Start();
//   ...
//   (*server)->Stop();   // closes the listener and open connections, joins every thread
//
// TLS: version 1.2 or 1.3; the client must present a certificate that chains to `tls.ca_file`
// (SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT), or the handshake fails.
//
// Thread safety: Start and Stop once each; the handler runs on connection threads concurrently.
#ifndef ONEM2M_MEF_SPEC_FETCH_MTLS_HTTP_SERVER_H_
#define ONEM2M_MEF_SPEC_FETCH_MTLS_HTTP_SERVER_H_

#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_set.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "common/grpc/mtls.h"
#include "common/http/http_message.h"
#include "common/openssl_util.h"

namespace onem2m {
namespace mef {

class MtlsHttpServer {
 public:
  // Handler answers one request from a caller whose verified certificate names `peer_dns_names`
  // (DNS subject alternative names; never empty). It must not throw.
  using Handler = std::function<http::HttpResponse(const http::HttpRequest& request,
                                                   const std::vector<std::string>& peer_dns_names)>;

  struct Options {
    grpcutil::TlsFiles tls;
    int max_connections = 64;
    absl::Duration connection_deadline = absl::Seconds(10);
    int max_requests_per_connection = 100;
    http::HttpLimits limits;
    // A new connection re-reads the certificate, key and CA files at most this often; changed
    // files that load replace the old ones for new handshakes (renewal without a restart).
    absl::Duration reload_interval = absl::Seconds(10);
  };

  // Create loads the certificate, key and CA and binds `address` ("host:port", "[v6]:port"; port 0
  // picks a free one). InvalidArgument for a bad address or option, and the file or OpenSSL error
  // otherwise.
  static absl::StatusOr<std::unique_ptr<MtlsHttpServer>> Create(const std::string& address,
                                                                Options options, Handler handler);
  ~MtlsHttpServer();

  // port is the bound port.
  int port() const { return port_; }

  // Start starts accepting.
  void Start();
  // Stop stops accepting, shuts open connections down and waits for their threads.
  void Stop();

  // Counters, for tests and metrics.
  int64_t connections_refused_at_cap() const { return refused_.load(); }
  int64_t handshakes_failed() const { return handshake_failures_.load(); }
  // Certificate files reloaded, and renewals refused (the old files stay in use).
  int64_t reloads() { absl::MutexLock l(&ctx_mu_); return reloads_; }
  int64_t reload_errors() { absl::MutexLock l(&ctx_mu_); return reload_errors_; }

 private:
  MtlsHttpServer(Options options, Handler handler, SslCtxPtr ctx, int listen_fd, int port);

  void AcceptLoop();
  // Serve runs one connection to its end on thread `id`; it owns `fd`.
  void Serve(int fd, int64_t id);
  // Reap joins the threads of finished connections.
  void Reap();
  // Converse reads requests from `ssl` and answers them until the connection should end.
  void Converse(SSL* ssl, int fd, absl::Time deadline, const std::vector<std::string>& names);
  // CurrentContext is the TLS context for a new connection, reloaded when the files changed.
  std::shared_ptr<SSL_CTX> CurrentContext();

  const Options options_;
  const Handler handler_;
  absl::Mutex ctx_mu_;
  std::shared_ptr<SSL_CTX> ctx_ ABSL_GUARDED_BY(ctx_mu_);
  std::string loaded_digest_ ABSL_GUARDED_BY(ctx_mu_);
  std::string rejected_digest_ ABSL_GUARDED_BY(ctx_mu_);
  absl::Time checked_at_ ABSL_GUARDED_BY(ctx_mu_);
  int64_t reloads_ ABSL_GUARDED_BY(ctx_mu_) = 0;
  int64_t reload_errors_ ABSL_GUARDED_BY(ctx_mu_) = 0;
  const int listen_fd_;
  const int port_;
  int wake_fds_[2] = {-1, -1};  // a pipe: Stop writes to wake the accept loop

  std::thread acceptor_;
  absl::Mutex mu_;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  bool started_ ABSL_GUARDED_BY(mu_) = false;
  int active_ ABSL_GUARDED_BY(mu_) = 0;
  int64_t next_thread_id_ ABSL_GUARDED_BY(mu_) = 0;
  std::map<int64_t, std::thread> threads_ ABSL_GUARDED_BY(mu_);  // live or not yet joined
  std::vector<int64_t> finished_ ABSL_GUARDED_BY(mu_);            // ids ready to join
  absl::flat_hash_set<int> open_fds_ ABSL_GUARDED_BY(mu_);
  std::atomic<int64_t> refused_{0};
  std::atomic<int64_t> handshake_failures_{0};
};

// PeerCertificateDnsNames returns the DNS subject alternative names of the verified peer
// certificate of `ssl` (empty when there is none or it did not verify).
std::vector<std::string> PeerCertificateDnsNames(SSL* ssl);

}  // namespace mef
}  // namespace onem2m

#endif  // ONEM2M_MEF_SPEC_FETCH_MTLS_HTTP_SERVER_H_

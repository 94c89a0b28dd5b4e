// File: common/tls/blocking_client.h
//
// BlockingClient is the simple client for the device (Enrolee) and for tests: connect to
// host:port over TCP (TLS) or UDP (DTLS), handshake, exchange application data, all bounded by
// deadlines. It drives a PskSession over a non-blocking socket with poll(), so it uses the same
// code path as the servers.
//
//   ClientOptions options;
//   options.transport = Transport::kDtls;
//   options.psk_identity = kpm_id;
//   options.psk = kpm;
//   options.server_name = "mef.example.com";
//   absl::StatusOr<std::shared_ptr<const PskContext>> ctx = PskContext::NewClient(options);
//   if (!ctx.ok()) return ctx.status();
//   absl::Time deadline = absl::Now() + absl::Seconds(10);
//   absl::StatusOr<std::unique_ptr<BlockingClient>> client =
//       BlockingClient::Connect(*ctx, "mef.example.com", 5684, deadline);
//   if (!client.ok()) return client.status();
//   absl::StatusOr<SecretBytes> km = (*client)->session().Export(kBootstrapExporterLabel, 48);
//   absl::Status s = (*client)->Write(request, deadline);
//   absl::StatusOr<std::string> answer = (*client)->Read(4096, deadline);
//   (*client)->Close(deadline);
//
// Process effect: the first Connect sets SIGPIPE to ignored (as gRPC does), so a peer closing the
// connection is an error status, not a killed process.
//
// Thread safety: none. Name resolution (getaddrinfo) is not bounded by the deadline; pass an IP
// literal where that matters.
#ifndef ONEM2M_COMMON_TLS_BLOCKING_CLIENT_H_
#define ONEM2M_COMMON_TLS_BLOCKING_CLIENT_H_

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "common/tls/psk_context.h"
#include "common/tls/psk_session.h"

namespace onem2m {
namespace tls {

class BlockingClient {
 public:
  // Connect opens a socket to `host`:`port` (TCP for a TLS context, UDP for DTLS; every address
  // of `host` in turn) and completes the handshake before `deadline`. Errors: kDeadlineExceeded,
  // kUnavailable (connection refused, reset, ICMP unreachable), kUnauthenticated (handshake
  // failed: wrong key, unknown identity, SNI refused, no common suite), kInvalidArgument.
  static absl::StatusOr<std::unique_ptr<BlockingClient>> Connect(
      std::shared_ptr<const PskContext> ctx, absl::string_view host, uint16_t port,
      absl::Time deadline);

  ~BlockingClient();
  BlockingClient(const BlockingClient&) = delete;
  BlockingClient& operator=(const BlockingClient&) = delete;

  // session returns the established session (exports, cipher, identity).
  PskSession& session() { return *session_; }

  // Write sends all of `data` (TLS) or `data` as one datagram (DTLS).
  absl::Status Write(absl::string_view data, absl::Time deadline);

  // Read returns 1..max_len bytes (TLS) or one datagram (DTLS), or "" once the peer sent
  // close_notify.
  absl::StatusOr<std::string> Read(size_t max_len, absl::Time deadline);

  // Close sends close_notify (best effort, bounded by `deadline`) and closes the socket.
  absl::Status Close(absl::Time deadline);

 private:
  BlockingClient(int fd, std::unique_ptr<PskSession> session);
  // Drive repeats `op` while it wants I/O, waiting on the socket and DTLS timers.
  absl::StatusOr<Step> Drive(const std::function<Step()>& op, absl::Time deadline);
  absl::Status Flush();

  int fd_;
  std::unique_ptr<PskSession> session_;
};

}  // namespace tls
}  // namespace onem2m

#endif  // ONEM2M_COMMON_TLS_BLOCKING_CLIENT_H_

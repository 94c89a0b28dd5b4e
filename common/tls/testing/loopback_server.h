// File: common/tls/testing/loopback_server.h
//
// TEST ONLY. A one-thread TLS or DTLS server on a loopback port (port 0), built on PskSession and
// DtlsListener the way the MEF/MAF event loops use them. It serves one connection (TLS) or peer
// (DTLS) at a time, records each handshake's outcome, then echoes application data until the
// peer closes.
//
//   auto server = LoopbackServer::Start(server_ctx, "127.0.0.1");
//   ... BlockingClient::Connect(client_ctx, "127.0.0.1", server->port(), deadline) ...
//   LoopbackServer::Result r = server->Wait(absl::Seconds(5));
#ifndef ONEM2M_COMMON_TLS_TESTING_LOOPBACK_SERVER_H_
#define ONEM2M_COMMON_TLS_TESTING_LOOPBACK_SERVER_H_

#include <atomic>
#include <cstdint>
#include <deque>
#include <memory>
#include <string>
#include <thread>

#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "common/secret_bytes.h"
#include "common/tls/psk_context.h"
#include "common/tls/psk_session.h"

namespace onem2m {
namespace tls {
namespace testing {

class LoopbackServer {
 public:
  struct Result {
    absl::Status status;           // OK if the handshake completed.
    SecretBytes bootstrap_export;  // 48 bytes, EXPORTER-oneM2M-Bootstrap.
    std::string psk_identity;
    PskLookup psk_lookup = PskLookup::kNotAsked;
    absl::Status lookup_status;
    uint16_t cipher_id = 0;
    int protocol_version = 0;
    bool psk_imported = false;
    bool ephemeral_key_exchange = false;
    std::string server_name;
    int alert_sent = -1;
    int alert_received = -1;
    // DTLS: HelloVerifyRequests sent to this peer, and datagrams that reached the listener.
    int hello_verify_requests = 0;
    int listener_datagrams = 0;
  };

  // Start binds `address` port 0 and starts serving. Aborts the test on setup failure.
  static std::unique_ptr<LoopbackServer> Start(std::shared_ptr<const PskContext> ctx,
                                               const std::string& address);
  ~LoopbackServer();

  uint16_t port() const { return port_; }

  // Wait returns the next handshake outcome, or a kDeadlineExceeded result after `timeout`.
  Result Wait(absl::Duration timeout);

  // sessions_created returns how many DTLS sessions the listener produced (per-peer state).
  int sessions_created() const { return sessions_created_.load(); }

 private:
  LoopbackServer() = default;
  void RunTls();
  void RunDtls();
  void Push(Result r);

  std::shared_ptr<const PskContext> ctx_;
  int fd_ = -1;
  uint16_t port_ = 0;
  std::atomic<bool> stop_{false};
  std::atomic<int> sessions_created_{0};
  std::thread thread_;
  absl::Mutex mu_;
  std::deque<Result> results_ ABSL_GUARDED_BY(mu_);
};

}  // namespace testing
}  // namespace tls
}  // namespace onem2m

#endif  // ONEM2M_COMMON_TLS_TESTING_LOOPBACK_SERVER_H_

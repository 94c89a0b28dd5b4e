// File: tests/e2e/tcp_proxy.h
//
// TcpProxy is a test-only TCP relay on 127.0.0.1 in front of a real server (PostgreSQL), whose
// behaviour the test switches at run time to play the database's failures:
//   kForward    relays bytes both ways (a working database);
//   kRefuse     closes every relayed connection and stops listening, so connects are refused (a
//               stopped database);
//   kBlackHole  keeps listening and accepting but relays nothing, on new and open connections
//               alike: every connect "succeeds" and no byte ever comes back (a database lost in the
//               network). Leaving it closes the stalled connections, as TCP eventually would.
// Loopback only; one thread.
//
//   TcpProxy proxy("127.0.0.1", pg_port);
//   std::string conninfo = pg + " host=127.0.0.1 port=" + std::to_string(proxy.port());
//   proxy.SetMode(TcpProxy::Mode::kRefuse);
#ifndef ONEM2M_TESTS_E2E_TCP_PROXY_H_
#define ONEM2M_TESTS_E2E_TCP_PROXY_H_

#include <atomic>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace onem2m::e2e {

class TcpProxy {
 public:
  enum class Mode { kForward, kRefuse, kBlackHole };

  // TcpProxy listens on 127.0.0.1:0 (aborts the test process if it cannot) in kForward mode.
  TcpProxy(std::string upstream_host, int upstream_port);
  ~TcpProxy();
  TcpProxy(const TcpProxy&) = delete;
  TcpProxy& operator=(const TcpProxy&) = delete;

  int port() const { return port_; }
  // SetMode switches the behaviour; it has taken effect when SetMode returns.
  void SetMode(Mode mode);
  // accepted counts the connections accepted so far (in kForward also those closed at once because
  // the upstream refused them), so a test can wait for a client's next connection attempt.
  int accepted();
  // WaitForAccepted waits until accepted() >= n or `timeout` passes; returns whether it got there.
  bool WaitForAccepted(int n, absl::Duration timeout);

 private:
  struct Pair {
    int client = -1;
    int upstream = -1;
  };

  void Run();
  void Listen();
  void CloseAll();
  void Accept(Mode mode);
  bool Relay(int from, int to);

  const std::string upstream_host_;
  const int upstream_port_;
  int listen_fd_ = -1;
  int port_ = 0;
  std::atomic<Mode> mode_{Mode::kForward};
  absl::Mutex applied_mu_;
  absl::CondVar applied_cv_;                      // signalled when applied_ grows
  int applied_ ABSL_GUARDED_BY(applied_mu_) = 0;  // SetMode generation the loop has applied
  int accepted_ ABSL_GUARDED_BY(applied_mu_) = 0;
  std::atomic<int> requested_{0};
  std::atomic<bool> stop_{false};
  std::vector<Pair> pairs_;      // the loop thread's own
  std::vector<int> black_holed_;  // accepted in kBlackHole, never answered
  std::thread thread_;
};

}  // namespace onem2m::e2e

#endif  // ONEM2M_TESTS_E2E_TCP_PROXY_H_

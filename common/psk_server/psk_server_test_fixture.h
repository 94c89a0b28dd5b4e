// File: common/psk_server/psk_server_test_fixture.h
//
// The fixture the PskServer tests share (psk_server_*_test.cc, one file per scenario): a server on
// loopback whose sessions echo the peer's identity and the TLS export back, so a test can compare
// both sides, with an observer counting handshake outcomes.
#ifndef ONEM2M_COMMON_PSK_SERVER_PSK_SERVER_TEST_FIXTURE_H_
#define ONEM2M_COMMON_PSK_SERVER_PSK_SERVER_TEST_FIXTURE_H_

#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "absl/time/time.h"
#include "common/psk_server/psk_server.h"
#include "common/tls/blocking_client.h"
#include "common/tls/psk_resolver.h"
#include "gtest/gtest.h"

namespace onem2m::server::psk_server_test {

inline constexpr char kLabel[] = "EXPORTER-oneM2M-Bootstrap";

// AnswerGate holds HTTP answers back when `hold` is set: the request's arrival is announced and
// the answer comes from another thread once the test releases it, as a store commit's would.
struct AnswerGate {
  ~AnswerGate() {
    if (!release.HasBeenNotified()) release.Notify();  // a failed test must not hang the join
    for (std::thread& t : answerers) t.join();
  }
  bool hold = false;
  absl::Notification arrived;          // a held request reached the handler
  absl::Notification release;          // the test lets held answers go
  std::vector<std::thread> answerers;  // touched only on the I/O thread, joined at the end
};

// EchoHandler answers every request with the session's identity and the hex of its export, so
// the test can compare both sides.
class EchoHandler : public SessionHandler {
 public:
  EchoHandler(std::string identity, std::string export_hex, AnswerGate* gate)
      : identity_(std::move(identity)), export_hex_(std::move(export_hex)), gate_(gate) {}
  void OnHttpRequest(http::HttpRequest request,
                     std::function<void(http::HttpResponse)> respond) override;
  void OnDatagram(std::string datagram, std::function<void(std::string)> respond) override {
    respond(identity_ + "|" + export_hex_ + "|" + datagram);
  }

 private:
  std::string identity_, export_hex_;
  AnswerGate* gate_;
};

std::string Hex(const SecretBytes& s);

class EchoFactory : public SessionHandlerFactory {
 public:
  absl::StatusOr<std::unique_ptr<SessionHandler>> OnHandshake(tls::PskSession& session,
                                                              const ConnectionInfo& info) override;
  AnswerGate gate;
};

class CountingObserver : public ServerObserver {
 public:
  void OnHandshake(const ConnectionInfo&, HandshakeOutcome outcome, absl::Duration) override {
    absl::MutexLock l(&mu);
    outcomes.push_back(outcome);
  }
  void OnPskLookup(tls::Transport transport, absl::Duration waited) override {
    absl::MutexLock l(&mu);
    lookups.push_back({transport, waited});
  }
  int Count(HandshakeOutcome o) {
    absl::MutexLock l(&mu);
    int n = 0;
    for (auto x : outcomes) n += x == o;
    return n;
  }
  absl::Mutex mu;
  std::vector<HandshakeOutcome> outcomes;
  std::vector<std::pair<tls::Transport, absl::Duration>> lookups;  // OnPskLookup's reports
};

// Key is the PSK of the identities the default resolver knows ("device-1", "device-2").
const SecretBytes& Key();

class PskServerTest : public ::testing::Test {
 protected:
  void StartServer(absl::Duration idle = absl::Seconds(30), int per_source = 256,
                   absl::Duration hs_timeout = absl::Seconds(5),
                   std::function<absl::StatusOr<SecretBytes>(absl::string_view)> resolve = {},
                   const std::string& host = "127.0.0.1",
                   std::shared_ptr<tls::PskResolver> custom_resolver = nullptr);

  absl::StatusOr<std::unique_ptr<tls::BlockingClient>> Connect(
      tls::Transport t, const std::string& id, const SecretBytes& key,
      const std::string& host = "127.0.0.1") {
    return ConnectToPort(t, id, key, Port(t), host);
  }

  int Port(tls::Transport t) const {
    return t == tls::Transport::kTls ? server_->tls_addresses()[0].port()
                                     : server_->dtls_addresses()[0].port();
  }

  // ConnectToPort does not touch server_, so a client thread may run while the test resets it.
  static absl::StatusOr<std::unique_ptr<tls::BlockingClient>> ConnectToPort(
      tls::Transport t, const std::string& id, const SecretBytes& key, int port,
      const std::string& host = "127.0.0.1");

  int max_sessions_ = 10000;
  int64_t memory_budget_bytes_ = 0;
  EchoFactory factory_;
  CountingObserver observer_;
  std::unique_ptr<PskServer> server_;
};

// HttpRoundTrip posts `body` to /echo and returns the answer's body ("<closed>" or "<bad>").
std::string HttpRoundTrip(tls::BlockingClient& c, const std::string& body);

// WaitForOpenSessions waits until the server counts `n` open sessions (sessions open and close on
// the I/O thread after the client's socket does); false after 10 s.
bool WaitForOpenSessions(const PskServer& server, int n);

}  // namespace onem2m::server::psk_server_test

#endif  // ONEM2M_COMMON_PSK_SERVER_PSK_SERVER_TEST_FIXTURE_H_

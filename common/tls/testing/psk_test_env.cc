#include "common/tls/testing/psk_test_env.h"

#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <csignal>
#include <utility>

#include "gtest/gtest.h"

namespace onem2m::tls::testing {

SecretBytes Key(char fill) { return SecretBytes::Copy(std::string(32, fill)); }

std::shared_ptr<PskResolver> Resolver() {
  return std::make_shared<FunctionPskResolver>(
      [](absl::string_view identity) -> absl::StatusOr<SecretBytes> {
        if (identity == kIdentity) return Key('k');
        if (identity == "kpm-store-down") return absl::UnavailableError("store down");
        if (identity == "kpm-store-slow") return absl::DeadlineExceededError("store timeout");
        if (identity == "kpm-corrupt") return absl::InternalError("row cannot be unsealed");
        return absl::NotFoundError("no such identity");
      });
}

std::shared_ptr<const PskContext> Server(Transport transport, std::vector<CipherSuite> suites,
                                         std::string required_name,
                                         absl::Duration handshake_timeout) {
  ServerOptions options;
  options.transport = transport;
  options.handshake_timeout = handshake_timeout;
  options.cipher_suites = std::move(suites);
  options.required_server_name = std::move(required_name);
  absl::StatusOr<std::shared_ptr<const PskContext>> ctx =
      PskContext::NewServer(options, Resolver());
  EXPECT_TRUE(ctx.ok()) << ctx.status();
  return ctx.ok() ? *ctx : nullptr;
}

std::shared_ptr<const PskContext> Client(Transport transport, std::string identity, SecretBytes key,
                                         std::vector<CipherSuite> suites, std::string server_name) {
  ClientOptions options;
  options.transport = transport;
  options.cipher_suites = std::move(suites);
  options.psk_identity = std::move(identity);
  options.psk = std::move(key);
  options.server_name = std::move(server_name);
  absl::StatusOr<std::shared_ptr<const PskContext>> ctx = PskContext::NewClient(options);
  EXPECT_TRUE(ctx.ok()) << ctx.status();
  return ctx.ok() ? *ctx : nullptr;
}

absl::Time Deadline() { return absl::Now() + absl::Seconds(10); }

Step DriveToDone(PskSession* session, int fd) {
  // OpenSSL writes the socket with write(2); a peer that closed first must fail the step, not
  // kill the test with SIGPIPE (BlockingClient ignores it the same way).
  static const bool ignored = [] { return std::signal(SIGPIPE, SIG_IGN) != SIG_ERR; }();
  (void)ignored;
  absl::Time deadline = Deadline();
  for (;;) {
    Step step = session->Handshake();
    if (step != Step::kWantRead && step != Step::kWantWrite) return step;
    if (absl::Now() > deadline) return Step::kFailed;
    pollfd p = {fd, static_cast<short>(step == Step::kWantRead ? POLLIN : POLLOUT), 0};
    poll(&p, 1, 50);
  }
}

StreamPair::StreamPair(const std::shared_ptr<const PskContext>& server_ctx) {
  if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv) != 0) return;
  auto s = PskSession::NewStream(server_ctx, sv[0], absl::Now());
  auto c = PskSession::NewStream(Client(Transport::kTls), sv[1], absl::Now());
  if (s.ok()) server = *std::move(s);
  if (c.ok()) client = *std::move(c);
}

StreamPair::~StreamPair() {
  server.reset();
  client.reset();
  if (sv[0] >= 0) close(sv[0]);
  if (sv[1] >= 0) close(sv[1]);
}

}  // namespace onem2m::tls::testing

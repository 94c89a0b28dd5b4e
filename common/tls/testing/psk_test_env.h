// File: common/tls/testing/psk_test_env.h
//
// What the PSK handshake tests share (psk_handshake_test.cc, psk_robustness_test.cc,
// psk_async_lookup_test.cc, psk_memory_test.cc, tls13_handshake_test.cc): a test key and identity,
// a resolver that knows that identity and fails others by kind, server and client contexts, and a
// TLS session pair over a socketpair driven without an event loop.
//
//   StreamPair p(Server(Transport::kTls));
//   std::thread t([&] { DriveToDone(p.server.get(), p.sv[0]); });
//   EXPECT_EQ(DriveToDone(p.client.get(), p.sv[1]), Step::kDone);
#ifndef ONEM2M_COMMON_TLS_TESTING_PSK_TEST_ENV_H_
#define ONEM2M_COMMON_TLS_TESTING_PSK_TEST_ENV_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "common/secret_bytes.h"
#include "common/tls/psk_context.h"
#include "common/tls/psk_session.h"

namespace onem2m::tls::testing {

inline constexpr char kIdentity[] = "kpm-0001";
inline constexpr char kServerName[] = "mef.example.com";

// Key is 32 bytes of `fill`.
SecretBytes Key(char fill);

// Resolver knows kIdentity (Key('k')); "kpm-store-down" is UNAVAILABLE, "kpm-store-slow"
// DEADLINE_EXCEEDED, "kpm-corrupt" INTERNAL, anything else NOT_FOUND.
std::shared_ptr<PskResolver> Resolver();

// Server is a server context over Resolver() (null, with a test failure, if it cannot be made).
std::shared_ptr<const PskContext> Server(Transport transport, std::vector<CipherSuite> suites = {},
                                         std::string required_name = "",
                                         absl::Duration handshake_timeout = absl::Seconds(10));

// Client is a client context presenting `identity` and `key`.
std::shared_ptr<const PskContext> Client(Transport transport, std::string identity = kIdentity,
                                         SecretBytes key = Key('k'),
                                         std::vector<CipherSuite> suites = {},
                                         std::string server_name = kServerName);

// Deadline is ten seconds from now: the bound of every wait in these tests.
absl::Time Deadline();

// DriveToDone runs `session`'s handshake over the non-blocking `fd`, polling it, until it ends
// (or Deadline() passes: kFailed). The first call sets SIGPIPE to ignored, as BlockingClient does.
Step DriveToDone(PskSession* session, int fd);

// StreamPair is a TLS server session with `server_ctx` and a default client session over the two
// ends of a socketpair, which it closes when it goes.
struct StreamPair {
  explicit StreamPair(const std::shared_ptr<const PskContext>& server_ctx);
  ~StreamPair();
  bool ok() const { return server != nullptr && client != nullptr; }

  int sv[2] = {-1, -1};
  std::unique_ptr<PskSession> server, client;
};

}  // namespace onem2m::tls::testing

#endif  // ONEM2M_COMMON_TLS_TESTING_PSK_TEST_ENV_H_

// Loopback sockets, keys and contexts for handshake_benchmark; see handshake_benchmark_loopback.h.
#include "common/tls/handshake_benchmark_loopback.h"

#include <arpa/inet.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "common/tls/psk_resolver.h"

namespace onem2m {
namespace tls {
namespace handshake_bench {

const CipherSuite& SuiteArg(int i) {
  static const CipherSuite* suites[] = {&kPskAes128CbcSha256, &kPskAes128GcmSha256, &kPskAes128Ccm8,
                                        &kEcdhePskAes128CbcSha256};
  return *suites[i];
}

void Check(bool ok, const char* what) {
  if (!ok) {
    fprintf(stderr, "benchmark setup failed: %s\n", what);
    ERR_print_errors_fp(stderr);
    abort();
  }
}

// --- Loopback sockets ---------------------------------------------------------------------------
TcpListener::TcpListener() {
  fd = socket(AF_INET, SOCK_STREAM, 0);
  memset(&addr, 0, sizeof(addr));
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  Check(bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0, "bind");
  Check(listen(fd, 64) == 0, "listen");
  socklen_t len = sizeof(addr);
  getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
}

TcpListener::~TcpListener() { close(fd); }

void TcpListener::Pair(int* client, int* server) {
  *client = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
  int one = 1;
  setsockopt(*client, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
  connect(*client, reinterpret_cast<sockaddr*>(&addr), sizeof(addr));  // EINPROGRESS
  *server = accept4(fd, nullptr, nullptr, SOCK_NONBLOCK);
  Check(*server >= 0, "accept");
  setsockopt(*server, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
}

UdpPair::UdpPair() {
  server = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
  client = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
  memset(&server_addr, 0, sizeof(server_addr));
  server_addr.sin_family = AF_INET;
  server_addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  Check(bind(server, reinterpret_cast<sockaddr*>(&server_addr), sizeof(server_addr)) == 0, "bind");
  socklen_t len = sizeof(server_addr);
  getsockname(server, reinterpret_cast<sockaddr*>(&server_addr), &len);
  Check(connect(client, reinterpret_cast<sockaddr*>(&server_addr), sizeof(server_addr)) == 0,
        "connect");
}

UdpPair::~UdpPair() {
  close(server);
  close(client);
}

std::shared_ptr<const PskContext> OurServer(Transport t, const CipherSuite& suite) {
  ServerOptions options;
  options.transport = t;
  options.cipher_suites = {suite};
  auto resolver =
      std::make_shared<FunctionPskResolver>([](absl::string_view) -> absl::StatusOr<SecretBytes> {
        return SecretBytes::Copy(kKey, sizeof(kKey));
      });
  auto ctx = PskContext::NewServer(options, resolver);
  Check(ctx.ok(), "server context");
  return *ctx;
}

std::shared_ptr<const PskContext> OurClient(Transport t, const CipherSuite& suite) {
  ClientOptions options;
  options.transport = t;
  options.cipher_suites = {suite};
  options.psk_identity = kIdentity;
  options.psk = SecretBytes::Copy(kKey, sizeof(kKey));
  auto ctx = PskContext::NewClient(options);
  Check(ctx.ok(), "client context");
  return *ctx;
}

}  // namespace handshake_bench
}  // namespace tls
}  // namespace onem2m

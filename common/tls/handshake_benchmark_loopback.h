// File: common/tls/handshake_benchmark_loopback.h
//
// What both sides of handshake_benchmark (this layer, "Ours", and bare OpenSSL, "Bare") share:
// the benchmark's PSK identity and key, the suites its arguments name, loopback TCP and UDP socket
// pairs, and this layer's contexts. Benchmark-only code.
#ifndef ONEM2M_COMMON_TLS_HANDSHAKE_BENCHMARK_LOOPBACK_H_
#define ONEM2M_COMMON_TLS_HANDSHAKE_BENCHMARK_LOOPBACK_H_

#include <netinet/in.h>

#include <memory>

#include "benchmark/benchmark.h"
#include "common/tls/psk_context.h"

namespace onem2m {
namespace tls {
namespace handshake_bench {

inline constexpr char kIdentity[] = "kpm-bench";
inline constexpr unsigned char kKey[32] = {1,  2,  3,  4,  5,  6,  7,  8,  9,  10, 11,
                                           12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22,
                                           23, 24, 25, 26, 27, 28, 29, 30, 31, 32};

// SuiteArg maps a benchmark argument to a suite: 0 = PSK-AES128-CBC-SHA256,
// 1 = PSK-AES128-GCM-SHA256, 2 = PSK-AES128-CCM8, 3 = ECDHE-PSK-AES128-CBC-SHA256.
const CipherSuite& SuiteArg(int i);

// Check aborts the benchmark with OpenSSL's error queue when its setup fails.
void Check(bool ok, const char* what);

// TcpListener listens on 127.0.0.1:0.
struct TcpListener {
  int fd;
  sockaddr_in addr;
  TcpListener();
  ~TcpListener();
  // Pair returns a connected non-blocking (client, server) pair.
  void Pair(int* client, int* server);
};

// UdpPair is a server socket on 127.0.0.1:0 and a client socket connected to it, non-blocking.
struct UdpPair {
  int server;
  int client;
  sockaddr_in server_addr;
  UdpPair();
  ~UdpPair();
};

// OurServer and OurClient are this layer's contexts for one suite, keyed with kIdentity/kKey.
std::shared_ptr<const PskContext> OurServer(Transport t, const CipherSuite& suite);
std::shared_ptr<const PskContext> OurClient(Transport t, const CipherSuite& suite);

// The bare OpenSSL baseline (handshake_benchmark_bare_openssl.cc), registered with the others in
// handshake_benchmark.cc so the report lists each baseline beside its "Ours".
void BM_Tls_Bare(benchmark::State& state);
void BM_Dtls_Bare(benchmark::State& state);

}  // namespace handshake_bench
}  // namespace tls
}  // namespace onem2m

#endif  // ONEM2M_COMMON_TLS_HANDSHAKE_BENCHMARK_LOOPBACK_H_

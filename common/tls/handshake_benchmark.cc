// Handshake + RFC 5705 export over loopback: through this layer ("Ours") versus a bare OpenSSL
// loop with the same suite and the same SSL_CTX settings ("Bare"), client and server driven
// alternately in one thread. Ratio ours/bare = Ours items_per_second / Bare items_per_second
// (CPU time of the one thread, which covers both ends and the loopback syscalls; wall time is
// too noisy on a shared 2-core machine).
//
//   bazel run -c opt //common/tls:handshake_benchmark -- --benchmark_repetitions=5
//
// BM_Tls_ServerCpu compares the server's CPU per handshake (counter server_cpu_us) for TLS 1.2
// PSK, TLS 1.2 ECDHE-PSK, TLS 1.3 psk_dhe_ke and TLS 1.3 psk_ke in one run:
//   bazel run -c opt //common/tls:handshake_benchmark -- --benchmark_filter=ServerCpu
//       --benchmark_repetitions=3   (one command line)
// One run (2 cores, load average 11; mean server_cpu_us): TLS 1.2 PSK-GCM 70, TLS 1.2 ECDHE-PSK
// 174, TLS 1.3 psk_dhe_ke 216, TLS 1.3 psk_ke 119.//
// The shared loopback sockets and contexts are handshake_benchmark_loopback.cc; the bare OpenSSL
// baseline is handshake_benchmark_bare_openssl.cc.
#include <openssl/ssl.h>
#include <unistd.h>

#include <cstring>
#include <ctime>
#include <memory>
#include <string>

#include "benchmark/benchmark.h"
#include "common/tls/dtls_cookie.h"
#include "common/tls/dtls_listener.h"
#include "common/tls/handshake_benchmark_loopback.h"
#include "common/tls/psk_context.h"
#include "common/tls/psk_session.h"

namespace onem2m {
namespace tls {
namespace handshake_bench {

namespace {

void BM_Tls_Ours(benchmark::State& state) {
  const CipherSuite& suite = SuiteArg(state.range(0));
  auto server_ctx = OurServer(Transport::kTls, suite);
  auto client_ctx = OurClient(Transport::kTls, suite);
  TcpListener listener;
  for (auto _ : state) {
    int cfd, sfd;
    listener.Pair(&cfd, &sfd);
    {
      auto s = PskSession::NewStream(server_ctx, sfd, absl::Now());
      auto c = PskSession::NewStream(client_ctx, cfd, absl::Now());
      Step cs = Step::kWantRead, ss = Step::kWantRead;
      while (cs != Step::kDone || ss != Step::kDone) {
        if (cs != Step::kDone) cs = (*c)->Handshake();
        if (ss != Step::kDone) ss = (*s)->Handshake();
        Check(cs != Step::kFailed && ss != Step::kFailed, "handshake");
      }
      auto a = (*s)->Export(kBootstrapExporterLabel, kBootstrapExporterLen);
      auto b = (*c)->Export(kBootstrapExporterLabel, kBootstrapExporterLen);
      Check(a.ok() && b.ok() && a->Equals(*b), "export");
    }
    close(cfd);
    close(sfd);
  }
  state.SetItemsProcessed(state.iterations());
  state.SetLabel(suite.openssl_name);
}

void BM_Dtls_Ours(benchmark::State& state) {
  const CipherSuite& suite = SuiteArg(state.range(0));
  auto server_ctx = OurServer(Transport::kDtls, suite);
  auto client_ctx = OurClient(Transport::kDtls, suite);
  UdpPair udp;
  auto listener = DtlsListener::New(server_ctx);
  Check(listener.ok(), "listener");
  char buf[65536];
  std::string d;
  for (auto _ : state) {
    auto c = PskSession::NewDatagramClient(client_ctx, absl::Now());
    std::unique_ptr<PskSession> s;
    Step cs = Step::kWantRead, ss = Step::kWantRead;
    while (cs != Step::kDone || ss != Step::kDone) {
      if (cs != Step::kDone) cs = (*c)->Handshake();
      while ((*c)->PopDatagram(&d)) send(udp.client, d.data(), d.size(), 0);
      // Server side: everything that arrived on the shared socket.
      for (;;) {
        sockaddr_storage from;
        socklen_t from_len = sizeof(from);
        ssize_t n = recvfrom(udp.server, buf, sizeof(buf), 0, reinterpret_cast<sockaddr*>(&from),
                             &from_len);
        if (n <= 0) break;
        absl::string_view datagram(buf, static_cast<size_t>(n));
        if (s == nullptr) {
          std::string peer = PeerKey(reinterpret_cast<sockaddr*>(&from), from_len);
          std::string reply;
          auto offered = (*listener)->Offer(peer, datagram, absl::Now(), &reply);
          if (!reply.empty()) {
            sendto(udp.server, reply.data(), reply.size(), 0, reinterpret_cast<sockaddr*>(&from),
                   from_len);
          }
          if (offered.ok() && *offered != nullptr) s = std::move(*offered);
        } else {
          s->FeedDatagram(datagram);
        }
        if (s != nullptr && ss != Step::kDone) {
          ss = s->Handshake();
          while (s->PopDatagram(&d)) {
            sendto(udp.server, d.data(), d.size(), 0, reinterpret_cast<sockaddr*>(&from), from_len);
          }
        }
      }
      for (;;) {
        ssize_t n = recv(udp.client, buf, sizeof(buf), 0);
        if (n <= 0) break;
        (*c)->FeedDatagram(absl::string_view(buf, static_cast<size_t>(n)));
      }
      Check(cs != Step::kFailed && ss != Step::kFailed, "handshake");
    }
    auto a = s->Export(kBootstrapExporterLabel, kBootstrapExporterLen);
    auto b = (*c)->Export(kBootstrapExporterLabel, kBootstrapExporterLen);
    Check(a.ok() && b.ok() && a->Equals(*b), "export");
  }
  state.SetItemsProcessed(state.iterations());
  state.SetLabel(suite.openssl_name);
}

// --- Server CPU per handshake: TLS 1.2 versus TLS 1.3 (docs/protocol.md 2a) ---------------------

double ThreadCpuMicros() {
  timespec ts;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

// Args: 0 = TLS 1.2 PSK-AES128-GCM-SHA256, 1 = TLS 1.2 ECDHE-PSK-AES128-CBC-SHA256,
// 2 = TLS 1.3 psk_dhe_ke (X25519), 3 = TLS 1.3 psk_ke; TLS 1.3 with the RFC 9258 importer.
// server_cpu_us counts only the server's Handshake() and Export() calls (the client's share,
// e.g. the ffdhe2048 key share the psk_ke client offers, is left out).
void BM_Tls_ServerCpu(benchmark::State& state) {
  const int mode = static_cast<int>(state.range(0));
  ServerOptions so;
  ClientOptions co;
  so.cipher_suites = {mode == 1 ? kEcdhePskAes128CbcSha256 : kPskAes128GcmSha256};
  co.cipher_suites = so.cipher_suites;
  if (mode >= 2) {
    so.tls13.enabled = co.tls13.enabled = true;
    so.tls13.importer = co.tls13.importer = Tls13Importer::kOn;
    so.tls13.psk_mode = co.tls13.psk_mode = mode == 3 ? Tls13PskMode::kKe : Tls13PskMode::kDhe;
  }
  co.psk_identity = kIdentity;
  co.psk = SecretBytes::Copy(kKey, sizeof(kKey));
  auto resolver =
      std::make_shared<FunctionPskResolver>([](absl::string_view) -> absl::StatusOr<SecretBytes> {
        return SecretBytes::Copy(kKey, sizeof(kKey));
      });
  auto server_ctx = PskContext::NewServer(so, resolver);
  auto client_ctx = PskContext::NewClient(co);
  Check(server_ctx.ok() && client_ctx.ok(), "contexts");
  TcpListener listener;
  double server_us = 0;
  for (auto _ : state) {
    int cfd, sfd;
    listener.Pair(&cfd, &sfd);
    {
      auto s = PskSession::NewStream(*server_ctx, sfd, absl::Now());
      auto c = PskSession::NewStream(*client_ctx, cfd, absl::Now());
      Step cs = Step::kWantRead, ss = Step::kWantRead;
      while (cs != Step::kDone || ss != Step::kDone) {
        if (cs != Step::kDone) cs = (*c)->Handshake();
        if (ss != Step::kDone) {
          double t0 = ThreadCpuMicros();
          ss = (*s)->Handshake();
          server_us += ThreadCpuMicros() - t0;
        }
        Check(cs != Step::kFailed && ss != Step::kFailed, "handshake");
      }
      double t0 = ThreadCpuMicros();
      auto a = (*s)->Export(kBootstrapExporterLabel, kBootstrapExporterLen);
      server_us += ThreadCpuMicros() - t0;
      auto b = (*c)->Export(kBootstrapExporterLabel, kBootstrapExporterLen);
      Check(a.ok() && b.ok() && a->Equals(*b), "export");
      Check(((*s)->protocol_version() == TLS1_3_VERSION) == (mode >= 2), "version");
      Check((*s)->ephemeral_key_exchange() == (mode == 1 || mode == 2), "key exchange mode");
    }
    close(cfd);
    close(sfd);
  }
  state.counters["server_cpu_us"] =
      benchmark::Counter(server_us, benchmark::Counter::kAvgIterations);
  state.SetItemsProcessed(state.iterations());
  static const char* const kNames[] = {"TLS1.2 PSK-AES128-GCM-SHA256",
                                       "TLS1.2 ECDHE-PSK-AES128-CBC-SHA256", "TLS1.3 psk_dhe_ke",
                                       "TLS1.3 psk_ke"};
  state.SetLabel(kNames[mode]);
}
BENCHMARK(BM_Tls_ServerCpu)->Arg(0)->Arg(1)->Arg(2)->Arg(3)->MinTime(1.0);

// Cost of answering one cookieless ClientHello (a spoofed-source flood) with a HelloVerifyRequest.
void BM_DtlsListener_HelloVerifyRequest(benchmark::State& state) {
  auto server_ctx = OurServer(Transport::kDtls, kPskAes128Ccm8);
  auto listener = DtlsListener::New(server_ctx);
  auto client =
      PskSession::NewDatagramClient(OurClient(Transport::kDtls, kPskAes128Ccm8), absl::Now());
  Check(listener.ok() && client.ok(), "setup");
  (*client)->Handshake();
  std::string hello, reply;
  Check((*client)->PopDatagram(&hello), "hello");
  std::string peer = "peer-0000";
  uint32_t n = 0;
  for (auto _ : state) {
    memcpy(&peer[5], &n, sizeof(n));
    ++n;
    auto s = (*listener)->Offer(peer, hello, absl::Now(), &reply);
    Check(s.ok() && *s == nullptr && !reply.empty(), "hvr");
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_DtlsListener_HelloVerifyRequest);

// Args: 0 = PSK-AES128-CBC-SHA256, 1 = PSK-AES128-GCM-SHA256, 2 = PSK-AES128-CCM8,
// 3 = ECDHE-PSK-AES128-CBC-SHA256.
BENCHMARK(BM_Tls_Bare)->Arg(0)->Arg(1)->Arg(3)->MinTime(1.0);
BENCHMARK(BM_Tls_Ours)->Arg(0)->Arg(1)->Arg(3)->MinTime(1.0);
BENCHMARK(BM_Dtls_Bare)->Arg(2)->MinTime(1.0);
BENCHMARK(BM_Dtls_Ours)->Arg(2)->MinTime(1.0);

}  // namespace

}  // namespace handshake_bench
}  // namespace tls
}  // namespace onem2m

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
//   bazel run -c opt //common/tls:handshake_benchmark -- --benchmark_filter=ServerCpu \
//       --benchmark_repetitions=3
// One run (2 cores, load average 11; mean server_cpu_us): TLS 1.2 PSK-GCM 70, TLS 1.2 ECDHE-PSK
// 174, TLS 1.3 psk_dhe_ke 216, TLS 1.3 psk_ke 119.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <openssl/hmac.h>
#include <openssl/ssl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <memory>
#include <string>

#include "benchmark/benchmark.h"
#include "common/tls/dtls_cookie.h"
#include "common/tls/dtls_listener.h"
#include "common/tls/psk_context.h"
#include "common/tls/psk_session.h"

namespace onem2m {
namespace tls {
namespace {

constexpr char kIdentity[] = "kpm-bench";
constexpr unsigned char kKey[32] = {1,  2,  3,  4,  5,  6,  7,  8,  9,  10, 11, 12, 13, 14, 15, 16,
                                    17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32};

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

struct TcpListener {
  int fd;
  sockaddr_in addr;
  TcpListener() {
    fd = socket(AF_INET, SOCK_STREAM, 0);
    memset(&addr, 0, sizeof(addr));
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    Check(bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0, "bind");
    Check(listen(fd, 64) == 0, "listen");
    socklen_t len = sizeof(addr);
    getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  }
  ~TcpListener() { close(fd); }
  // Pair returns a connected non-blocking (client, server) pair.
  void Pair(int* client, int* server) {
    *client = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
    int one = 1;
    setsockopt(*client, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    connect(*client, reinterpret_cast<sockaddr*>(&addr), sizeof(addr));  // EINPROGRESS
    *server = accept4(fd, nullptr, nullptr, SOCK_NONBLOCK);
    Check(*server >= 0, "accept");
    setsockopt(*server, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
  }
};

struct UdpPair {
  int server;
  int client;
  sockaddr_in server_addr;
  UdpPair() {
    server = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
    client = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
    memset(&server_addr, 0, sizeof(server_addr));
    server_addr.sin_family = AF_INET;
    server_addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    Check(bind(server, reinterpret_cast<sockaddr*>(&server_addr), sizeof(server_addr)) == 0,
          "bind");
    socklen_t len = sizeof(server_addr);
    getsockname(server, reinterpret_cast<sockaddr*>(&server_addr), &len);
    Check(connect(client, reinterpret_cast<sockaddr*>(&server_addr), sizeof(server_addr)) == 0,
          "connect");
  }
  ~UdpPair() {
    close(server);
    close(client);
  }
};

// --- Ours ---------------------------------------------------------------------------------------

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

// --- Bare OpenSSL -------------------------------------------------------------------------------

unsigned int BareServerPsk(SSL*, const char*, unsigned char* psk, unsigned int max_psk_len) {
  if (max_psk_len < sizeof(kKey)) return 0;
  memcpy(psk, kKey, sizeof(kKey));
  return sizeof(kKey);
}

unsigned int BareClientPsk(SSL*, const char*, char* identity, unsigned int max_identity_len,
                           unsigned char* psk, unsigned int max_psk_len) {
  if (max_identity_len < sizeof(kIdentity) || max_psk_len < sizeof(kKey)) return 0;
  memcpy(identity, kIdentity, sizeof(kIdentity));
  memcpy(psk, kKey, sizeof(kKey));
  return sizeof(kKey);
}

unsigned char g_cookie_secret[32] = {7};

int BareCookie(SSL* ssl, unsigned char* out, unsigned int* out_len) {
  BIO_ADDR* peer = BIO_ADDR_new();
  BIO_dgram_get_peer(SSL_get_rbio(ssl), peer);
  size_t len = 0;
  unsigned char raw[64];
  BIO_ADDR_rawaddress(peer, raw, &len);
  unsigned short port = BIO_ADDR_rawport(peer);  // NOLINT(runtime/int)
  memcpy(raw + len, &port, sizeof(port));
  BIO_ADDR_free(peer);
  HMAC(EVP_sha256(), g_cookie_secret, sizeof(g_cookie_secret), raw, len + sizeof(port), out,
       out_len);
  return 1;
}

int BareVerify(SSL* ssl, const unsigned char* cookie, unsigned int cookie_len) {
  unsigned char expected[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  BareCookie(ssl, expected, &len);
  return len == cookie_len && CRYPTO_memcmp(expected, cookie, len) == 0;
}

SSL_CTX* BareCtx(const SSL_METHOD* method, int version, const CipherSuite& suite, bool server) {
  SSL_CTX* ctx = SSL_CTX_new(method);
  Check(ctx != nullptr, "SSL_CTX_new");
  SSL_CTX_set_min_proto_version(ctx, version);
  SSL_CTX_set_max_proto_version(ctx, version);
  SSL_CTX_set_security_level(ctx, 2);
  Check(SSL_CTX_set_cipher_list(ctx, suite.openssl_name) == 1, "cipher list");
  SSL_CTX_set_options(ctx, SSL_OP_NO_TICKET | SSL_OP_NO_RENEGOTIATION | SSL_OP_NO_COMPRESSION |
                               SSL_OP_CIPHER_SERVER_PREFERENCE);
  SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
  SSL_CTX_set_mode(ctx, SSL_MODE_RELEASE_BUFFERS);
  if (server) {
    SSL_CTX_set_psk_server_callback(ctx, BareServerPsk);
  } else {
    SSL_CTX_set_psk_client_callback(ctx, BareClientPsk);
  }
  return ctx;
}

void BareExport(SSL* s, SSL* c) {
  unsigned char a[48], b[48];
  static const char kLabel[] = "EXPORTER-oneM2M-Bootstrap";
  Check(SSL_export_keying_material(s, a, 48, kLabel, strlen(kLabel), nullptr, 0, 0) == 1 &&
            SSL_export_keying_material(c, b, 48, kLabel, strlen(kLabel), nullptr, 0, 0) == 1 &&
            memcmp(a, b, 48) == 0,
        "export");
}

void BM_Tls_Bare(benchmark::State& state) {
  const CipherSuite& suite = SuiteArg(state.range(0));
  SSL_CTX* sctx = BareCtx(TLS_server_method(), TLS1_2_VERSION, suite, true);
  SSL_CTX* cctx = BareCtx(TLS_client_method(), TLS1_2_VERSION, suite, false);
  TcpListener listener;
  for (auto _ : state) {
    int cfd, sfd;
    listener.Pair(&cfd, &sfd);
    SSL* s = SSL_new(sctx);
    SSL* c = SSL_new(cctx);
    SSL_set_fd(s, sfd);
    SSL_set_fd(c, cfd);
    SSL_set_accept_state(s);
    SSL_set_connect_state(c);
    bool cd = false, sd = false;
    while (!cd || !sd) {
      if (!cd) {
        int r = SSL_do_handshake(c);
        cd = r == 1;
        Check(cd || SSL_get_error(c, r) == SSL_ERROR_WANT_READ ||
                  SSL_get_error(c, r) == SSL_ERROR_WANT_WRITE,
              "client handshake");
      }
      if (!sd) {
        int r = SSL_do_handshake(s);
        sd = r == 1;
        Check(sd || SSL_get_error(s, r) == SSL_ERROR_WANT_READ ||
                  SSL_get_error(s, r) == SSL_ERROR_WANT_WRITE,
              "server handshake");
      }
    }
    BareExport(s, c);
    SSL_free(s);
    SSL_free(c);
    close(cfd);
    close(sfd);
  }
  SSL_CTX_free(sctx);
  SSL_CTX_free(cctx);
  state.SetItemsProcessed(state.iterations());
  state.SetLabel(suite.openssl_name);
}

void BM_Dtls_Bare(benchmark::State& state) {
  const CipherSuite& suite = SuiteArg(state.range(0));
  SSL_CTX* sctx = BareCtx(DTLS_server_method(), DTLS1_2_VERSION, suite, true);
  SSL_CTX* cctx = BareCtx(DTLS_client_method(), DTLS1_2_VERSION, suite, false);
  SSL_CTX_set_options(sctx, SSL_OP_COOKIE_EXCHANGE);
  SSL_CTX_set_cookie_generate_cb(sctx, BareCookie);
  SSL_CTX_set_cookie_verify_cb(sctx, BareVerify);
  UdpPair udp;
  BIO_ADDR* client_addr = BIO_ADDR_new();
  BIO_ADDR* server_addr = BIO_ADDR_new();
  BIO_ADDR_rawmake(server_addr, AF_INET, &udp.server_addr.sin_addr,
                   sizeof(udp.server_addr.sin_addr), udp.server_addr.sin_port);
  for (auto _ : state) {
    SSL* s = SSL_new(sctx);
    SSL* c = SSL_new(cctx);
    BIO* sbio = BIO_new_dgram(udp.server, BIO_NOCLOSE);
    BIO* cbio = BIO_new_dgram(udp.client, BIO_NOCLOSE);
    BIO_ctrl(cbio, BIO_CTRL_DGRAM_SET_CONNECTED, 0, server_addr);
    SSL_set_bio(s, sbio, sbio);
    SSL_set_bio(c, cbio, cbio);
    SSL_set_connect_state(c);
    bool listened = false, cd = false, sd = false;
    while (!cd || !sd) {
      if (!cd) {
        int r = SSL_do_handshake(c);
        cd = r == 1;
        Check(cd || SSL_get_error(c, r) == SSL_ERROR_WANT_READ, "client handshake");
      }
      if (!listened) {
        int r = DTLSv1_listen(s, client_addr);
        Check(r >= 0, "listen");
        listened = r == 1;
        if (listened) BIO_ctrl(sbio, BIO_CTRL_DGRAM_SET_PEER, 0, client_addr);
      }
      if (listened && !sd) {
        int r = SSL_accept(s);
        sd = r == 1;
        Check(sd || SSL_get_error(s, r) == SSL_ERROR_WANT_READ, "server handshake");
      }
    }
    BareExport(s, c);
    SSL_free(s);
    SSL_free(c);
  }
  BIO_ADDR_free(client_addr);
  BIO_ADDR_free(server_addr);
  SSL_CTX_free(sctx);
  SSL_CTX_free(cctx);
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
}  // namespace tls
}  // namespace onem2m

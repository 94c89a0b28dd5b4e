// The baseline of handshake_benchmark: the same handshake + RFC 5705 export over loopback as
// "Ours", written directly against OpenSSL with the same suite and SSL_CTX settings. Registered in
// handshake_benchmark.cc.
#include <openssl/err.h>
#include <openssl/hmac.h>
#include <openssl/ssl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstring>

#include "common/tls/handshake_benchmark_loopback.h"

namespace onem2m {
namespace tls {
namespace handshake_bench {

namespace {

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

}  // namespace

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

}  // namespace handshake_bench
}  // namespace tls
}  // namespace onem2m

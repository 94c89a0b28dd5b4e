#include "common/tls/psk_context.h"

#include <openssl/ssl.h>

#include <string>
#include <utility>

#include "absl/base/const_init.h"
#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "common/tls/psk_callbacks.h"
#include "common/tls/psk_importer.h"

namespace onem2m {
namespace tls {

PskContext::PskContext(Role role, Transport transport) : role_(role), transport_(transport) {}

PskContext::~PskContext() = default;

absl::Status PskContext::Init(const std::vector<CipherSuite>& suites) {
  ClearOpenSslErrors();
  if (role_ == Role::kClient) return InitSharedClient(suites);
  return InitNew(suites);
}

// Client contexts differ only in what the PSK callback presents (per session, see
// SessionState::client) and the SNI (set per SSL), so every client context with the same transport
// and suites shares one SSL_CTX: building one costs about 100 us of CPU and contended OpenSSL
// locks, which a gateway or load generator enrolling many devices would otherwise pay per device.
absl::Status PskContext::InitSharedClient(const std::vector<CipherSuite>& suites) {
  static absl::Mutex mu(absl::kConstInit);
  static auto* shared = new absl::flat_hash_map<std::string, SSL_CTX*>();
  const std::string key =
      absl::StrCat(static_cast<int>(transport_), ":", OpenSslCipherList(suites), ":",
                   tls13_.enabled ? static_cast<int>(tls13_.psk_mode) : -1);
  absl::MutexLock lock(&mu);
  auto it = shared->find(key);
  if (it != shared->end()) {
    if (!SSL_CTX_up_ref(it->second)) {
      return OpenSslError(absl::StatusCode::kInternal, "SSL_CTX_up_ref");
    }
    ctx_.reset(it->second);
    return absl::OkStatus();
  }
  absl::Status status = InitNew(suites);
  if (!status.ok()) return status;
  // The cache keeps one reference for the life of the process (a handful of entries).
  if (!SSL_CTX_up_ref(ctx_.get()))
    return OpenSslError(absl::StatusCode::kInternal, "SSL_CTX_up_ref");
  shared->emplace(key, ctx_.get());
  return absl::OkStatus();
}

absl::Status PskContext::InitNew(const std::vector<CipherSuite>& suites) {
  const SSL_METHOD* method;
  if (transport_ == Transport::kTls) {
    method = role_ == Role::kServer ? TLS_server_method() : TLS_client_method();
  } else {
    method = role_ == Role::kServer ? DTLS_server_method() : DTLS_client_method();
  }
  ctx_.reset(SSL_CTX_new(method));
  if (ctx_ == nullptr) return OpenSslError(absl::StatusCode::kInternal, "SSL_CTX_new");
  SSL_CTX* ctx = ctx_.get();
  int version = transport_ == Transport::kTls ? TLS1_2_VERSION : DTLS1_2_VERSION;
  if (!SSL_CTX_set_min_proto_version(ctx, version) ||
      !SSL_CTX_set_max_proto_version(ctx, tls13_.enabled ? TLS1_3_VERSION : version)) {
    return OpenSslError(absl::StatusCode::kInternal, "setting protocol version");
  }
  if (tls13_.enabled) {
    // docs/protocol.md 2a: one TLS 1.3 suite; no tickets (SSL_OP_NO_TICKET alone still sends
    // stateful ones in TLS 1.3); no finite-field groups, so that a client offering psk_ke whose
    // only key_share is finite-field gets psk_ke (OpenSSL 3.0 picks psk_dhe_ke whenever a
    // key_share is usable).
    if (!SSL_CTX_set_ciphersuites(ctx, kTls13CipherSuite) || !SSL_CTX_set_num_tickets(ctx, 0) ||
        !SSL_CTX_set1_groups_list(ctx,
                                  role_ == Role::kClient && tls13_.psk_mode == Tls13PskMode::kKe
                                      ? "ffdhe2048"
                                      : "X25519:P-256:X448:P-521:P-384")) {
      return OpenSslError(absl::StatusCode::kInternal, "TLS 1.3 setup");
    }
  }
  // 128-bit suites pass level 2; set it explicitly so openssl.cnf cannot change the policy.
  SSL_CTX_set_security_level(ctx, 2);
  std::string list = OpenSslCipherList(suites);
  if (!SSL_CTX_set_cipher_list(ctx, list.c_str())) {
    return OpenSslError(absl::StatusCode::kInternal, absl::StrCat("cipher list ", list));
  }
  uint64_t options = SSL_OP_NO_TICKET | SSL_OP_NO_RENEGOTIATION | SSL_OP_NO_COMPRESSION |
                     SSL_OP_CIPHER_SERVER_PREFERENCE;
  if (transport_ == Transport::kDtls) {
    options |= SSL_OP_NO_QUERY_MTU;
    if (role_ == Role::kServer) options |= SSL_OP_COOKIE_EXCHANGE;
  }
  if (tls13_.enabled && tls13_.psk_mode == Tls13PskMode::kKe) options |= SSL_OP_ALLOW_NO_DHE_KEX;
  SSL_CTX_set_options(ctx, options);
  SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
  // Read whole flights at once: without read-ahead OpenSSL reads each TLS record's 5-byte header
  // and its body separately, about 11 read() calls per handshake instead of 4. (DTLS always reads
  // whole datagrams.)
  if (transport_ == Transport::kTls) SSL_CTX_set_read_ahead(ctx, 1);
  // SSL_MODE_RELEASE_BUFFERS is set per session once its handshake is done (PskSession): during
  // the handshake it would free and reallocate the 17 KiB record buffers on every flight.
  SSL_CTX_set_mode(ctx, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
  return ContextCallbacks::Install(this);
}

absl::StatusOr<std::shared_ptr<const PskContext>> PskContext::NewServer(
    const ServerOptions& options, std::shared_ptr<PskResolver> resolver) {
  if (resolver == nullptr) return absl::InvalidArgumentError("PSK resolver is null");
  std::vector<CipherSuite> suites = options.cipher_suites.empty()
                                        ? DefaultCipherSuites(options.transport)
                                        : options.cipher_suites;
  for (const CipherSuite& suite : suites) {
    // Re-check: a caller may have built the list by hand.
    absl::StatusOr<CipherSuite> ok = FindCipherSuite(options.transport, suite.iana_name);
    if (!ok.ok()) return ok.status();
  }
  if (options.handshake_timeout <= absl::ZeroDuration()) {
    return absl::InvalidArgumentError("handshake_timeout must be positive");
  }
  if (options.dtls_mtu < 256 || options.dtls_mtu > 65507) {
    return absl::InvalidArgumentError("dtls_mtu must be in 256..65507");
  }
  std::shared_ptr<PskContext> ctx(new PskContext(Role::kServer, options.transport));
  ctx->resolver_ = std::move(resolver);
  ctx->required_server_name_ = options.required_server_name;
  ctx->handshake_timeout_ = options.handshake_timeout;
  ctx->dtls_mtu_ = options.dtls_mtu;
  if (options.transport == Transport::kTls) ctx->tls13_ = options.tls13;
  if (options.transport == Transport::kDtls) {
    ctx->cookies_ = std::make_unique<CookieKeeper>(options.cookie_rotation);
  }
  absl::Status status = ctx->Init(suites);
  if (!status.ok()) return status;
  return std::shared_ptr<const PskContext>(std::move(ctx));
}

absl::StatusOr<std::shared_ptr<const PskContext>> PskContext::NewClient(ClientOptions options) {
  std::vector<CipherSuite> suites = options.cipher_suites.empty()
                                        ? DefaultCipherSuites(options.transport)
                                        : options.cipher_suites;
  for (const CipherSuite& suite : suites) {
    absl::StatusOr<CipherSuite> ok = FindCipherSuite(options.transport, suite.iana_name);
    if (!ok.ok()) return ok.status();
  }
  if (options.psk_identity.empty() || options.psk_identity.size() > kMaxPskIdentityLen ||
      options.psk_identity.find('\0') != std::string::npos) {
    return absl::InvalidArgumentError(
        absl::StrCat("psk_identity must be 1..", kMaxPskIdentityLen, " bytes without NUL"));
  }
  if (options.psk.size() < kMinPskLen || options.psk.size() > kMaxPskLen) {
    return absl::InvalidArgumentError(
        absl::StrCat("psk must be ", kMinPskLen, "..", kMaxPskLen, " bytes"));
  }
  if (options.dtls_mtu < 256 || options.dtls_mtu > 65507) {
    return absl::InvalidArgumentError("dtls_mtu must be in 256..65507");
  }
  std::shared_ptr<PskContext> ctx(new PskContext(Role::kClient, options.transport));
  ctx->server_name_ = std::move(options.server_name);
  ctx->psk_identity_ = std::move(options.psk_identity);
  ctx->psk_ = std::move(options.psk);
  ctx->dtls_mtu_ = options.dtls_mtu;
  if (options.transport == Transport::kTls && options.tls13.enabled) {
    if (options.tls13.importer == Tls13Importer::kBoth) {
      return absl::InvalidArgumentError("a client's tls13 importer must be on or off");
    }
    ctx->tls13_ = options.tls13;
    if (options.tls13.importer == Tls13Importer::kOn) {
      ImportedIdentity imported;
      imported.external_identity = ctx->psk_identity_;
      ctx->tls13_identity_ = SerializeImportedIdentity(imported);
      absl::StatusOr<SecretBytes> ipsk = DeriveImportedPsk(ctx->psk_, ctx->tls13_identity_);
      if (!ipsk.ok()) return ipsk.status();
      ctx->tls13_psk_ = std::move(*ipsk);
    } else {
      ctx->tls13_identity_ = ctx->psk_identity_;
      ctx->tls13_psk_ = ctx->psk_;
    }
  }
  absl::Status status = ctx->Init(suites);
  if (!status.ok()) return status;
  return std::shared_ptr<const PskContext>(std::move(ctx));
}

}  // namespace tls
}  // namespace onem2m

#include "common/tls/psk_context.h"

#include <openssl/async.h>
#include <openssl/err.h>
#include <openssl/ssl.h>

#include <algorithm>
#include <cstring>
#include <utility>

#include "absl/base/const_init.h"
#include "absl/container/flat_hash_map.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "common/tls/psk_importer.h"
#include "common/tls/session_state.h"

namespace onem2m {
namespace tls {
namespace internal {

int SessionStateIndex() {
  static const int index = SSL_get_ex_new_index(0, nullptr, nullptr, nullptr, nullptr);
  return index;
}

}  // namespace internal

namespace {

int ContextIndex() {
  static const int index = SSL_CTX_get_ex_new_index(0, nullptr, nullptr, nullptr, nullptr);
  return index;
}

const PskContext* ContextOf(SSL* ssl) {
  return static_cast<const PskContext*>(SSL_CTX_get_ex_data(SSL_get_SSL_CTX(ssl), ContextIndex()));
}

// DummyPsk is the per-process random key used for every identity the resolver does not vouch for.
const SecretBytes& DummyPsk() {
  static const SecretBytes* dummy = new SecretBytes(SecretBytes::Random(32));
  return *dummy;
}

}  // namespace

// ContextCallbacks holds the OpenSSL callbacks; a struct so that it can be PskContext's friend.
struct ContextCallbacks {
  // Lookup runs the resolver for `id` (synchronously, or paused in the handshake's ASYNC job) and
  // records the outcome in the session state, with the found key's context. It returns what was
  // found; `*out_key` points at the found key (kept in `*found`) or at the dummy key for an
  // unusable identity.
  static PskLookup Lookup(SSL* ssl, absl::string_view id, absl::StatusOr<ResolvedPsk>* found,
                          const SecretBytes** out_key) {
    const PskContext* ctx = ContextOf(ssl);
    internal::SessionState* state = internal::StateOf(ssl);
    *out_key = &DummyPsk();
    *found = absl::InternalError("no resolver");
    if (ctx != nullptr && ctx->resolver_ != nullptr) {
      if (state != nullptr && state->on_async_ready && ctx->resolver_->SupportsAsync() &&
          ASYNC_get_current_job() != nullptr) {
        *found = ResolveInJob(*ctx->resolver_, id, state);
      } else {
        *found = ctx->resolver_->Resolve(id);
      }
    }
    PskLookup lookup;
    if (found->ok() && (*found)->key.size() >= kMinPskLen && (*found)->key.size() <= kMaxPskLen) {
      *out_key = &(*found)->key;
      lookup = PskLookup::kFound;
    } else if (found->ok()) {
      lookup = PskLookup::kFailed;
      *found = absl::FailedPreconditionError("resolver returned a key of unusable length");
    } else if (IsPskLookupFailure(found->status())) {
      lookup = PskLookup::kLookupFailed;
    } else {
      lookup = absl::IsNotFound(found->status()) ? PskLookup::kNotFound : PskLookup::kFailed;
    }
    if (state != nullptr) {
      state->psk_identity.assign(id.data(), id.size());
      state->psk_lookup = lookup;
      state->lookup_status = found->status();
      // The answer's context goes to this session alone (a later lookup on the same session, as
      // after a HelloRetryRequest, replaces it).
      state->psk_context = lookup == PskLookup::kFound ? (*found)->context : nullptr;
    }
    return lookup;
  }

  // ServerPsk (RFC 4279 2): never returns 0, which would make OpenSSL send
  // unknown_psk_identity and reveal that the identity does not exist.
  static unsigned int ServerPsk(SSL* ssl, const char* identity, unsigned char* psk,
                                unsigned int max_psk_len) {
    absl::string_view id = identity == nullptr ? absl::string_view() : identity;
    absl::StatusOr<ResolvedPsk> found = absl::UnknownError("unset");
    const SecretBytes* key = nullptr;
    PskLookup lookup = Lookup(ssl, id, &found, &key);
    // The lookup failed (docs/protocol.md 2: an outage is not an answer about the identity).
    // OpenSSL answers a length above PSK_MAX_PSK_LEN with a fatal internal_error alert
    // (tls_process_cke_psk_preamble, OpenSSL 3.0), without reading `psk`: the one way a PSK
    // callback can abort with that alert rather than unknown_psk_identity (a return of 0).
    if (lookup == PskLookup::kLookupFailed) return PSK_MAX_PSK_LEN + 1;
    if (key->size() > max_psk_len) return 0;  // Cannot happen: 64 <= PSK_MAX_PSK_LEN.
    memcpy(psk, key->data(), key->size());
    return static_cast<unsigned int>(key->size());
  }

  // Tls13Session builds the external-PSK session of a TLS 1.3 handshake (RFC 8446 4.2.11):
  // TLS_AES_128_GCM_SHA256 keyed with `key`. Null if OpenSSL fails.
  static SSL_SESSION* Tls13Session(SSL* ssl, const SecretBytes& key) {
    static constexpr unsigned char kAes128GcmSha256[] = {0x13, 0x01};
    const SSL_CIPHER* cipher = SSL_CIPHER_find(ssl, kAes128GcmSha256);
    SSL_SESSION* session = SSL_SESSION_new();
    if (cipher == nullptr || session == nullptr ||
        !SSL_SESSION_set1_master_key(session, key.data(), key.size()) ||
        !SSL_SESSION_set_cipher(session, cipher) ||
        !SSL_SESSION_set_protocol_version(session, TLS1_3_VERSION)) {
      SSL_SESSION_free(session);
      return nullptr;
    }
    return session;
  }

  // ServerTls13Psk is the TLS 1.3 counterpart of ServerPsk (docs/protocol.md 2a): it reads the
  // identity as an RFC 9258 ImportedIdentity or as a raw identity (ServerOptions::tls13.importer),
  // resolves the external identity, and imports the key when the identity was imported. Like
  // ServerPsk it never declines an identity: an unusable one gets the dummy key, so the binder
  // check fails exactly as for a wrong key (OpenSSL 3.0: illegal_parameter). A failed lookup
  // returns 0, which OpenSSL turns into internal_error.
  static int ServerTls13Psk(SSL* ssl, const unsigned char* identity, size_t identity_len,
                            SSL_SESSION** sess) {
    *sess = nullptr;
    const PskContext* ctx = ContextOf(ssl);
    internal::SessionState* state = internal::StateOf(ssl);
    if (ctx == nullptr) return 0;
    absl::string_view wire(reinterpret_cast<const char*>(identity), identity_len);
    absl::StatusOr<ImportedIdentity> imported = absl::InvalidArgumentError("importer off");
    if (ctx->tls13_.importer != Tls13Importer::kOff) imported = ParseImportedIdentity(wire);
    bool usable_form = imported.ok() || ctx->tls13_.importer != Tls13Importer::kOn;
    absl::string_view external =
        imported.ok() ? absl::string_view(imported->external_identity) : wire;
    absl::StatusOr<ResolvedPsk> found = absl::UnknownError("unset");
    const SecretBytes* key = &DummyPsk();
    if (usable_form && !external.empty() && external.size() <= kMaxPskIdentityLen) {
      if (Lookup(ssl, external, &found, &key) == PskLookup::kLookupFailed) return 0;
    } else if (state != nullptr) {
      // A raw identity while only imported ones are accepted, or an oversized one: unusable.
      state->psk_identity.assign(external.data(), std::min(external.size(), kMaxPskIdentityLen));
      state->psk_lookup = PskLookup::kFailed;
      state->lookup_status =
          absl::InvalidArgumentError("TLS 1.3 identity not in the accepted form");
    }
    if (state != nullptr) state->psk_imported = imported.ok();
    absl::StatusOr<SecretBytes> ipsk = absl::UnknownError("unset");
    if (imported.ok()) {
      ipsk = DeriveImportedPsk(*key, wire);
      if (!ipsk.ok()) return 0;
      key = &*ipsk;
    }
    *sess = Tls13Session(ssl, *key);
    return *sess == nullptr ? 0 : 1;
  }

  // ClientTls13Psk offers the client context's TLS 1.3 PSK (imported or raw, computed in
  // NewClient). OpenSSL calls it again with the hash of the suite a HelloRetryRequest chose; a
  // hash other than SHA-256 means no PSK fits.
  static int ClientTls13Psk(SSL* ssl, const EVP_MD* md, const unsigned char** id, size_t* id_len,
                            SSL_SESSION** sess) {
    *sess = nullptr;
    internal::SessionState* state = internal::StateOf(ssl);
    const PskContext* ctx = state == nullptr ? nullptr : state->client;
    if (ctx == nullptr || !ctx->tls13_.enabled) return 1;
    if (md != nullptr && EVP_MD_get_type(md) != NID_sha256) return 1;
    *sess = Tls13Session(ssl, ctx->tls13_psk_);
    if (*sess == nullptr) return 0;
    *id = reinterpret_cast<const unsigned char*>(ctx->tls13_identity_.data());
    *id_len = ctx->tls13_identity_.size();
    return 1;
  }

  // ResolveInJob starts an asynchronous lookup and pauses this handshake's ASYNC job until it is
  // answered: SSL_do_handshake returns SSL_ERROR_WANT_ASYNC meanwhile, and the session resumes the
  // job (calls it again) once on_async_ready has fired.
  static absl::StatusOr<ResolvedPsk> ResolveInJob(PskResolver& resolver, absl::string_view id,
                                                  internal::SessionState* state) {
    auto lookup = std::make_shared<internal::AsyncLookup>(state->on_async_ready);
    state->lookup = lookup;
    resolver.ResolveAsync(
        id, [lookup](absl::StatusOr<ResolvedPsk> r) { lookup->Complete(std::move(r)); });
    absl::StatusOr<ResolvedPsk> out = absl::UnknownError("pending");
    while (!lookup->TryTake(&out)) ASYNC_pause_job();
    state->lookup.reset();
    return out;
  }

  static unsigned int ClientPsk(SSL* ssl, const char* /*hint*/, char* identity,
                                unsigned int max_identity_len, unsigned char* psk,
                                unsigned int max_psk_len) {
    internal::SessionState* state = internal::StateOf(ssl);
    const PskContext* ctx = state == nullptr ? nullptr : state->client;
    if (ctx == nullptr || ctx->psk_identity_.size() + 1 > max_identity_len ||
        ctx->psk_.size() > max_psk_len) {
      return 0;
    }
    memcpy(identity, ctx->psk_identity_.data(), ctx->psk_identity_.size());
    identity[ctx->psk_identity_.size()] = '\0';
    memcpy(psk, ctx->psk_.data(), ctx->psk_.size());
    return static_cast<unsigned int>(ctx->psk_.size());
  }

  // ServerName records the SNI and enforces ServerOptions::required_server_name. OpenSSL calls
  // it whether or not the client sent the extension.
  static int ServerName(SSL* ssl, int* alert, void* /*arg*/) {
    const PskContext* ctx = ContextOf(ssl);
    internal::SessionState* state = internal::StateOf(ssl);
    const char* name = SSL_get_servername(ssl, TLSEXT_NAMETYPE_host_name);
    if (state != nullptr) state->server_name = name == nullptr ? "" : name;
    if (ctx == nullptr || ctx->required_server_name_.empty()) return SSL_TLSEXT_ERR_OK;
    if (name == nullptr || !absl::EqualsIgnoreCase(name, ctx->required_server_name_)) {
      *alert = SSL_AD_UNRECOGNIZED_NAME;
      return SSL_TLSEXT_ERR_ALERT_FATAL;
    }
    return SSL_TLSEXT_ERR_OK;
  }

  static void Info(const SSL* ssl, int where, int ret) {
    if ((where & SSL_CB_ALERT) == 0) return;
    internal::SessionState* state = internal::StateOf(ssl);
    if (state == nullptr) return;
    if (where & SSL_CB_READ) {
      state->alert_received = ret & 0xff;
    } else {
      state->alert_sent = ret & 0xff;
    }
  }

  static int GenerateCookie(SSL* ssl, unsigned char* cookie, unsigned int* cookie_len) {
    const PskContext* ctx = ContextOf(ssl);
    internal::SessionState* state = internal::StateOf(ssl);
    if (ctx == nullptr || state == nullptr || ctx->cookies_ == nullptr) return 0;
    std::string made = ctx->cookies_->Make(state->peer, absl::Now());
    if (made.empty() || made.size() > DTLS1_COOKIE_LENGTH) return 0;
    memcpy(cookie, made.data(), made.size());
    *cookie_len = static_cast<unsigned int>(made.size());
    return 1;
  }

  static int VerifyCookie(SSL* ssl, const unsigned char* cookie, unsigned int cookie_len) {
    const PskContext* ctx = ContextOf(ssl);
    internal::SessionState* state = internal::StateOf(ssl);
    if (ctx == nullptr || state == nullptr || ctx->cookies_ == nullptr) return 0;
    return ctx->cookies_->Verify(
               state->peer, absl::string_view(reinterpret_cast<const char*>(cookie), cookie_len),
               absl::Now())
               ? 1
               : 0;
  }
};

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
  SSL_CTX_set_info_callback(ctx, &ContextCallbacks::Info);
  if (role_ == Role::kServer) {
    // Server contexts are never shared, so the SSL_CTX can point back at its PskContext.
    if (!SSL_CTX_set_ex_data(ctx, ContextIndex(), this)) {
      return OpenSslError(absl::StatusCode::kInternal, "SSL_CTX_set_ex_data");
    }
    SSL_CTX_set_psk_server_callback(ctx, &ContextCallbacks::ServerPsk);
    if (tls13_.enabled) {
      SSL_CTX_set_psk_find_session_callback(ctx, &ContextCallbacks::ServerTls13Psk);
    }
    SSL_CTX_set_tlsext_servername_callback(ctx, &ContextCallbacks::ServerName);
    if (transport_ == Transport::kDtls) {
      SSL_CTX_set_cookie_generate_cb(ctx, &ContextCallbacks::GenerateCookie);
      SSL_CTX_set_cookie_verify_cb(ctx, &ContextCallbacks::VerifyCookie);
    }
  } else {
    SSL_CTX_set_psk_client_callback(ctx, &ContextCallbacks::ClientPsk);
    if (tls13_.enabled) {
      SSL_CTX_set_psk_use_session_callback(ctx, &ContextCallbacks::ClientTls13Psk);
    }
  }
  return absl::OkStatus();
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

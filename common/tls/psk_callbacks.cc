#include "common/tls/psk_callbacks.h"

#include <openssl/async.h>
#include <openssl/err.h>
#include <openssl/ssl.h>

#include <algorithm>
#include <cstring>
#include <memory>
#include <utility>

#include "absl/strings/match.h"
#include "common/tls/psk_context.h"
#include "common/tls/psk_importer.h"

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

// Lookup runs the resolver for `id` (synchronously, or paused in the handshake's ASYNC job) and
// records the outcome in the session state, with the found key's context. It returns what was
// found; `*out_key` points at the found key (kept in `*found`) or at the dummy key for an
// unusable identity.
PskLookup ContextCallbacks::Lookup(SSL* ssl, absl::string_view id,
                                   absl::StatusOr<ResolvedPsk>* found,
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
unsigned int ContextCallbacks::ServerPsk(SSL* ssl, const char* identity, unsigned char* psk,
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
SSL_SESSION* ContextCallbacks::Tls13Session(SSL* ssl, const SecretBytes& key) {
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
int ContextCallbacks::ServerTls13Psk(SSL* ssl, const unsigned char* identity, size_t identity_len,
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
    state->lookup_status = absl::InvalidArgumentError("TLS 1.3 identity not in the accepted form");
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
int ContextCallbacks::ClientTls13Psk(SSL* ssl, const EVP_MD* md, const unsigned char** id,
                                     size_t* id_len, SSL_SESSION** sess) {
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
absl::StatusOr<ResolvedPsk> ContextCallbacks::ResolveInJob(PskResolver& resolver,
                                                           absl::string_view id,
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

unsigned int ContextCallbacks::ClientPsk(SSL* ssl, const char* /*hint*/, char* identity,
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
int ContextCallbacks::ServerName(SSL* ssl, int* alert, void* /*arg*/) {
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

void ContextCallbacks::Info(const SSL* ssl, int where, int ret) {
  if ((where & SSL_CB_ALERT) == 0) return;
  internal::SessionState* state = internal::StateOf(ssl);
  if (state == nullptr) return;
  if (where & SSL_CB_READ) {
    state->alert_received = ret & 0xff;
  } else {
    state->alert_sent = ret & 0xff;
  }
}

int ContextCallbacks::GenerateCookie(SSL* ssl, unsigned char* cookie, unsigned int* cookie_len) {
  const PskContext* ctx = ContextOf(ssl);
  internal::SessionState* state = internal::StateOf(ssl);
  if (ctx == nullptr || state == nullptr || ctx->cookies_ == nullptr) return 0;
  std::string made = ctx->cookies_->Make(state->peer, absl::Now());
  if (made.empty() || made.size() > DTLS1_COOKIE_LENGTH) return 0;
  memcpy(cookie, made.data(), made.size());
  *cookie_len = static_cast<unsigned int>(made.size());
  return 1;
}

int ContextCallbacks::VerifyCookie(SSL* ssl, const unsigned char* cookie, unsigned int cookie_len) {
  const PskContext* ctx = ContextOf(ssl);
  internal::SessionState* state = internal::StateOf(ssl);
  if (ctx == nullptr || state == nullptr || ctx->cookies_ == nullptr) return 0;
  return ctx->cookies_->Verify(state->peer,
                               absl::string_view(reinterpret_cast<const char*>(cookie), cookie_len),
                               absl::Now())
             ? 1
             : 0;
}

absl::Status ContextCallbacks::Install(PskContext* context) {
  SSL_CTX* ctx = context->ctx_.get();
  const bool tls13 = context->tls13_.enabled;
  SSL_CTX_set_info_callback(ctx, &ContextCallbacks::Info);
  if (context->role_ == Role::kServer) {
    // Server contexts are never shared, so the SSL_CTX can point back at its PskContext.
    if (!SSL_CTX_set_ex_data(ctx, ContextIndex(), context)) {
      return OpenSslError(absl::StatusCode::kInternal, "SSL_CTX_set_ex_data");
    }
    SSL_CTX_set_psk_server_callback(ctx, &ContextCallbacks::ServerPsk);
    if (tls13) {
      SSL_CTX_set_psk_find_session_callback(ctx, &ContextCallbacks::ServerTls13Psk);
    }
    SSL_CTX_set_tlsext_servername_callback(ctx, &ContextCallbacks::ServerName);
    if (context->transport_ == Transport::kDtls) {
      SSL_CTX_set_cookie_generate_cb(ctx, &ContextCallbacks::GenerateCookie);
      SSL_CTX_set_cookie_verify_cb(ctx, &ContextCallbacks::VerifyCookie);
    }
  } else {
    SSL_CTX_set_psk_client_callback(ctx, &ContextCallbacks::ClientPsk);
    if (tls13) {
      SSL_CTX_set_psk_use_session_callback(ctx, &ContextCallbacks::ClientTls13Psk);
    }
  }
  return absl::OkStatus();
}

}  // namespace tls
}  // namespace onem2m

#include "common/tls/psk_session.h"

#include <openssl/err.h>
#include <openssl/ssl.h>

#include <cerrno>
#include <cstring>
#include <utility>

#include "absl/strings/str_cat.h"
#include "common/tls/dgram_bio.h"

namespace onem2m {
namespace tls {

absl::string_view StepName(Step step) {
  switch (step) {
    case Step::kDone:
      return "done";
    case Step::kWantRead:
      return "want_read";
    case Step::kWantWrite:
      return "want_write";
    case Step::kClosed:
      return "closed";
    case Step::kFailed:
      return "failed";
    case Step::kWantAsync:
      return "want_async";
  }
  return "unknown";
}

PskSession::PskSession(std::shared_ptr<const PskContext> ctx, SslPtr ssl, BIO* dgram_bio,
                       absl::Time now)
    : ctx_(std::move(ctx)),
      ssl_(std::move(ssl)),
      dgram_bio_(dgram_bio),
      role_(ctx_->role()),
      transport_(ctx_->transport()),
      started_(now) {
  if (role_ == Role::kClient) state_.client = ctx_.get();
  SSL_set_ex_data(ssl_.get(), internal::SessionStateIndex(), &state_);
}

PskSession::~PskSession() {
  // Release only: the owner has called Close if the handshake was paused (psk_session.h).
  if (ssl_ != nullptr) SSL_set_ex_data(ssl_.get(), internal::SessionStateIndex(), nullptr);
}

void PskSession::Close() {
  if (!async_paused_ || state_.lookup == nullptr) return;
  // Run the paused ASYNC job to its end (with no key) so OpenSSL can free it, with its output
  // going to a memory BIO rather than a socket that may be closed or reused by now.
  async_paused_ = false;
  state_.lookup->Abandon();
  BIO* sink = BIO_new(BIO_s_mem());
  if (sink == nullptr) return;
  SSL_set_bio(ssl_.get(), sink, sink);
  dgram_bio_ = nullptr;
  ERR_clear_error();
  (void)SSL_do_handshake(ssl_.get());
}

void PskSession::EnableAsyncLookup(std::function<void()> on_ready) {
  if (role_ != Role::kServer || !ctx_->async_lookups()) return;
  state_.on_async_ready = std::move(on_ready);
  SSL_set_mode(ssl_.get(), SSL_MODE_ASYNC);
}

absl::StatusOr<std::unique_ptr<PskSession>> PskSession::NewStream(
    std::shared_ptr<const PskContext> ctx, int fd, absl::Time now) {
  if (ctx == nullptr || ctx->transport() != Transport::kTls) {
    return absl::InvalidArgumentError("NewStream needs a TLS context");
  }
  if (fd < 0) return absl::InvalidArgumentError("bad fd");
  ClearOpenSslErrors();
  SslPtr ssl(SSL_new(ctx->ssl_ctx()));
  if (ssl == nullptr) return OpenSslError(absl::StatusCode::kResourceExhausted, "SSL_new");
  if (!SSL_set_fd(ssl.get(), fd)) {
    return OpenSslError(absl::StatusCode::kResourceExhausted, "SSL_set_fd");
  }
  if (ctx->role() == Role::kServer) {
    SSL_set_accept_state(ssl.get());
  } else {
    SSL_set_connect_state(ssl.get());
    if (!ctx->server_name().empty() &&
        !SSL_set_tlsext_host_name(ssl.get(), ctx->server_name().c_str())) {
      return OpenSslError(absl::StatusCode::kInvalidArgument, "setting SNI");
    }
  }
  return std::unique_ptr<PskSession>(new PskSession(std::move(ctx), std::move(ssl), nullptr, now));
}

absl::StatusOr<std::unique_ptr<PskSession>> PskSession::NewDatagramClient(
    std::shared_ptr<const PskContext> ctx, absl::Time now) {
  if (ctx == nullptr || ctx->transport() != Transport::kDtls || ctx->role() != Role::kClient) {
    return absl::InvalidArgumentError("NewDatagramClient needs a DTLS client context");
  }
  ClearOpenSslErrors();
  SslPtr ssl(SSL_new(ctx->ssl_ctx()));
  if (ssl == nullptr) return OpenSslError(absl::StatusCode::kResourceExhausted, "SSL_new");
  BIO* bio = NewDatagramBio(ctx->dtls_mtu());
  if (bio == nullptr) return OpenSslError(absl::StatusCode::kResourceExhausted, "BIO_new");
  SSL_set_bio(ssl.get(), bio, bio);  // Takes the one reference.
  SSL_set_mtu(ssl.get(), ctx->dtls_mtu());
  SSL_set_connect_state(ssl.get());
  if (!ctx->server_name().empty() &&
      !SSL_set_tlsext_host_name(ssl.get(), ctx->server_name().c_str())) {
    return OpenSslError(absl::StatusCode::kInvalidArgument, "setting SNI");
  }
  return std::unique_ptr<PskSession>(new PskSession(std::move(ctx), std::move(ssl), bio, now));
}

std::unique_ptr<PskSession> PskSession::Adopt(std::shared_ptr<const PskContext> ctx, SslPtr ssl,
                                              BIO* dgram_bio, std::string peer, absl::Time now) {
  std::unique_ptr<PskSession> session(
      new PskSession(std::move(ctx), std::move(ssl), dgram_bio, now));
  session->state_.peer = std::move(peer);
  return session;
}

Step PskSession::Fail(int ssl_error, absl::string_view what) {
  bool in_handshake = !handshake_done();
  absl::StatusCode code = absl::StatusCode::kUnavailable;
  std::string detail;
  if (ssl_error == SSL_ERROR_SSL) {
    unsigned long err = ERR_peek_last_error();  // NOLINT(runtime/int)
    if (ERR_GET_LIB(err) == ERR_LIB_SSL && ERR_GET_REASON(err) == SSL_R_READ_TIMEOUT_EXPIRED) {
      code = absl::StatusCode::kDeadlineExceeded;
    } else if (ERR_GET_LIB(err) == ERR_LIB_SSL &&
               ERR_GET_REASON(err) == SSL_R_UNEXPECTED_EOF_WHILE_READING) {
      code = absl::StatusCode::kUnavailable;
    } else if (in_handshake && state_.alert_received == SSL_AD_INTERNAL_ERROR) {
      // The server could not look our key up (docs/protocol.md 2): an outage, not a refusal.
      code = absl::StatusCode::kUnavailable;
    } else if (in_handshake) {
      code = absl::StatusCode::kUnauthenticated;
    }
  } else if (ssl_error == SSL_ERROR_SYSCALL) {
    int saved = errno;
    detail = ERR_peek_error() == 0 && saved != 0 ? absl::StrCat(": ", strerror(saved))
                                                 : std::string(": connection closed by peer");
  } else if (ssl_error == SSL_ERROR_ZERO_RETURN) {
    detail = ": close_notify during handshake";
  } else {
    detail = absl::StrCat(": SSL error ", ssl_error);
  }
  std::string msg = absl::StrCat(TransportName(transport_), " ", what, " failed", detail);
  if (state_.alert_sent >= 0) {
    absl::StrAppend(&msg, " (alert sent: ", SSL_alert_desc_string_long(state_.alert_sent), ")");
  }
  if (state_.alert_received >= 0) {
    absl::StrAppend(&msg, " (alert received: ", SSL_alert_desc_string_long(state_.alert_received),
                    ")");
  }
  status_ = OpenSslError(code, msg);
  failed_ = true;
  return Step::kFailed;
}

Step PskSession::Handshake() {
  if (failed_) return Step::kFailed;
  EnsureBuffers();
  ERR_clear_error();
  int r = SSL_do_handshake(ssl_.get());
  async_paused_ = false;
  if (r == 1) {
    // Application data needs no ASYNC job (each SSL_read/SSL_write would otherwise run in one).
    // Renegotiation is off (psk_context.cc), so no lookup follows: the wake-up callback goes too.
    if (state_.on_async_ready) {
      SSL_clear_mode(ssl_.get(), SSL_MODE_ASYNC);
      std::function<void()>().swap(state_.on_async_ready);
    }
    // Idle from here on, mostly: keep record buffers only while they hold data (TLS; DTLS
    // sessions release theirs explicitly).
    if (transport_ == Transport::kTls) SSL_set_mode(ssl_.get(), SSL_MODE_RELEASE_BUFFERS);
    ReleaseBuffers();
    return Step::kDone;
  }
  int err = SSL_get_error(ssl_.get(), r);
  if (err == SSL_ERROR_WANT_READ) {
    // TLS: waiting for the client's next flight (or for a client that never sends it) needs no
    // record buffers, which are 33 KiB of a half-open session's state; the record layer makes
    // them again when the flight comes. Not while paused on a lookup (kWantAsync): the record
    // being processed lives in them. DTLS keeps its buffers until the handshake is done.
    if (transport_ == Transport::kTls) ReleaseBuffers();
    return Step::kWantRead;
  }
  if (err == SSL_ERROR_WANT_WRITE) return Step::kWantWrite;
  if (err == SSL_ERROR_WANT_ASYNC) {
    async_paused_ = true;
    return Step::kWantAsync;
  }
  return Fail(err, "handshake");
}

Step PskSession::Read(char* out, size_t out_len, size_t* out_read) {
  *out_read = 0;
  if (failed_) return Step::kFailed;
  EnsureBuffers();
  ERR_clear_error();
  int r = SSL_read_ex(ssl_.get(), out, out_len, out_read);
  if (r == 1) return Step::kDone;
  int err = SSL_get_error(ssl_.get(), r);
  if (err == SSL_ERROR_WANT_READ) {
    // Waiting for the peer: an empty read buffer need not be kept (SSL_MODE_RELEASE_BUFFERS frees
    // it only after a record was consumed, not when a read finds nothing).
    if (handshake_done()) ReleaseBuffers();
    return Step::kWantRead;
  }
  if (err == SSL_ERROR_WANT_WRITE) return Step::kWantWrite;
  if (err == SSL_ERROR_ZERO_RETURN) return Step::kClosed;
  return Fail(err, "read");
}

Step PskSession::Write(absl::string_view data, size_t* out_written) {
  *out_written = 0;
  if (failed_) return Step::kFailed;
  if (data.empty()) return Step::kDone;
  EnsureBuffers();
  ERR_clear_error();
  int r = SSL_write_ex(ssl_.get(), data.data(), data.size(), out_written);
  if (r == 1) return Step::kDone;
  int err = SSL_get_error(ssl_.get(), r);
  if (err == SSL_ERROR_WANT_READ) return Step::kWantRead;
  if (err == SSL_ERROR_WANT_WRITE) return Step::kWantWrite;
  if (err == SSL_ERROR_ZERO_RETURN) return Step::kClosed;
  return Fail(err, "write");
}

Step PskSession::Shutdown() {
  if (failed_) return Step::kFailed;
  if (!handshake_done()) return Step::kClosed;  // SSL_shutdown is not allowed mid-handshake.
  EnsureBuffers();
  ERR_clear_error();
  int r = SSL_shutdown(ssl_.get());
  if (r >= 0) return Step::kDone;  // 0: close_notify sent; 1: both sent.
  int err = SSL_get_error(ssl_.get(), r);
  if (err == SSL_ERROR_WANT_READ) return Step::kWantRead;
  if (err == SSL_ERROR_WANT_WRITE) return Step::kWantWrite;
  return Fail(err, "shutdown");
}

void PskSession::ReleaseBuffers() {
  // SSL_free_buffers returns 0 (and keeps them) while they hold data.
  if (!failed_ && !buffers_released_ && SSL_free_buffers(ssl_.get()) == 1) {
    // TLS's record layer allocates a missing buffer by itself; only DTLS needs EnsureBuffers.
    buffers_released_ = dgram_bio_ != nullptr;
  }
}

// EnsureBuffers undoes ReleaseBuffers. Needed because OpenSSL 3.0's DTLS record writer (unlike
// TLS's) does not allocate a missing write buffer itself.
void PskSession::EnsureBuffers() {
  if (buffers_released_) {
    SSL_alloc_buffers(ssl_.get());
    buffers_released_ = false;
  }
}

void PskSession::FeedDatagram(absl::string_view datagram) {
  if (dgram_bio_ != nullptr) DatagramBioPush(dgram_bio_, datagram);
}

bool PskSession::PopDatagram(std::string* out) {
  return dgram_bio_ != nullptr && DatagramBioPop(dgram_bio_, out);
}

std::optional<absl::Duration> PskSession::DtlsTimeout() const {
  if (transport_ != Transport::kDtls || failed_) return std::nullopt;
  struct timeval tv;
  if (DTLSv1_get_timeout(ssl_.get(), &tv) != 1) return std::nullopt;
  return absl::DurationFromTimeval(tv);
}

Step PskSession::HandleDtlsTimeout() {
  if (failed_) return Step::kFailed;
  if (transport_ != Transport::kDtls) return Step::kDone;
  // Paused inside the state machine: retransmitting now would interleave with it. The handshake
  // timer still bounds the wait.
  if (async_paused_) return Step::kWantRead;
  EnsureBuffers();
  ERR_clear_error();
  int r = DTLSv1_handle_timeout(ssl_.get());
  if (r < 0) {
    if (ERR_peek_error() == 0) ERR_raise(ERR_LIB_SSL, SSL_R_READ_TIMEOUT_EXPIRED);
    Step step = Fail(SSL_ERROR_SSL, "retransmission");
    status_ = absl::DeadlineExceededError(status_.message());
    return step;
  }
  return handshake_done() ? Step::kDone : Step::kWantRead;
}

bool PskSession::HandshakeExpired(absl::Time now) const {
  return !handshake_done() && now - started_ > ctx_->handshake_timeout();
}

absl::StatusOr<SecretBytes> PskSession::Export(absl::string_view label, size_t len) const {
  if (failed_ || !handshake_done()) {
    return absl::FailedPreconditionError("Export needs a completed handshake");
  }
  if (len == 0 || len > 1024) return absl::InvalidArgumentError("export length must be 1..1024");
  SecretBytes out(len);
  ERR_clear_error();
  if (SSL_export_keying_material(ssl_.get(), out.mutable_data(), len, label.data(), label.size(),
                                 nullptr, 0, /*use_context=*/0) != 1) {
    return OpenSslError(absl::StatusCode::kInternal, "SSL_export_keying_material");
  }
  return out;
}

bool PskSession::ephemeral_key_exchange() const {
  if (SSL_version(ssl_.get()) != TLS1_3_VERSION) {
    // (D)TLS 1.2: the suite says (an OpenSSL 1.2 server does not keep the peer's share).
    const SSL_CIPHER* cipher = SSL_get_current_cipher(ssl_.get());
    return cipher != nullptr && SSL_CIPHER_get_kx_nid(cipher) == NID_kx_ecdhe_psk;
  }
  // TLS 1.3: the kx of the suite is "any"; psk_dhe_ke leaves the peer's key share.
  EVP_PKEY* peer = nullptr;
  if (SSL_get_peer_tmp_key(ssl_.get(), &peer) != 1 || peer == nullptr) return false;
  EVP_PKEY_free(peer);  // SSL_get_peer_tmp_key takes a reference.
  return true;
}

uint16_t PskSession::cipher_id() const {
  const SSL_CIPHER* cipher = SSL_get_current_cipher(ssl_.get());
  return cipher == nullptr ? 0 : SSL_CIPHER_get_protocol_id(cipher);
}

std::string PskSession::cipher_name() const {
  const SSL_CIPHER* cipher = SSL_get_current_cipher(ssl_.get());
  const char* name = cipher == nullptr ? nullptr : SSL_CIPHER_standard_name(cipher);
  return name == nullptr ? std::string() : std::string(name);
}

const std::string& PskSession::psk_identity() const {
  return role_ == Role::kServer ? state_.psk_identity : ctx_->psk_identity();
}

const std::string& PskSession::server_name() const {
  return role_ == Role::kServer ? state_.server_name : ctx_->server_name();
}

}  // namespace tls
}  // namespace onem2m

#include "common/tls/dtls_listener.h"

#include <openssl/err.h>
#include <openssl/ssl.h>

#include <utility>

#include "common/tls/dgram_bio.h"

namespace onem2m {
namespace tls {

bool IsInitialClientHello(absl::string_view d) {
  // Record: type(1) version(2) epoch(2) seq(6) length(2); then handshake msg_type(1).
  return d.size() > 13 && d[0] == 22 && d[3] == 0 && d[4] == 0 && d[13] == 1;
}

DtlsListener::DtlsListener(std::shared_ptr<const PskContext> ctx) : ctx_(std::move(ctx)) {}

DtlsListener::~DtlsListener() {
  if (client_ != nullptr) BIO_ADDR_free(client_);
}

absl::StatusOr<std::unique_ptr<DtlsListener>> DtlsListener::New(
    std::shared_ptr<const PskContext> ctx) {
  if (ctx == nullptr || ctx->transport() != Transport::kDtls || ctx->role() != Role::kServer) {
    return absl::InvalidArgumentError("DtlsListener needs a DTLS server context");
  }
  std::unique_ptr<DtlsListener> listener(new DtlsListener(std::move(ctx)));
  listener->client_ = BIO_ADDR_new();
  if (listener->client_ == nullptr) {
    return OpenSslError(absl::StatusCode::kResourceExhausted, "BIO_ADDR_new");
  }
  absl::Status status = listener->Reset();
  if (!status.ok()) return status;
  return listener;
}

// Reset gives the listener a fresh SSL (after handing the old one to a session, or after an error).
absl::Status DtlsListener::Reset() {
  ClearOpenSslErrors();
  ssl_.reset(SSL_new(ctx_->ssl_ctx()));
  if (ssl_ == nullptr) return OpenSslError(absl::StatusCode::kResourceExhausted, "SSL_new");
  bio_ = NewDatagramBio(ctx_->dtls_mtu());
  if (bio_ == nullptr) {
    ssl_.reset();
    return OpenSslError(absl::StatusCode::kResourceExhausted, "BIO_new");
  }
  SSL_set_bio(ssl_.get(), bio_, bio_);
  SSL_set_mtu(ssl_.get(), ctx_->dtls_mtu());
  state_ = internal::SessionState();
  SSL_set_ex_data(ssl_.get(), internal::SessionStateIndex(), &state_);
  return absl::OkStatus();
}

absl::StatusOr<std::unique_ptr<PskSession>> DtlsListener::Offer(absl::string_view peer,
                                                                 absl::string_view datagram,
                                                                 absl::Time now,
                                                                 std::string* out_reply) {
  out_reply->clear();
  if (ssl_ == nullptr) {
    absl::Status status = Reset();
    if (!status.ok()) return status;
  }
  state_.peer.assign(peer.data(), peer.size());
  DatagramBioClearIn(bio_);
  DatagramBioPush(bio_, datagram);
  ERR_clear_error();
  int r = DTLSv1_listen(ssl_.get(), client_);
  std::string out;
  bool have_reply = false;
  while (DatagramBioPop(bio_, &out)) {
    if (!have_reply) {
      *out_reply = std::move(out);
      have_reply = true;
    }
  }
  if (r == 1) {
    // The cookie was valid: the ClientHello is buffered inside the SSL; hand it over.
    out_reply->clear();
    std::unique_ptr<PskSession> session =
        PskSession::Adopt(ctx_, std::move(ssl_), bio_, std::string(peer), now);
    bio_ = nullptr;
    absl::Status status = Reset();
    if (!status.ok()) return status;
    return session;
  }
  ERR_clear_error();
  if (r < 0) {
    // A fatal listen error leaves the SSL unusable; start over. The peer gets nothing.
    out_reply->clear();
    absl::Status status = Reset();
    if (!status.ok()) return status;
  }
  return std::unique_ptr<PskSession>();
}

}  // namespace tls
}  // namespace onem2m

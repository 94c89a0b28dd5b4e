// File: common/tls/psk_session.h
//
// PskSession is one TLS 1.2 or DTLS 1.2 PSK connection, client or server, driven without blocking:
// each call does what it can and returns a Step telling the event loop what to wait for.
//
// TLS over TCP: the session reads and writes a non-blocking socket itself (SSL_set_fd). It does
// not own or close the fd.
//
//   auto session = PskSession::NewStream(server_ctx, fd, absl::Now());
//   switch ((*session)->Handshake()) {
//     case Step::kDone:      /* (*session)->Export("EXPORTER-oneM2M-Bootstrap", 48) */ break;
//     case Step::kWantRead:  /* wait for EPOLLIN, call Handshake() again */ break;
//     case Step::kWantWrite: /* wait for EPOLLOUT, call Handshake() again */ break;
//     default:               /* kFailed: log (*session)->status(); close fd */ break;
//   }
//   // Close sessions where HandshakeExpired(now) from a timer.
//
// DTLS over UDP: the session never touches a socket. Server sessions come from DtlsListener
// (dtls_listener.h), which performs the cookie exchange; client sessions from NewDatagramClient.
// Push each datagram from the peer with FeedDatagram, call Handshake()/Read(), then send every
// datagram PopDatagram yields. While DtlsTimeout() has a value, arm a timer for it and call
// HandleDtlsTimeout() when it fires (retransmission, RFC 6347 4.2.4). kWantWrite never occurs.
//
// After kDone: Read/Write application data (TLS: a byte stream; DTLS: one datagram per call),
// Shutdown() sends close_notify.
//
// Thread safety: none. A session may move between threads between calls.
// Memory: TLS record buffers (33 KiB) are freed whenever the session waits for the peer, during the
// handshake (kWantRead) and after it (SSL_MODE_RELEASE_BUFFERS, and Read's kWantRead), so an idle
// established session holds OpenSSL's connection state only (about 14 KiB with the mandatory CBC
// suite) and a half-open one that state plus OpenSSL's 16 KiB handshake message buffer.
#ifndef ONEM2M_COMMON_TLS_PSK_SESSION_H_
#define ONEM2M_COMMON_TLS_PSK_SESSION_H_

#include <openssl/ssl.h>

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "common/openssl_util.h"
#include "common/secret_bytes.h"
#include "common/tls/psk_context.h"
#include "common/tls/session_state.h"

namespace onem2m {
namespace tls {

// Step is the outcome of one non-blocking call.
enum class Step {
  kDone,       // The operation completed.
  kWantRead,   // Wait until the socket is readable (DTLS: a datagram or the timer) and retry.
  kWantWrite,  // Wait until the socket is writable and retry (TLS only).
  kClosed,     // The peer sent close_notify (Read), or the session was shut down.
  kFailed,     // Fatal; status() says why. Close the transport.
  kWantAsync,  // Server: paused on an asynchronous PSK lookup; call Handshake again once the
               // callback given to EnableAsyncLookup has fired (it may already have).
};

// StepName returns "done", "want_read", ... for logs.
absl::string_view StepName(Step step);

// The exporter label of docs/protocol.md section 3 and its length.
inline constexpr absl::string_view kBootstrapExporterLabel = "EXPORTER-oneM2M-Bootstrap";
inline constexpr size_t kBootstrapExporterLen = 48;

class PskSession {
 public:
  // NewStream returns a TLS session over the connected TCP socket `fd` (TLS context required),
  // in the context's role. `now` starts the handshake clock.
  static absl::StatusOr<std::unique_ptr<PskSession>> NewStream(
      std::shared_ptr<const PskContext> ctx, int fd, absl::Time now);

  // NewDatagramClient returns a DTLS client session (DTLS client context required).
  static absl::StatusOr<std::unique_ptr<PskSession>> NewDatagramClient(
      std::shared_ptr<const PskContext> ctx, absl::Time now);

  ~PskSession();
  PskSession(const PskSession&) = delete;
  PskSession& operator=(const PskSession&) = delete;

  // EnableAsyncLookup (server, before the first Handshake) lets a resolver that SupportsAsync
  // answer without blocking: Handshake then returns kWantAsync while the lookup runs, and
  // `on_ready` is called, on any thread and at most once per lookup, when the handshake can go on.
  // A session paused on a lookup must be Closed before it is destroyed (the lookup's answer is
  // then dropped).
  void EnableAsyncLookup(std::function<void()> on_ready);
  // Close readies the session to be freed: a handshake paused on an asynchronous lookup is
  // abandoned (the late answer is dropped and wakes nobody) and OpenSSL's paused job is run to its
  // end with no key, writing into a memory buffer, never to the transport. Nothing else changes
  // (call Shutdown first for close_notify); the destructor only releases, so an owner that enabled
  // asynchronous lookups calls Close when it drops the session. Idempotent; a no-op when not
  // paused.
  void Close();
  // async_paused: the last Handshake returned kWantAsync.
  bool async_paused() const { return async_paused_; }

  // Handshake advances the handshake. kFailed status codes: kUnauthenticated (wrong or unknown
  // key, bad SNI, no common suite, malformed handshake: OpenSSL's reason in the message),
  // kUnavailable also when the server sent internal_error (client: the server could not look the
  // key up, docs/protocol.md 2; retry later),
  // kUnavailable (transport error or EOF), kDeadlineExceeded (DTLS retransmissions exhausted).
  Step Handshake();

  // Read reads application data into `out` (up to `out_len` bytes) and sets `*out_read`. DTLS:
  // one record per call; a record larger than `out_len` is truncated. kClosed on close_notify.
  Step Read(char* out, size_t out_len, size_t* out_read);

  // Write writes up to `data.size()` bytes and sets `*out_written` (TLS may write part; retry the
  // rest). DTLS: `data` becomes one record, at most 16384 bytes.
  Step Write(absl::string_view data, size_t* out_written);

  // Shutdown sends close_notify (without waiting for the peer's). kDone once sent.
  Step Shutdown();

  // ReleaseBuffers frees OpenSSL's record buffers if they hold nothing (they are reallocated on
  // the next read or write). Sessions do it after the handshake and whenever Read() returns
  // kWantRead; TLS sessions also whenever Handshake() returns kWantRead, and after each record
  // (SSL_MODE_RELEASE_BUFFERS). Call it on idle sessions.
  void ReleaseBuffers();

  // status returns why the session failed (OK while it has not). Never contains key bytes.
  const absl::Status& status() const { return status_; }

  // --- DTLS only ---

  // FeedDatagram queues one datagram received from this session's peer.
  void FeedDatagram(absl::string_view datagram);
  // PopDatagram moves the next datagram to send into `*out`; false when none is left.
  bool PopDatagram(std::string* out);
  // DtlsTimeout returns the time left on the retransmission timer, or nullopt if it is not running.
  std::optional<absl::Duration> DtlsTimeout() const;
  // HandleDtlsTimeout retransmits if the timer expired (then pop datagrams). kFailed once the
  // retransmission budget is spent; kDone or kWantRead otherwise.
  Step HandleDtlsTimeout();

  // --- Facts about the session ---

  Role role() const { return role_; }
  Transport transport() const { return transport_; }
  bool handshake_done() const { return SSL_is_init_finished(ssl_.get()) == 1; }
  absl::Time handshake_started() const { return started_; }
  // HandshakeExpired returns true if the handshake is unfinished and older than the context's
  // handshake_timeout; the event loop should then drop the session.
  bool HandshakeExpired(absl::Time now) const;

  // Export returns `len` bytes of RFC 5705 keying material for `label`, with no context
  // (docs/protocol.md 3). kFailedPrecondition before the handshake is done.
  absl::StatusOr<SecretBytes> Export(absl::string_view label, size_t len) const;

  // cipher_id returns the negotiated suite's IANA code point (0 before the handshake);
  // cipher_name its IANA name ("" before).
  uint16_t cipher_id() const;
  std::string cipher_name() const;

  // protocol_version returns TLS1_2_VERSION, TLS1_3_VERSION or DTLS1_2_VERSION (after the
  // handshake). psk_imported: server, the TLS 1.3 identity was an RFC 9258 ImportedIdentity.
  // ephemeral_key_exchange: an (EC)DHE share was used (ECDHE-PSK, TLS 1.3 psk_dhe_ke), false for
  // plain PSK and TLS 1.3 psk_ke (docs/protocol.md 2a).
  int protocol_version() const { return SSL_version(ssl_.get()); }
  bool psk_imported() const { return state_.psk_imported; }
  bool ephemeral_key_exchange() const;

  // psk_identity returns the identity the client presented (server: as received, possibly an
  // unknown one, or the external identity inside an ImportedIdentity; client: its own).
  // psk_lookup/lookup_status: what the server's resolver said. Neither is ever shown to the peer.
  const std::string& psk_identity() const;
  PskLookup psk_lookup() const { return state_.psk_lookup; }
  const absl::Status& lookup_status() const { return state_.lookup_status; }
  // psk_context (server) returns the context the resolver answered with the key this session
  // found (PskResolver, ResolvedPsk::context) as the resolver's own type T, or null when no key
  // was found, the resolver gave none, or it is not a T. It is this session's alone.
  template <typename T>
  std::shared_ptr<const T> psk_context() const {
    return std::dynamic_pointer_cast<const T>(state_.psk_context);
  }
  // TakePskContext is psk_context that also lets go of the session's reference, for the one
  // consumer that runs after the handshake (a long-lived session then holds no lookup context).
  template <typename T>
  std::shared_ptr<const T> TakePskContext() {
    std::shared_ptr<const T> out = psk_context<T>();
    state_.psk_context.reset();
    return out;
  }

  // server_name returns the SNI the client sent (server) or sends (client); "" if none.
  const std::string& server_name() const;

  // alert_sent / alert_received return the last TLS alert description (RFC 5246 7.2) sent or
  // received, or -1.
  int alert_sent() const { return state_.alert_sent; }
  int alert_received() const { return state_.alert_received; }

  // ssl returns the underlying SSL for what this class does not cover. WARNING: do not change the
  // BIOs, callbacks or ex_data.
  SSL* ssl() const { return ssl_.get(); }

 private:
  friend class DtlsListener;

  PskSession(std::shared_ptr<const PskContext> ctx, SslPtr ssl, BIO* dgram_bio, absl::Time now);
  // Adopt wraps an SSL that finished DTLSv1_listen (server). `peer` is the cookie peer key.
  static std::unique_ptr<PskSession> Adopt(std::shared_ptr<const PskContext> ctx, SslPtr ssl,
                                           BIO* dgram_bio, std::string peer, absl::Time now);

  void EnsureBuffers();
  // Fail maps an OpenSSL failure to a Step and records status_.
  Step Fail(int ssl_error, absl::string_view what);

  std::shared_ptr<const PskContext> ctx_;
  SslPtr ssl_;
  BIO* dgram_bio_;  // Owned by ssl_; null for TLS.
  const Role role_;
  const Transport transport_;
  const absl::Time started_;
  internal::SessionState state_;
  absl::Status status_;
  bool failed_ = false;
  bool buffers_released_ = false;
  bool async_paused_ = false;
};

}  // namespace tls
}  // namespace onem2m

#endif  // ONEM2M_COMMON_TLS_PSK_SESSION_H_

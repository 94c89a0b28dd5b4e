// File: common/tls/session_state.h
//
// INTERNAL to common/tls: the per-SSL record that OpenSSL callbacks (PSK, SNI, cookies, alerts)
// fill in and PskSession reads. Attached to each SSL with SSL_set_ex_data. Not for other packages.
#ifndef ONEM2M_COMMON_TLS_SESSION_STATE_H_
#define ONEM2M_COMMON_TLS_SESSION_STATE_H_

#include <openssl/ssl.h>

#include <functional>
#include <memory>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "common/secret_bytes.h"
#include "common/tls/psk_resolver.h"

namespace onem2m {
namespace tls {

class PskContext;

namespace internal {

// AsyncLookup is one PskResolver::ResolveAsync in progress, shared by the paused handshake (which
// waits for it inside its ASYNC job) and the resolver's callback (any thread).
class AsyncLookup {
 public:
  explicit AsyncLookup(std::function<void()> on_ready) : on_ready_(std::move(on_ready)) {}

  // Complete stores the answer (the first one counts); wakes the session if its handshake is
  // already paused on it.
  void Complete(absl::StatusOr<ResolvedPsk> result) { Finish(std::move(result), /*wake=*/true); }

  // TryTake (handshake thread) moves the answer out and returns true once there is one; otherwise
  // it marks the handshake paused so Complete wakes it, and returns false.
  bool TryTake(absl::StatusOr<ResolvedPsk>* out) {
    absl::MutexLock lock(&mu_);
    if (!done_) {
      paused_ = true;
      return false;
    }
    *out = std::move(result_);
    return true;
  }

  // Abandon (handshake thread, session going away) answers with an error, waking nobody, so the
  // paused job can run to its end; the resolver's late answer is then dropped.
  void Abandon() {
    Finish(absl::CancelledError("session closed during PSK lookup"), /*wake=*/false);
  }

 private:
  void Finish(absl::StatusOr<ResolvedPsk> result, bool wake) {
    {
      absl::MutexLock lock(&mu_);
      if (done_) return;
      result_ = std::move(result);
      done_ = true;
      wake = wake && paused_;
    }
    if (wake && on_ready_) on_ready_();
  }

  const std::function<void()> on_ready_;
  mutable absl::Mutex mu_;
  bool done_ ABSL_GUARDED_BY(mu_) = false;
  bool paused_ ABSL_GUARDED_BY(mu_) = false;
  absl::StatusOr<ResolvedPsk> result_ ABSL_GUARDED_BY(mu_) = absl::UnknownError("pending");
};

struct SessionState {
  // Server with asynchronous lookups enabled (PskSession::EnableAsyncLookup): what to call, from
  // any thread, when a paused lookup has its answer; and the lookup in progress, if any.
  std::function<void()> on_async_ready;
  std::shared_ptr<AsyncLookup> lookup;
  // Client: the context whose identity and key this session presents. Client contexts share one
  // SSL_CTX per (transport, suites), so the SSL_CTX cannot say which PskContext a session is for.
  const PskContext* client = nullptr;
  std::string peer;           // DTLS server: PeerKey of the peer, for cookies.
  std::string psk_identity;   // Server: presented identity (TLS 1.3 importer: the external one).
  bool psk_imported = false;  // Server: TLS 1.3 identity was an RFC 9258 ImportedIdentity.
  PskLookup psk_lookup = PskLookup::kNotAsked;
  absl::Status lookup_status;  // Server: resolver's status (never holds key bytes).
  // Server: the context the resolver returned with the key it found (kFound only; else null).
  // Per session, so concurrent handshakes with the same identity each keep their own.
  std::shared_ptr<const PskKeyContext> psk_context;
  std::string server_name;  // Server: SNI the client sent ("" if none).
  int alert_sent = -1;      // Last alert description sent, -1 if none.
  int alert_received = -1;  // Last alert description received, -1 if none.
};

// SessionStateIndex returns the SSL ex_data index for SessionState*.
int SessionStateIndex();

// StateOf returns the SessionState attached to `ssl`, or nullptr.
inline SessionState* StateOf(const SSL* ssl) {
  return static_cast<SessionState*>(SSL_get_ex_data(ssl, SessionStateIndex()));
}

}  // namespace internal
}  // namespace tls
}  // namespace onem2m

#endif  // ONEM2M_COMMON_TLS_SESSION_STATE_H_

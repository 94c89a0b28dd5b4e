#include <atomic>
#include <string>
#include <utility>

#include "absl/time/clock.h"
#include "common/log/logger.h"
#include "common/psk_server/io_thread.h"
#include "common/tls/session_state.h"

namespace onem2m::server::internal {
namespace {

// WarnLookupFailed logs one warning per 10 s at most (with the number of
// failures since the last line), whatever the number of handshakes an outage refuses: the line
// says the store or upstream is down, not which identity was asked (the lookup status holds no
// identity or key).
void WarnLookupFailed(const absl::Status& status) {
  constexpr int64_t kWarnEveryNs = 10'000'000'000;  // 10 s
  static std::atomic<int64_t> next_ns{0};
  static std::atomic<int64_t> suppressed{0};
  const int64_t now = absl::GetCurrentTimeNanos();
  int64_t next = next_ns.load(std::memory_order_relaxed);
  if (now < next || !next_ns.compare_exchange_strong(next, now + kWarnEveryNs)) {
    suppressed.fetch_add(1, std::memory_order_relaxed);
    return;
  }
  const int64_t more = suppressed.exchange(0, std::memory_order_relaxed);
  Log(Level::kWarning, "psk_lookup_failed",
      {{"status", std::string(absl::StatusCodeToString(status.code()))},
       {"also_failed_since_last_warning", std::to_string(more)},
       {"effect", "handshakes aborted with internal_error; devices retry"}});
}

}  // namespace

Session::Session(IoThread* thread, uint64_t id, tls::Transport transport,
                 std::unique_ptr<tls::PskSession> tls, std::string peer, std::string source)
    : thread_(thread),
      id_(id),
      started_(thread->loop().Now()),
      peer_(std::move(peer)),
      source_(std::move(source)),
      transport_(transport) {
  const int open = thread_->shared()->open_sessions.fetch_add(1) + 1;
  std::atomic<int>& peak = thread_->shared()->peak_sessions;
  for (int seen = peak.load(std::memory_order_relaxed);
       seen < open && !peak.compare_exchange_weak(seen, open, std::memory_order_relaxed);) {
  }
  if (thread_->shared()->observer) thread_->shared()->observer->OnSessionOpened(transport_);
  const PskServerOptions& o = thread_->shared()->options;
  const tls::PskContext& ctx =
      transport_ == tls::Transport::kTls ? *o.tls_context : *o.dtls_context;
  if (tls != nullptr) AttachTls(std::move(tls));
  handshake_timer_ = thread_->loop().RunAfter(ctx.handshake_timeout(), [this] {
    handshake_timer_ = 0;
    if (handshake_complete_ || closed_) return;
    // Also when paused on an asynchronous lookup: closing drops the late answer (PskSession::Close
    // finishes the paused job into a memory BIO).
    FailHandshake(HandshakeOutcome::kTimeout);
  });
}

Session::~Session() {
  thread_->shared()->limiter->Release(source_);
  thread_->shared()->open_sessions.fetch_sub(1);
  if (thread_->shared()->observer) thread_->shared()->observer->OnSessionClosed(transport_);
}

void Session::AttachTls(std::unique_ptr<tls::PskSession> tls) {
  tls_ = std::move(tls);
  if (tls_->role() == tls::Role::kServer &&
      (transport_ == tls::Transport::kTls ? thread_->shared()->options.tls_context
                                          : thread_->shared()->options.dtls_context)
          ->async_lookups()) {
    tls_->EnableAsyncLookup([gate = thread_->gate(), thread = thread_, id = id_] {
      gate->Post([thread, id] {
        if (Session* s = thread->Find<Session>(id)) s->OnAsyncReady();
      });
    });
  }
}

void Session::DriveHandshake() {
  tls::Step step = tls_->Handshake();
  if (step == tls::Step::kWantAsync) {
    busy_ = true;
    lookup_paused_at_ = absl::Now();
    PauseIo();
    return;
  }
  AfterHandshakeStep(step);
}

void Session::OnAsyncReady() {
  if (!busy_ || closed_) return;
  busy_ = false;
  if (thread_->shared()->observer) {
    thread_->shared()->observer->OnPskLookup(transport_, absl::Now() - lookup_paused_at_);
  }
  DriveHandshake();
}

ConnectionInfo Session::Info() const {
  ConnectionInfo info;
  info.transport = transport_;
  info.peer = peer_;
  if (tls_ != nullptr) info.psk_identity = tls_->psk_identity();
  return info;
}

HandshakeOutcome Session::ClassifyFailure() const {
  if (tls_ == nullptr) return HandshakeOutcome::kProtocolError;
  if (tls_->psk_lookup() == tls::PskLookup::kLookupFailed) {
    return HandshakeOutcome::kStoreUnavailable;
  }
  if (tls_->psk_lookup() != tls::PskLookup::kFound &&
      tls_->psk_lookup() != tls::PskLookup::kNotAsked) {
    return HandshakeOutcome::kBadKey;
  }
  // 20 = bad_record_mac, 51 = decrypt_error: what a wrong key produces (RFC 5246 7.2).
  if (tls_->alert_sent() == 20 || tls_->alert_sent() == 51 || tls_->alert_received() == 20 ||
      tls_->alert_received() == 51) {
    return HandshakeOutcome::kBadKey;
  }
  return HandshakeOutcome::kProtocolError;
}

void Session::FailHandshake(HandshakeOutcome outcome) {
  if (tls_ == nullptr) {  // the client never completed its first record
    if (thread_->shared()->observer) {
      thread_->shared()->observer->OnHandshake(Info(), outcome, absl::Now() - started_);
    }
    Close();
    return;
  }
  // A DTLS peer with an unknown identity stalls rather than failing (bad records are dropped
  // silently), so a timeout after a failed lookup is really a bad key.
  if (outcome == HandshakeOutcome::kTimeout && tls_->psk_lookup() != tls::PskLookup::kFound &&
      tls_->psk_lookup() != tls::PskLookup::kNotAsked) {
    outcome = tls_->psk_lookup() == tls::PskLookup::kLookupFailed
                  ? HandshakeOutcome::kStoreUnavailable
                  : HandshakeOutcome::kBadKey;
  }
  if (outcome == HandshakeOutcome::kStoreUnavailable) WarnLookupFailed(tls_->lookup_status());
  if (thread_->shared()->observer) {
    thread_->shared()->observer->OnHandshake(Info(), outcome, absl::Now() - started_);
  }
  Close();
}

bool Session::CompleteHandshake() {
  handshake_complete_ = true;
  if (handshake_timer_ != 0) thread_->loop().Cancel(handshake_timer_);
  handshake_timer_ = 0;
  ConnectionInfo info = Info();
  info.cipher = tls_->cipher_name();
  if (thread_->shared()->observer) {
    thread_->shared()->observer->OnHandshake(info, HandshakeOutcome::kOk, absl::Now() - started_);
  }
  absl::StatusOr<std::unique_ptr<SessionHandler>> handler =
      thread_->shared()->factory->OnHandshake(*tls_, info);
  if (!handler.ok()) {
    Close();
    return false;
  }
  handler_ = std::move(*handler);
  ArmIdleTimer();
  return true;
}

void Session::ArmIdleTimer() {
  if (idle_timer_ != 0) thread_->loop().Cancel(idle_timer_);
  idle_timer_ = thread_->loop().RunAfter(thread_->shared()->options.idle_timeout, [this] {
    idle_timer_ = 0;
    if (awaiting_response_) {
      ArmIdleTimer();  // the service is still working on an answer
      return;
    }
    Close();
  });
}

void Session::CancelTimers() {
  if (handshake_timer_ != 0) thread_->loop().Cancel(handshake_timer_);
  if (idle_timer_ != 0) thread_->loop().Cancel(idle_timer_);
  handshake_timer_ = idle_timer_ = 0;
}

}  // namespace onem2m::server::internal

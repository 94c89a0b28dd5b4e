#include <sys/socket.h>

#include <utility>

#include "common/psk_server/io_thread.h"

namespace onem2m::server::internal {

DatagramSession::DatagramSession(IoThread* thread, uint64_t id, int udp_fd,
                                 net::SocketAddress peer_addr, std::string peer_key,
                                 std::unique_ptr<tls::PskSession> tls, std::string peer,
                                 std::string source)
    : Session(thread, id, tls::Transport::kDtls, std::move(tls), std::move(peer),
              std::move(source)),
      udp_fd_(udp_fd),
      peer_addr_(peer_addr),
      peer_key_(std::move(peer_key)),
      max_datagram_(thread->shared()->options.max_datagram_bytes) {}

DatagramSession::~DatagramSession() = default;

void DatagramSession::Start() { DriveHandshake(); }

void DatagramSession::Flush() {
  std::string out;
  while (tls_->PopDatagram(&out)) {
    // UDP send errors (a full buffer) are like loss on the wire: DTLS retransmits handshake
    // flights.
    (void)sendto(udp_fd_, out.data(), out.size(), 0, peer_addr_.sa(), peer_addr_.len);
  }
}

void DatagramSession::ArmDtlsTimer() {
  if (dtls_timer_ != 0) thread_->loop().Cancel(dtls_timer_);
  dtls_timer_ = 0;
  std::optional<absl::Duration> t = tls_->DtlsTimeout();
  if (!t.has_value()) return;
  dtls_timer_ = thread_->loop().RunAfter(*t, [this] {
    dtls_timer_ = 0;
    if (closed_ || busy_) return;
    tls::Step step = tls_->HandleDtlsTimeout();
    Flush();
    if (step == tls::Step::kFailed) {
      if (!handshake_complete_) {
        FailHandshake(HandshakeOutcome::kTimeout);
      } else {
        Close();
      }
      return;
    }
    ArmDtlsTimer();
  });
}

void DatagramSession::OnDatagram(absl::string_view datagram) {
  if (closed_) return;
  if (busy_) {
    if (held_.size() < 16) held_.emplace_back(datagram);
    return;
  }
  tls_->FeedDatagram(datagram);
  if (!handshake_complete_) {
    DriveHandshake();
    return;
  }
  ReadDatagrams();
}

void DatagramSession::AfterHandshakeStep(tls::Step step) {
  if (closed_) return;
  Flush();
  switch (step) {
    case tls::Step::kDone:
      if (dtls_timer_ != 0) thread_->loop().Cancel(dtls_timer_);
      dtls_timer_ = 0;
      if (!CompleteHandshake()) return;
      ArmDtlsTimer();  // the server's last flight may still need retransmitting
      break;
    case tls::Step::kWantRead:
      ArmDtlsTimer();
      break;
    default:
      FailHandshake(ClassifyFailure());
      return;
  }
  // Datagrams that arrived while the session was paused on its PSK lookup.
  while (!held_.empty() && !closed_ && !busy_) {
    std::string d = std::move(held_.front());
    held_.pop_front();
    tls_->FeedDatagram(d);
    if (!handshake_complete_) {
      DriveHandshake();
      return;
    }
  }
  if (handshake_complete_) ReadDatagrams();
}

void DatagramSession::ReadDatagrams() {
  char buf[16 * 1024];
  while (!closed_ && !awaiting_response_) {
    size_t n = 0;
    tls::Step step = tls_->Read(buf, sizeof(buf), &n);
    Flush();
    if (step == tls::Step::kWantRead) return;
    if (step != tls::Step::kDone) {
      Close();
      return;
    }
    if (n == 0) continue;
    if (n > max_datagram_) continue;  // oversized: dropped, as a CoAP server may (RFC 7252 4.2)
    awaiting_response_ = true;
    IoThread* thread = thread_;
    uint64_t id = id_;
    // As StreamSession's answers: from any thread, dropped by the gate once this thread stopped.
    handler_->OnDatagram(std::string(buf, n), [gate = thread->gate(), thread, id](
                                                  std::string reply) {
      gate->Post([thread, id, reply = std::move(reply)]() mutable {
        if (DatagramSession* self = thread->Find<DatagramSession>(id)) {
          self->OnResponse(std::move(reply));
        }
      });
    });
  }
}

void DatagramSession::OnResponse(std::string datagram) {
  if (closed_) return;
  awaiting_response_ = false;
  if (!datagram.empty()) {
    size_t written = 0;
    tls::Step step = tls_->Write(datagram, &written);
    Flush();
    if (step == tls::Step::kFailed) {
      Close();
      return;
    }
  }
  if (handler_->ExchangeOver()) {
    Close();  // the answer went out first; close_notify tells the client there is no more
    return;
  }
  ArmIdleTimer();
  if (thread_->draining() && Quiescent()) {
    thread_->OnSessionQuiescent(this);
    return;
  }
  ReadDatagrams();
}

void DatagramSession::Close() {
  if (closed_) return;
  closed_ = true;
  CancelTimers();
  if (dtls_timer_ != 0) thread_->loop().Cancel(dtls_timer_);
  dtls_timer_ = 0;
  if (!busy_ && handshake_complete_) {
    (void)tls_->Shutdown();  // close_notify, so the client does not wait for its retransmissions
    Flush();
  }
  tls_->Close();  // a handshake paused on a lookup drops its answer
  thread_->ForgetPeer(peer_key_);
  thread_->Forget(id_);
}

}  // namespace onem2m::server::internal

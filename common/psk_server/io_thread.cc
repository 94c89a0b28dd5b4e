#include "common/psk_server/io_thread.h"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/async.h>
#include <pthread.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <utility>

#include "common/tls/dtls_cookie.h"

namespace onem2m::server::internal {

IoThread::IoThread(Shared* shared) : shared_(shared), gate_(std::make_shared<LoopGate>(&loop_)) {}

IoThread::~IoThread() {
  StopAndJoin();
  gate_->Close();  // also when never started: a late answer must not reach a destroyed loop
}

void IoThread::AdoptTcpListener(int fd) {
  tcp_listeners_.push_back(fd);
  (void)loop_.Watch(fd, EPOLLIN, [this, fd](uint32_t) { OnAccept(fd); });
}

absl::Status IoThread::AdoptUdpSocket(int fd) {
  absl::StatusOr<std::unique_ptr<tls::DtlsListener>> listener =
      tls::DtlsListener::New(shared_->options.dtls_context);
  if (!listener.ok()) return listener.status();
  auto ep = std::make_unique<UdpEndpoint>(UdpEndpoint{fd, std::move(*listener)});
  UdpEndpoint* raw = ep.get();
  udp_.push_back(std::move(ep));
  return loop_.Watch(fd, EPOLLIN, [this, raw](uint32_t) { OnUdpReadable(raw); });
}

// A handshake paused on an asynchronous PSK lookup holds an OpenSSL ASYNC job (a fibre with its
// own 32 KiB stack). Finished jobs go back to a per-thread pool, unbounded by default, so one storm
// of paused handshakes would keep its stacks for the life of the thread; keep at most this many.
constexpr size_t kMaxPooledAsyncJobs = 64;
constexpr int kAcceptsPerWakeup = 8;

void IoThread::Start() {
  started_ = true;
  thread_ = std::thread([this] {
    pthread_setname_np(pthread_self(), "psk-io");  // as top -H and perf show it
    (void)ASYNC_init_thread(kMaxPooledAsyncJobs, 0);
    loop_.Run();
    ASYNC_cleanup_thread();
  });
}

void IoThread::OnAccept(int listen_fd) {
  // A few accepts per wake-up: each runs its first handshake step at once, and the listening
  // socket (level-triggered) wakes us again, so sessions already open are not kept waiting
  // behind a burst of new ones.
  for (int i = 0; i < kAcceptsPerWakeup; ++i) {
    net::SocketAddress peer;
    peer.len = sizeof(peer.storage);
    int fd = accept4(listen_fd, peer.mutable_sa(), &peer.len, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) return;  // EAGAIN, or EMFILE: try again on the next readiness
    // Request/response over TLS: Nagle would hold our answer until the client ACKs the previous
    // flight, and with delayed ACKs that costs up to 40 ms per exchange.
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    if (!draining_ && !Admit(tls::Transport::kTls, peer)) {
      close(fd);
      continue;
    }
    std::string source = peer.HostString();
    if (draining_ || !shared_->limiter->TryAcquire(source)) {
      if (shared_->observer) {
        ConnectionInfo info;
        info.transport = tls::Transport::kTls;
        info.peer = peer.ToString();
        shared_->observer->OnHandshake(info, HandshakeOutcome::kRejected, absl::ZeroDuration());
      }
      close(fd);
      continue;
    }
    // No TLS state yet: the session makes its PskSession once the ClientHello record is in.
    uint64_t id = NextId();
    auto session =
        std::make_unique<StreamSession>(this, id, fd, peer.ToString(), std::move(source));
    StreamSession* raw = session.get();
    sessions_.emplace(id, std::move(session));
    session_count_.fetch_add(1);
    raw->Start();
  }
}

void IoThread::OnUdpReadable(UdpEndpoint* ep) {
  char buf[2048];
  for (int i = 0; i < 64; ++i) {
    net::SocketAddress peer;
    peer.len = sizeof(peer.storage);
    ssize_t n = recvfrom(ep->fd, buf, sizeof(buf), MSG_TRUNC, peer.mutable_sa(), &peer.len);
    if (n < 0) return;
    if (static_cast<size_t>(n) > sizeof(buf)) continue;  // truncated: larger than any valid record
    absl::string_view datagram(buf, n);
    std::string key = tls::PeerKey(peer.sa(), peer.len);
    auto it = dgram_by_peer_.find(key);
    // A device that restarts keeps its address (a fixed CoAP port, a NAT binding) and starts over
    // with a new ClientHello (RFC 6347 4.2.8): offer it to the listener, and replace the old
    // session only once the new one has proved its address with a cookie.
    const bool restart = it != dgram_by_peer_.end() && tls::IsInitialClientHello(datagram) &&
                         !it->second->busy() && !draining_;
    if (it != dgram_by_peer_.end() && !restart) {
      it->second->OnDatagram(datagram);
      continue;
    }
    if (draining_) continue;
    // Past capacity a new peer gets no answer and no state, not even a cookie exchange.
    if (tls::IsInitialClientHello(datagram) && !Admit(tls::Transport::kDtls, peer)) continue;
    std::string reply;
    absl::StatusOr<std::unique_ptr<tls::PskSession>> tls =
        ep->listener->Offer(key, datagram, loop_.Now(), &reply);
    if (!reply.empty()) {
      (void)sendto(ep->fd, reply.data(), reply.size(), 0, peer.sa(), peer.len);
    }
    if (!tls.ok() || *tls == nullptr) continue;
    if (restart) {
      auto old = dgram_by_peer_.find(key);
      if (old != dgram_by_peer_.end()) old->second->Close();  // frees its slot and peer entry
    }
    // Only a peer that proved its address (returned the cookie) counts against its source's cap.
    std::string source = peer.HostString();
    if (!shared_->limiter->TryAcquire(source)) {
      if (shared_->observer) {
        ConnectionInfo info;
        info.transport = tls::Transport::kDtls;
        info.peer = peer.ToString();
        shared_->observer->OnHandshake(info, HandshakeOutcome::kRejected, absl::ZeroDuration());
      }
      continue;
    }
    uint64_t id = NextId();
    auto session = std::make_unique<DatagramSession>(this, id, ep->fd, peer, key, std::move(*tls),
                                                     peer.ToString(), std::move(source));
    DatagramSession* raw = session.get();
    sessions_.emplace(id, std::move(session));
    dgram_by_peer_.emplace(std::move(key), raw);
    session_count_.fetch_add(1);
    raw->Start();
  }
}

bool IoThread::Admit(tls::Transport transport, const net::SocketAddress& peer) {
  if (shared_->capacity->Admit(shared_->open_sessions.load()) == CapacityGuard::Verdict::kAdmit) {
    return true;
  }
  if (shared_->observer) {
    ConnectionInfo info;
    info.transport = transport;
    info.peer = peer.ToString();
    shared_->observer->OnHandshake(info, HandshakeOutcome::kOverCapacity, absl::ZeroDuration());
  }
  return false;
}

void IoThread::Forget(uint64_t id) {
  auto it = sessions_.find(id);
  if (it == sessions_.end()) return;
  graveyard_.push_back(std::move(it->second));
  sessions_.erase(it);
  session_count_.fetch_sub(1);
  if (graveyard_.size() == 1) {
    loop_.Post([this] {
      graveyard_.clear();
      CompactTables();
    });
  }
}

void IoThread::CompactTables() {
  // After a flood has closed, the session map, the graveyard and the loop's tables would keep
  // the room of the flood's peak resident for good (about 1 MiB per I/O thread at 5,000
  // sessions); give it back once they are at an eighth of their room.
  if (sessions_.capacity() > 1024 && sessions_.size() * 8 < sessions_.capacity()) {
    sessions_.rehash(0);
  }
  loop_.Compact();
  if (graveyard_.capacity() > 1024) std::vector<std::unique_ptr<Session>>().swap(graveyard_);
}

void IoThread::OnSessionQuiescent(Session* s) { s->Close(); }

void IoThread::BeginDrain() {
  loop_.Post([this] {
    draining_ = true;
    for (int fd : tcp_listeners_) {
      loop_.Unwatch(fd);
      close(fd);
    }
    tcp_listeners_.clear();
    std::vector<Session*> idle;
    for (auto& [id, s] : sessions_) {
      if (s->Quiescent()) idle.push_back(s.get());
    }
    for (Session* s : idle) s->Close();
  });
}

void IoThread::StopAndJoin() {
  if (!started_) return;
  started_ = false;
  loop_.Post([this] {
    std::vector<Session*> all;
    for (auto& [id, s] : sessions_) all.push_back(s.get());
    for (Session* s : all) s->Close();
    graveyard_.clear();
    loop_.Stop();
  });
  thread_.join();
  gate_->Close();
  graveyard_.clear();
  for (int fd : tcp_listeners_) close(fd);
  tcp_listeners_.clear();
  for (auto& ep : udp_) close(ep->fd);
  udp_.clear();
}

}  // namespace onem2m::server::internal

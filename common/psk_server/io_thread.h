// File: common/psk_server/io_thread.h
//
// INTERNAL to common/psk_server: one I/O thread of a PskServer (an EventLoop with its listeners and
// sessions) and the two session kinds it drives. Every method runs on the thread's loop unless it
// says otherwise.
#ifndef ONEM2M_COMMON_PSK_SERVER_IO_THREAD_H_
#define ONEM2M_COMMON_PSK_SERVER_IO_THREAD_H_

#include <atomic>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/synchronization/mutex.h"
#include "common/http/request_parser.h"
#include "common/net/event_loop.h"
#include "common/net/socket_util.h"
#include "common/psk_server/capacity_guard.h"
#include "common/psk_server/psk_server.h"
#include "common/psk_server/session_handler.h"
#include "common/psk_server/source_limiter.h"
#include "common/tls/dtls_listener.h"
#include "common/tls/psk_session.h"

namespace onem2m::server::internal {

class IoThread;

// Shared is what every I/O thread of one server shares.
struct Shared {
  PskServerOptions options;
  SessionHandlerFactory* factory = nullptr;
  ServerObserver* observer = nullptr;
  std::unique_ptr<SourceLimiter> limiter;
  std::unique_ptr<CapacityGuard> capacity;
  std::atomic<int> open_sessions{0};
  // Most sessions open at once since the HeapTrimmer last looked: a flood shorter than its tick
  // would otherwise never be seen, and never trimmed after.
  std::atomic<int> peak_sessions{0};
};

// Session is what the two transports have in common: a PskSession, its handler, deadlines, and the
// "busy" flag set while its handshake is paused on an asynchronous PSK lookup. A TLS session gets
// its PskSession only once the client's first record has arrived (AttachTls): until then a
// connection costs this object and a socket, not OpenSSL's state and buffers.
class Session {
 public:
  Session(IoThread* thread, uint64_t id, tls::Transport transport,
          std::unique_ptr<tls::PskSession> tls, std::string peer, std::string source);
  virtual ~Session();

  uint64_t id() const { return id_; }
  // Quiescent: no handshake and no request in flight, so a draining server may close it now.
  bool Quiescent() const { return handshake_complete_ && !awaiting_response_ && !busy_; }
  // busy: the handshake is paused on an asynchronous PSK lookup.
  bool busy() const { return busy_; }
  virtual void Close() = 0;

 protected:
  // DriveHandshake advances the handshake on the loop, then calls AfterHandshakeStep; with an
  // asynchronous resolver a pending PSK lookup pauses the session (busy) instead of blocking.
  void DriveHandshake();
  // OnAsyncReady (on the loop) resumes a handshake paused on an asynchronous PSK lookup.
  void OnAsyncReady();
  // PauseIo is called when the session pauses on its PSK lookup. A level-triggered socket with
  // unread bytes would wake the loop meanwhile: StreamSession stops its callbacks when the first
  // such wake-up comes (OnEvents), which most handshakes never see, rather than here.
  virtual void PauseIo() {}
  virtual void AfterHandshakeStep(tls::Step step) = 0;
  // AttachTls gives the session its PskSession (at construction, or later for TLS).
  void AttachTls(std::unique_ptr<tls::PskSession> tls);
  // CompleteHandshake creates the handler; false (and the session closed) on failure.
  bool CompleteHandshake();
  void FailHandshake(HandshakeOutcome outcome);
  void ArmIdleTimer();
  void CancelTimers();
  HandshakeOutcome ClassifyFailure() const;
  // Info describes the session to observers and the factory (with the identity once the
  // PskSession exists; CompleteHandshake adds the suite).
  ConnectionInfo Info() const;

  IoThread* thread_;
  const uint64_t id_;
  std::unique_ptr<tls::PskSession> tls_;  // null until the first TLS record has arrived
  absl::Time started_;                    // accepted (TLS) or cookie returned (DTLS)
  // What ConnectionInfo says of the session is made when observers or the factory ask (Info):
  // an established session keeps no copies of its identity and suite.
  std::string peer_;
  std::string source_;  // host part, for the per-source cap
  // Declared after tls_, so destroyed before it: a handler may keep a reference to tls_
  // (SessionHandlerFactory::OnHandshake).
  std::unique_ptr<SessionHandler> handler_;
  bool handshake_complete_ = false;
  bool awaiting_response_ = false;
  bool busy_ = false;  // paused on an asynchronous PSK lookup
  absl::Time lookup_paused_at_;  // when it paused (ServerObserver::OnPskLookup)
  bool closed_ = false;
  const tls::Transport transport_;
  net::TimerId handshake_timer_ = 0;
  net::TimerId idle_timer_ = 0;
};

// StreamSession is TLS over one accepted TCP socket, with HTTP/1.1 framing.
class StreamSession final : public Session {
 public:
  // The PskSession is made once the client's first TLS record is complete in the socket.
  StreamSession(IoThread* thread, uint64_t id, int fd, std::string peer, std::string source);
  ~StreamSession() override;

  void Start();
  void OnEvents(uint32_t events);
  void OnResponse(http::HttpResponse response);
  void Close() override;

 private:
  void AfterHandshakeStep(tls::Step step) override;
  // AwaitFirstRecord waits, in the kernel's socket buffer, for the client's first TLS record
  // (SO_RCVLOWAT), then makes the PskSession. False while it is still waiting (or closed).
  bool AwaitFirstRecord(uint32_t events);
  void ReadRequests();
  bool FeedParser(absl::string_view bytes, size_t* consumed);
  void SendError(int http_status, absl::string_view message);
  void FlushOut();
  void Want(uint32_t events);

  int fd_;
  size_t lowat_ = 1;                             // SO_RCVLOWAT while waiting for the first record
  std::unique_ptr<http::RequestParser> parser_;  // null between requests
  std::string pending_in_;                       // bytes read after a complete request (pipelining)
  std::string out_;
  bool close_after_flush_ = false;
  // The request being served asked to close after its answer (Connection: close, HTTP/1.0).
  bool close_after_response_ = false;
  uint32_t watching_ = 0;
};

// DatagramSession is DTLS with one peer of a shared UDP socket.
class DatagramSession final : public Session {
 public:
  DatagramSession(IoThread* thread, uint64_t id, int udp_fd, net::SocketAddress peer_addr,
                  std::string peer_key, std::unique_ptr<tls::PskSession> tls, std::string peer,
                  std::string source);
  ~DatagramSession() override;

  void Start();
  void OnDatagram(absl::string_view datagram);
  void OnResponse(std::string datagram);
  void Close() override;
  const std::string& peer_key() const { return peer_key_; }

 private:
  void AfterHandshakeStep(tls::Step step) override;
  void ReadDatagrams();
  void Flush();
  void ArmDtlsTimer();

  int udp_fd_;
  net::SocketAddress peer_addr_;
  std::string peer_key_;
  std::deque<std::string> held_;  // datagrams that arrived while paused on the PSK lookup
  net::TimerId dtls_timer_ = 0;
  size_t max_datagram_;
};

// LoopGate posts to an I/O thread's loop from any thread, including after that thread has gone
// (an asynchronous PSK lookup may answer after the server shut down): then it drops the task.
class LoopGate {
 public:
  explicit LoopGate(net::EventLoop* loop) : loop_(loop) {}
  void Post(std::function<void()> task) {
    absl::MutexLock lock(&mu_);
    if (loop_ != nullptr) loop_->Post(std::move(task));
  }
  void Close() {
    absl::MutexLock lock(&mu_);
    loop_ = nullptr;
  }

 private:
  absl::Mutex mu_;
  net::EventLoop* loop_ ABSL_GUARDED_BY(mu_);
};

// IoThread owns one EventLoop, its listening sockets and its sessions.
class IoThread {
 public:
  explicit IoThread(Shared* shared);
  ~IoThread();

  // Adopt* hand a bound socket to this thread (before Start).
  void AdoptTcpListener(int fd);
  absl::Status AdoptUdpSocket(int fd);
  void Start();
  // BeginDrain (thread-safe): stop accepting, close quiescent sessions.
  void BeginDrain();
  // Stop (thread-safe): close everything and join.
  void StopAndJoin();
  int sessions() const { return session_count_.load(); }

  net::EventLoop& loop() { return loop_; }
  const std::shared_ptr<LoopGate>& gate() const { return gate_; }
  Shared* shared() { return shared_; }
  bool draining() const { return draining_; }
  uint64_t NextId() { return next_id_++; }
  // Forget removes a session from the maps (it is destroyed later on the loop).
  void Forget(uint64_t id);
  void OnSessionQuiescent(Session* s);
  void ForgetPeer(const std::string& peer_key) { dgram_by_peer_.erase(peer_key); }

  template <typename T>
  T* Find(uint64_t id) {
    auto it = sessions_.find(id);
    return it == sessions_.end() ? nullptr : static_cast<T*>(it->second.get());
  }

 private:
  struct UdpEndpoint {
    int fd;
    std::unique_ptr<tls::DtlsListener> listener;
  };
  void OnAccept(int listen_fd);
  // Admit asks the server-wide CapacityGuard for one more session; a refusal is reported to the
  // observer as kOverCapacity.
  bool Admit(tls::Transport transport, const net::SocketAddress& peer);
  void OnUdpReadable(UdpEndpoint* ep);
  // CompactTables shrinks the session map, the graveyard and the loop's tables once they are
  // mostly empty (after the graveyard is emptied).
  void CompactTables();

  Shared* shared_;
  net::EventLoop loop_;
  std::shared_ptr<LoopGate> gate_;
  std::thread thread_;
  std::vector<int> tcp_listeners_;
  std::vector<std::unique_ptr<UdpEndpoint>> udp_;
  absl::flat_hash_map<uint64_t, std::unique_ptr<Session>> sessions_;
  absl::flat_hash_map<std::string, DatagramSession*> dgram_by_peer_;
  // Closed sessions wait here until the current callback has returned, since a session often
  // closes itself from inside its own method.
  std::vector<std::unique_ptr<Session>> graveyard_;
  std::atomic<int> session_count_{0};
  uint64_t next_id_ = 1;
  bool draining_ = false;
  bool started_ = false;
};

}  // namespace onem2m::server::internal

#endif  // ONEM2M_COMMON_PSK_SERVER_IO_THREAD_H_

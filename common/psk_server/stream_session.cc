#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <utility>

#include "common/http/serializer.h"
#include "common/psk_server/io_thread.h"

namespace onem2m::server::internal {
namespace {
constexpr size_t kReadChunk = 16 * 1024;
// TLS record header: type(1) version(2) length(2) (RFC 5246 6.2.1).
constexpr size_t kRecordHeader = 5;
// Largest first record worth waiting for: a TLSPlaintext fragment is at most 2^14 bytes
// (RFC 5246 6.2.1); anything longer is left for OpenSSL to refuse.
constexpr size_t kMaxFirstRecord = kRecordHeader + 16384;
// What a session waits for whenever it waits to read: the peer's bytes, or the peer closing. One
// set for every state, so moving between states (handshake, request, answer) changes nothing in
// the kernel; see OnEvents for the states that want nothing at all.
constexpr uint32_t kReadable = EPOLLIN | EPOLLRDHUP;
}  // namespace

StreamSession::StreamSession(IoThread* thread, uint64_t id, int fd, std::string peer,
                             std::string source)
    : Session(thread, id, tls::Transport::kTls, nullptr, std::move(peer), std::move(source)),
      fd_(fd) {}

StreamSession::~StreamSession() {
  if (fd_ >= 0) close(fd_);
}

void StreamSession::Start() {
  uint64_t id = id_;
  IoThread* thread = thread_;
  // Until the first record is in, wake on the peer's bytes or on the peer closing.
  watching_ = kReadable;
  absl::Status s = thread_->loop().Watch(fd_, watching_, [thread, id](uint32_t events) {
    if (StreamSession* self = thread->Find<StreamSession>(id)) self->OnEvents(events);
  });
  if (!s.ok()) {
    Close();
    return;
  }
  // A client sends its ClientHello right after connecting, so it is often complete by the time we
  // accept: then the handshake starts now, without SO_RCVLOWAT settings or a wake-up in between
  // (docs/performance.md). Otherwise AwaitFirstRecord has set SO_RCVLOWAT to what is missing.
  if (AwaitFirstRecord(0)) DriveHandshake();
}

bool StreamSession::AwaitFirstRecord(uint32_t events) {
  // Peek at up to kPeekBytes: a PSK ClientHello (a few hundred bytes) is then seen whole with one
  // call; a longer first record is measured with FIONREAD instead of being copied.
  constexpr size_t kPeekBytes = 1024;
  unsigned char head[kPeekBytes];
  ssize_t n = recv(fd_, head, sizeof(head), MSG_PEEK | MSG_DONTWAIT);
  size_t need = kRecordHeader;
  if (n >= static_cast<ssize_t>(kRecordHeader)) {
    need = kRecordHeader + ((size_t{head[3]} << 8) | head[4]);
    // Not a handshake record of TLS (content type 22, major version 3) or longer than any
    // fragment: nothing worth waiting for; OpenSSL refuses it at once.
    if (head[0] != 22 || head[1] != 3 || need > kMaxFirstRecord) need = kRecordHeader;
  }
  size_t have = n > 0 ? static_cast<size_t>(n) : 0;
  if (have == kPeekBytes && need > have) {
    int queued = 0;  // bytes waiting in the socket, without copying them out
    if (ioctl(fd_, FIONREAD, &queued) == 0 && queued > 0) have = static_cast<size_t>(queued);
  }
  if (have < need) {
    if (n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK) ||
        (events & (EPOLLRDHUP | EPOLLHUP | EPOLLERR))) {
      // The peer left (or broke) before finishing its first record: it never can now.
      FailHandshake(HandshakeOutcome::kProtocolError);
      return false;
    }
    if (need != lowat_) {
      lowat_ = need;
      int lowat = static_cast<int>(lowat_);
      (void)setsockopt(fd_, SOL_SOCKET, SO_RCVLOWAT, &lowat, sizeof(lowat));
    }
    return false;
  }
  if (lowat_ != 1) {  // back to the default, for the handshake and the requests
    lowat_ = 1;
    int one = 1;
    (void)setsockopt(fd_, SOL_SOCKET, SO_RCVLOWAT, &one, sizeof(one));
  }
  absl::StatusOr<std::unique_ptr<tls::PskSession>> tls =
      tls::PskSession::NewStream(thread_->shared()->options.tls_context, fd_, started_);
  if (!tls.ok()) {
    Close();
    return false;
  }
  AttachTls(std::move(*tls));
  return true;
}

void StreamSession::Want(uint32_t events) {
  if (closed_ || events == watching_) return;
  watching_ = events;
  (void)thread_->loop().Rearm(fd_, events);
}

void StreamSession::OnEvents(uint32_t events) {
  if (closed_) return;
  if (busy_) {
    // Paused on the PSK lookup, the session wants no callbacks: it stops them only now that one
    // came (a level-triggered socket would repeat it), not when pausing, since a client waiting for
    // the server's flight sends nothing meanwhile: two epoll_ctl calls saved per handshake.
    Want(0);
    return;
  }
  if (tls_ == nullptr && !AwaitFirstRecord(events)) return;
  if (!handshake_complete_) {
    DriveHandshake();
    return;
  }
  if (!out_.empty()) {
    FlushOut();
    return;
  }
  if (awaiting_response_) {
    // Readable while the service works on the answer: only a closed or broken peer matters. As
    // when paused, callbacks stop only once one came (most clients wait for the answer quietly).
    if (events & (EPOLLHUP | EPOLLERR | EPOLLRDHUP)) Close();
    Want(0);
    return;
  }
  ReadRequests();
}

void StreamSession::AfterHandshakeStep(tls::Step step) {
  if (closed_) return;
  switch (step) {
    case tls::Step::kDone:
      if (!CompleteHandshake()) return;
      Want(kReadable);
      ReadRequests();  // the first request may have arrived with the client's Finished
      return;
    case tls::Step::kWantRead:
      Want(kReadable);
      return;
    case tls::Step::kWantWrite:
      Want(EPOLLOUT);
      return;
    default:
      FailHandshake(ClassifyFailure());
      return;
  }
}

bool StreamSession::FeedParser(absl::string_view bytes, size_t* consumed) {
  // Made on the first request bytes, and dropped after each answer: an idle session holds none.
  if (parser_ == nullptr) {
    parser_ = std::make_unique<http::RequestParser>(thread_->shared()->options.http_limits);
  }
  absl::StatusOr<http::FeedResult> r = parser_->Feed(bytes);
  if (!r.ok()) {
    SendError(parser_->error_http_status(), r.status().message());
    return false;
  }
  *consumed = r->consumed;
  if (r->state != http::ParseState::kComplete) return true;
  absl::StatusOr<http::HttpRequest> request = parser_->TakeRequest();
  if (!request.ok()) {
    SendError(400, request.status().message());
    return false;
  }
  // RFC 9112 9.6: a "close" connection option (or HTTP/1.0 without keep-alive) ends the
  // connection after this answer, rather than at the idle timeout a client reading to EOF would
  // otherwise wait for.
  close_after_response_ = !request->keep_alive;
  awaiting_response_ = true;  // OnEvents stops readiness callbacks should any come meanwhile
  IoThread* thread = thread_;
  uint64_t id = id_;
  // The answer may come from any thread (a worker, the store's writer), even after this thread
  // has stopped: the gate drops it then.
  handler_->OnHttpRequest(std::move(*request), [gate = thread->gate(), thread, id](
                                                   http::HttpResponse response) {
    gate->Post([thread, id, response = std::move(response)]() mutable {
      if (StreamSession* self = thread->Find<StreamSession>(id)) {
        self->OnResponse(std::move(response));
      }
    });
  });
  return true;
}

void StreamSession::ReadRequests() {
  // Bytes left over from a pipelined earlier request come first.
  while (!awaiting_response_ && !pending_in_.empty() && !closed_) {
    size_t consumed = 0;
    std::string input = std::move(pending_in_);
    pending_in_.clear();
    if (!FeedParser(input, &consumed)) return;
    if (awaiting_response_) pending_in_ = input.substr(consumed);
  }
  char buf[kReadChunk];
  while (!awaiting_response_ && !closed_ && out_.empty()) {
    size_t n = 0;
    tls::Step step = tls_->Read(buf, sizeof(buf), &n);
    switch (step) {
      case tls::Step::kDone: {
        size_t consumed = 0;
        absl::string_view chunk(buf, n);
        if (!FeedParser(chunk, &consumed)) return;
        if (awaiting_response_) pending_in_ = std::string(chunk.substr(consumed));
        break;
      }
      case tls::Step::kWantRead:
        Want(kReadable);
        return;
      case tls::Step::kWantWrite:
        Want(EPOLLOUT);
        return;
      default:  // close_notify, EOF or error
        Close();
        return;
    }
  }
}

void StreamSession::SendError(int http_status, absl::string_view message) {
  http::HttpResponse response;
  response.status = http_status > 0 ? http_status : 400;
  response.omit_reason = true;  // TS-0009 V3.9.1 6.3.3, as for every answer on this port
  response.headers.push_back({"Content-Type", "application/json"});
  response.headers.push_back({"Connection", "close"});
  response.body = std::string("{\"error\":\"") +
                  (http_status == 413   ? "request too large"
                   : http_status == 431 ? "headers too large"
                                        : "malformed request") +
                  "\"}";
  (void)message;  // parser details stay in the server; the peer gets a fixed text
  absl::StatusOr<std::string> bytes = http::SerializeResponse(response);
  close_after_flush_ = true;
  if (!bytes.ok()) {
    Close();
    return;
  }
  out_ = std::move(*bytes);
  FlushOut();
}

void StreamSession::OnResponse(http::HttpResponse response) {
  if (closed_) return;
  awaiting_response_ = false;
  parser_.reset();
  if (thread_->draining() || close_after_response_ || handler_->ExchangeOver()) {
    if (http::FindHeader(response.headers, "Connection") == nullptr) {
      response.headers.push_back({"Connection", "close"});
    }
    close_after_flush_ = true;
  }
  absl::StatusOr<std::string> bytes = http::SerializeResponse(response);
  if (!bytes.ok()) {
    SendError(500, "");
    return;
  }
  out_ = std::move(*bytes);
  ArmIdleTimer();
  FlushOut();
}

void StreamSession::FlushOut() {
  while (!out_.empty() && !closed_) {
    size_t written = 0;
    tls::Step step = tls_->Write(out_, &written);
    if (step == tls::Step::kDone) {
      out_.erase(0, written);
      continue;
    }
    if (step == tls::Step::kWantWrite) {
      Want(EPOLLOUT);
      return;
    }
    if (step == tls::Step::kWantRead) {
      Want(kReadable);
      return;
    }
    Close();
    return;
  }
  if (closed_) return;
  std::string().swap(out_);  // erase() keeps the answer's capacity; an idle session needs none
  if (close_after_flush_) {
    (void)tls_->Shutdown();
    Close();
    return;
  }
  Want(kReadable);
  if (thread_->draining() && Quiescent()) {
    thread_->OnSessionQuiescent(this);
    return;
  }
  ReadRequests();
}

void StreamSession::Close() {
  if (closed_) return;
  closed_ = true;
  CancelTimers();
  if (tls_ != nullptr) tls_->Close();  // a handshake paused on a lookup drops its answer
  thread_->loop().Unwatch(fd_);
  thread_->Forget(id_);
}

}  // namespace onem2m::server::internal

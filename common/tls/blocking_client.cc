#include "common/tls/blocking_client.h"

#include <csignal>
#include <mutex>

#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <utility>

#include "absl/strings/str_cat.h"

namespace onem2m {
namespace tls {
namespace {

// AwaitingServerFinished is true once the client has sent its final flight (ClientKeyExchange,
// ChangeCipherSpec, Finished) and waits for the server's ChangeCipherSpec and Finished.
bool AwaitingServerFinished(SSL* ssl) {
  OSSL_HANDSHAKE_STATE st = SSL_get_state(ssl);
  return st == TLS_ST_CW_FINISHED || st == TLS_ST_CR_CHANGE || st == TLS_ST_CR_FINISHED ||
         st == TLS_ST_CR_SESSION_TICKET;
}


int PollMillis(absl::Time deadline, absl::Time now) {
  absl::Duration left = deadline - now;
  if (left <= absl::ZeroDuration()) return 0;
  return static_cast<int>(std::min<int64_t>(absl::ToInt64Milliseconds(absl::Ceil(left, absl::Milliseconds(1))), 1 << 30));
}

absl::Status Errno(absl::string_view what, int err) {
  return absl::UnavailableError(absl::StrCat(what, ": ", strerror(err)));
}

// ConnectOne connects a non-blocking socket to `ai` before `deadline`; returns the fd.
absl::StatusOr<int> ConnectOne(const addrinfo* ai, absl::Time deadline) {
  int fd = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, ai->ai_protocol);
  if (fd < 0) return Errno("socket", errno);
  if (ai->ai_socktype == SOCK_STREAM) {
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
  }
  if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0) return fd;
  if (errno != EINPROGRESS) {
    int err = errno;
    close(fd);
    return Errno("connect", err);
  }
  for (;;) {
    pollfd p = {fd, POLLOUT, 0};
    int n = poll(&p, 1, PollMillis(deadline, absl::Now()));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      int err = errno;
      close(fd);
      if (n == 0) return absl::DeadlineExceededError("connect: deadline exceeded");
      return Errno("poll", err);
    }
    int soerr = 0;
    socklen_t len = sizeof(soerr);
    getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &len);
    if (soerr != 0) {
      close(fd);
      return Errno("connect", soerr);
    }
    return fd;
  }
}

}  // namespace

BlockingClient::BlockingClient(int fd, std::unique_ptr<PskSession> session)
    : fd_(fd), session_(std::move(session)) {}

BlockingClient::~BlockingClient() {
  session_.reset();
  if (fd_ >= 0) close(fd_);
}

absl::StatusOr<std::unique_ptr<BlockingClient>> BlockingClient::Connect(
    std::shared_ptr<const PskContext> ctx, absl::string_view host, uint16_t port,
    absl::Time deadline) {
  // OpenSSL writes the socket with write(2): a server that closes first would raise SIGPIPE and
  // kill the device process. Like gRPC, the library ignores SIGPIPE once; errors come back as
  // statuses instead.
  static std::once_flag ignore_sigpipe;
  std::call_once(ignore_sigpipe, [] { std::signal(SIGPIPE, SIG_IGN); });
  if (ctx == nullptr || ctx->role() != Role::kClient) {
    return absl::InvalidArgumentError("BlockingClient needs a client context");
  }
  bool dtls = ctx->transport() == Transport::kDtls;
  addrinfo hints;
  memset(&hints, 0, sizeof(hints));
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = dtls ? SOCK_DGRAM : SOCK_STREAM;
  hints.ai_flags = AI_NUMERICSERV;
  addrinfo* res = nullptr;
  std::string host_str(host);
  std::string port_str = absl::StrCat(port);
  int rc = getaddrinfo(host_str.c_str(), port_str.c_str(), &hints, &res);
  if (rc != 0) {
    return absl::UnavailableError(absl::StrCat("resolving ", host, ": ", gai_strerror(rc)));
  }
  absl::Status last = absl::UnavailableError(absl::StrCat("no address for ", host));
  for (const addrinfo* ai = res; ai != nullptr; ai = ai->ai_next) {
    absl::StatusOr<int> fd = ConnectOne(ai, deadline);
    if (!fd.ok()) {
      last = fd.status();
      if (absl::IsDeadlineExceeded(last)) break;
      continue;
    }
    absl::StatusOr<std::unique_ptr<PskSession>> session =
        dtls ? PskSession::NewDatagramClient(ctx, absl::Now())
             : PskSession::NewStream(ctx, *fd, absl::Now());
    if (!session.ok()) {
      close(*fd);
      freeaddrinfo(res);
      return session.status();
    }
    std::unique_ptr<BlockingClient> client(new BlockingClient(*fd, std::move(*session)));
    PskSession* s = client->session_.get();
    absl::StatusOr<Step> step = client->Drive([s] { return s->Handshake(); }, deadline);
    if (!step.ok()) {
      last = step.status();
      // DTLS drops records it cannot authenticate without an alert (RFC 6347 4.1.2.7), so a
      // server holding another key never answers our Finished. Having sent it and heard nothing
      // back before the deadline (with retransmissions) means the key was refused: report it as
      // such, so callers do not retry a wrong key as if the network had failed.
      if (dtls && absl::IsDeadlineExceeded(last) && AwaitingServerFinished(s->ssl())) {
        last = absl::UnauthenticatedError(
            "DTLS handshake failed: no answer to our Finished (wrong key or unknown identity)");
      }
      // A refused UDP "connection" (ICMP) may be one address family of several.
      if (absl::IsUnavailable(last) && dtls) continue;
      break;
    }
    if (*step != Step::kDone) {
      last = *step == Step::kFailed ? s->status()
                                    : absl::UnavailableError("peer closed during handshake");
      break;
    }
    freeaddrinfo(res);
    return client;
  }
  freeaddrinfo(res);
  return last;
}

absl::Status BlockingClient::Flush() {
  std::string datagram;
  while (session_->PopDatagram(&datagram)) {
    ssize_t n;
    do {
      n = send(fd_, datagram.data(), datagram.size(), 0);
    } while (n < 0 && errno == EINTR);
    // A full socket buffer drops the datagram as the network might; DTLS retransmits.
    if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK) return Errno("send", errno);
  }
  return absl::OkStatus();
}

absl::StatusOr<Step> BlockingClient::Drive(const std::function<Step()>& op, absl::Time deadline) {
  bool dtls = session_->transport() == Transport::kDtls;
  char buf[65536];
  for (;;) {
    Step step = op();
    if (dtls) {
      absl::Status flushed = Flush();
      if (!flushed.ok()) return flushed;
    }
    if (step != Step::kWantRead && step != Step::kWantWrite) return step;
    absl::Time now = absl::Now();
    if (now >= deadline) return absl::DeadlineExceededError(
          absl::StrCat(TransportName(session_->transport()), ": deadline exceeded"));
    int timeout_ms = PollMillis(deadline, now);
    std::optional<absl::Duration> timer = dtls ? session_->DtlsTimeout() : std::nullopt;
    if (timer.has_value()) {
      timeout_ms = std::min(
          timeout_ms,
          static_cast<int>(absl::ToInt64Milliseconds(absl::Ceil(*timer, absl::Milliseconds(1)))));
    }
    pollfd p = {fd_, static_cast<short>(step == Step::kWantWrite ? POLLOUT : POLLIN), 0};
    int n = poll(&p, 1, timeout_ms);
    if (n < 0) {
      if (errno == EINTR) continue;
      return Errno("poll", errno);
    }
    if (!dtls) continue;
    if (n == 0) {
      if (session_->HandleDtlsTimeout() == Step::kFailed) return Step::kFailed;
      continue;
    }
    for (;;) {
      ssize_t got = recv(fd_, buf, sizeof(buf), MSG_DONTWAIT);
      if (got > 0) {
        session_->FeedDatagram(absl::string_view(buf, static_cast<size_t>(got)));
        continue;
      }
      if (got < 0 && errno == EINTR) continue;
      if (got < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) break;
      if (got < 0) return Errno("recv", errno);  // e.g. ECONNREFUSED from ICMP.
      break;  // Empty datagram: ignore.
    }
  }
}

absl::Status BlockingClient::Write(absl::string_view data, absl::Time deadline) {
  while (!data.empty()) {
    size_t written = 0;
    absl::StatusOr<Step> step =
        Drive([&] { return session_->Write(data, &written); }, deadline);
    if (!step.ok()) return step.status();
    if (*step == Step::kFailed) return session_->status();
    if (*step == Step::kClosed) return absl::UnavailableError("TLS: peer closed");
    data.remove_prefix(written);
    if (session_->transport() == Transport::kDtls) break;
  }
  return absl::OkStatus();
}

absl::StatusOr<std::string> BlockingClient::Read(size_t max_len, absl::Time deadline) {
  std::string out(std::max<size_t>(max_len, 1), '\0');
  size_t got = 0;
  absl::StatusOr<Step> step =
      Drive([&] { return session_->Read(&out[0], out.size(), &got); }, deadline);
  if (!step.ok()) return step.status();
  if (*step == Step::kFailed) return session_->status();
  if (*step == Step::kClosed) return std::string();
  out.resize(got);
  return out;
}

absl::Status BlockingClient::Close(absl::Time deadline) {
  absl::Status result = absl::OkStatus();
  if (fd_ < 0) return result;
  absl::StatusOr<Step> step = Drive([&] { return session_->Shutdown(); }, deadline);
  if (!step.ok()) {
    result = step.status();
  } else if (*step == Step::kFailed) {
    result = session_->status();
  }
  close(fd_);
  fd_ = -1;
  return result;
}

}  // namespace tls
}  // namespace onem2m

#include "tests/e2e/tcp_proxy.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdlib>

#include "absl/time/clock.h"

namespace onem2m::e2e {
namespace {

int Connect(const std::string& host, int port) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(static_cast<uint16_t>(port));
  inet_pton(AF_INET, host.c_str(), &a.sin_addr);
  if (fd >= 0 && connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof(a)) == 0) return fd;
  if (fd >= 0) close(fd);
  return -1;
}

}  // namespace

TcpProxy::TcpProxy(std::string upstream_host, int upstream_port)
    : upstream_host_(std::move(upstream_host)), upstream_port_(upstream_port) {
  Listen();
  if (listen_fd_ < 0) std::abort();
  thread_ = std::thread([this] { Run(); });
}

TcpProxy::~TcpProxy() {
  stop_ = true;
  thread_.join();
  CloseAll();
  if (listen_fd_ >= 0) close(listen_fd_);
}

void TcpProxy::SetMode(Mode mode) {
  mode_ = mode;
  const int generation = ++requested_;
  absl::MutexLock lock(&applied_mu_);
  while (applied_ < generation) applied_cv_.Wait(&applied_mu_);
}

int TcpProxy::accepted() {
  absl::MutexLock lock(&applied_mu_);
  return accepted_;
}

bool TcpProxy::WaitForAccepted(int n, absl::Duration timeout) {
  absl::MutexLock lock(&applied_mu_);
  auto reached = [this, n]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(applied_mu_) { return accepted_ >= n; };
  return applied_mu_.AwaitWithTimeout(absl::Condition(&reached), timeout);
}

// Listen binds 127.0.0.1:<port_> (any port the first time, the same one afterwards).
void TcpProxy::Listen() {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  int one = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = htons(static_cast<uint16_t>(port_));
  if (bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof(a)) != 0 || listen(fd, 64) != 0) {
    close(fd);
    return;
  }
  socklen_t len = sizeof(a);
  getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  port_ = ntohs(a.sin_port);
  listen_fd_ = fd;
}

void TcpProxy::CloseAll() {
  for (const Pair& p : pairs_) {
    close(p.client);
    close(p.upstream);
  }
  pairs_.clear();
  for (int fd : black_holed_) close(fd);
  black_holed_.clear();
}

void TcpProxy::Accept(Mode mode) {
  int c = accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
  if (c < 0) return;
  {
    absl::MutexLock lock(&applied_mu_);
    ++accepted_;
  }
  if (mode == Mode::kBlackHole) {
    black_holed_.push_back(c);
    return;
  }
  int u = Connect(upstream_host_, upstream_port_);
  if (u < 0) {
    close(c);
    return;
  }
  pairs_.push_back({c, u});
}

// Relay copies what `from` has to `to`; false when either side is done.
bool TcpProxy::Relay(int from, int to) {
  char buf[16384];
  ssize_t n = read(from, buf, sizeof(buf));
  if (n <= 0) return false;
  ssize_t off = 0;
  while (off < n) {
    ssize_t w = send(to, buf + off, static_cast<size_t>(n - off), MSG_NOSIGNAL);
    if (w <= 0) return false;
    off += w;
  }
  return true;
}

void TcpProxy::Run() {
  Mode current = Mode::kForward;
  while (!stop_) {
    const int generation = requested_;
    const Mode wanted = mode_;
    if (wanted != current) {
      if (wanted == Mode::kRefuse) {
        CloseAll();
        close(listen_fd_);
        listen_fd_ = -1;
      } else {
        if (current == Mode::kBlackHole) CloseAll();  // the stalled connections time out
        if (listen_fd_ < 0) Listen();
      }
      current = wanted;
    }
    {
      absl::MutexLock lock(&applied_mu_);
      applied_ = generation;
    }
    applied_cv_.SignalAll();
    std::vector<pollfd> fds;
    const size_t polled = current == Mode::kForward ? pairs_.size() : 0;
    if (listen_fd_ >= 0) fds.push_back({listen_fd_, POLLIN, 0});
    if (current == Mode::kForward) {
      for (const Pair& p : pairs_) {
        fds.push_back({p.client, POLLIN, 0});
        fds.push_back({p.upstream, POLLIN, 0});
      }
    }
    if (poll(fds.data(), fds.size(), 20) <= 0) continue;
    size_t i = 0;
    if (listen_fd_ >= 0) {
      if (fds[0].revents & POLLIN) Accept(current);
      i = 1;
    }
    if (current != Mode::kForward) continue;
    std::vector<Pair> alive;
    for (size_t k = 0; k < polled; ++k, i += 2) {
      const Pair& p = pairs_[k];
      bool ok = true;
      if (fds[i].revents & (POLLIN | POLLHUP | POLLERR)) ok = Relay(p.client, p.upstream);
      if (ok && (fds[i + 1].revents & (POLLIN | POLLHUP | POLLERR))) ok = Relay(p.upstream, p.client);
      if (ok) {
        alive.push_back(p);
      } else {
        close(p.client);
        close(p.upstream);
      }
    }
    // A pair accepted above was not polled yet; keep it.
    for (size_t k = polled; k < pairs_.size(); ++k) alive.push_back(pairs_[k]);
    pairs_.swap(alive);
  }
}

}  // namespace onem2m::e2e

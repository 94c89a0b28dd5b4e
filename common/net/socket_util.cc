#include "common/net/socket_util.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/resource.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace onem2m::net {
namespace {

absl::Status Errno(absl::string_view what) {
  return absl::UnavailableError(absl::StrCat(what, ": ", std::strerror(errno)));
}

// SplitHostPort separates "[v6]:p" or "host:p".
absl::Status SplitHostPort(absl::string_view text, std::string* host, int* port) {
  size_t colon = text.rfind(':');
  if (colon == absl::string_view::npos || colon + 1 >= text.size()) {
    return absl::InvalidArgumentError(absl::StrCat("address '", text, "' needs host:port"));
  }
  absl::string_view h = text.substr(0, colon);
  if (h.size() >= 2 && h.front() == '[' && h.back() == ']') h = h.substr(1, h.size() - 2);
  int p;
  if (!absl::SimpleAtoi(text.substr(colon + 1), &p) || p < 0 || p > 65535) {
    return absl::InvalidArgumentError(absl::StrCat("address '", text, "' has a bad port"));
  }
  *host = std::string(h);
  *port = p;
  return absl::OkStatus();
}

}  // namespace

int SocketAddress::port() const {
  if (family() == AF_INET) return ntohs(reinterpret_cast<const sockaddr_in*>(&storage)->sin_port);
  if (family() == AF_INET6)
    return ntohs(reinterpret_cast<const sockaddr_in6*>(&storage)->sin6_port);
  return 0;
}

std::string SocketAddress::HostString() const {
  char buf[INET6_ADDRSTRLEN] = {0};
  if (family() == AF_INET) {
    inet_ntop(AF_INET, &reinterpret_cast<const sockaddr_in*>(&storage)->sin_addr, buf, sizeof(buf));
  } else if (family() == AF_INET6) {
    inet_ntop(AF_INET6, &reinterpret_cast<const sockaddr_in6*>(&storage)->sin6_addr, buf,
              sizeof(buf));
  }
  return buf;
}

std::string SocketAddress::ToString() const {
  if (family() == AF_INET6) return absl::StrCat("[", HostString(), "]:", port());
  return absl::StrCat(HostString(), ":", port());
}

std::string SocketAddress::Key() const {
  if (family() == AF_INET) {
    const auto* in = reinterpret_cast<const sockaddr_in*>(&storage);
    return std::string(reinterpret_cast<const char*>(&in->sin_addr), 4) +
           std::string(reinterpret_cast<const char*>(&in->sin_port), 2);
  }
  const auto* in6 = reinterpret_cast<const sockaddr_in6*>(&storage);
  return std::string(reinterpret_cast<const char*>(&in6->sin6_addr), 16) +
         std::string(reinterpret_cast<const char*>(&in6->sin6_port), 2);
}

bool SocketAddress::IsLoopback() const {
  if (family() == AF_INET) {
    return (ntohl(reinterpret_cast<const sockaddr_in*>(&storage)->sin_addr.s_addr) >> 24) == 127;
  }
  if (family() == AF_INET6) {
    const auto* a = &reinterpret_cast<const sockaddr_in6*>(&storage)->sin6_addr;
    if (IN6_IS_ADDR_LOOPBACK(a)) return true;
    if (IN6_IS_ADDR_V4MAPPED(a)) return a->s6_addr[12] == 127;
  }
  return false;
}

absl::StatusOr<SocketAddress> ParseHostPort(absl::string_view text) {
  std::string host;
  int port;
  absl::Status s = SplitHostPort(text, &host, &port);
  if (!s.ok()) return s;
  if (host == "localhost") host = "127.0.0.1";
  SocketAddress addr;
  auto* in = reinterpret_cast<sockaddr_in*>(&addr.storage);
  auto* in6 = reinterpret_cast<sockaddr_in6*>(&addr.storage);
  if (inet_pton(AF_INET, host.c_str(), &in->sin_addr) == 1) {
    in->sin_family = AF_INET;
    in->sin_port = htons(port);
    addr.len = sizeof(sockaddr_in);
    return addr;
  }
  if (inet_pton(AF_INET6, host.c_str(), &in6->sin6_addr) == 1) {
    in6->sin6_family = AF_INET6;
    in6->sin6_port = htons(port);
    addr.len = sizeof(sockaddr_in6);
    return addr;
  }
  return absl::InvalidArgumentError(absl::StrCat("address '", text, "' is not numeric"));
}

absl::StatusOr<SocketAddress> ResolveHostPort(absl::string_view text) {
  absl::StatusOr<SocketAddress> numeric = ParseHostPort(text);
  if (numeric.ok()) return numeric;
  std::string host;
  int port;
  absl::Status s = SplitHostPort(text, &host, &port);
  if (!s.ok()) return s;
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  addrinfo* res = nullptr;
  int rc = getaddrinfo(host.c_str(), nullptr, &hints, &res);
  if (rc != 0 || res == nullptr) {
    return absl::UnavailableError(absl::StrCat("cannot resolve '", host, "': ", gai_strerror(rc)));
  }
  SocketAddress addr;
  std::memcpy(&addr.storage, res->ai_addr, res->ai_addrlen);
  addr.len = res->ai_addrlen;
  freeaddrinfo(res);
  if (addr.family() == AF_INET) {
    reinterpret_cast<sockaddr_in*>(&addr.storage)->sin_port = htons(port);
  } else {
    reinterpret_cast<sockaddr_in6*>(&addr.storage)->sin6_port = htons(port);
  }
  return addr;
}

absl::Status SetNonBlocking(int fd) {
  int flags = fcntl(fd, F_GETFL, 0);
  if (flags < 0 || fcntl(fd, F_SETFL, flags | O_NONBLOCK) < 0) return Errno("fcntl");
  return absl::OkStatus();
}

// OpenBound opens a non-blocking socket of `type` bound to `addr`. `reuse_addr` and
// `reuse_port` are set before bind(); `reuse_port_after_bind` sets SO_REUSEPORT once bound.
static absl::StatusOr<int> OpenBound(const SocketAddress& addr, int type, bool reuse_addr,
                                     bool reuse_port, bool reuse_port_after_bind) {
  int fd = socket(addr.family(), type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return Errno("socket");
  int one = 1;
  if (reuse_addr) setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
  if (reuse_port) setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one));
  if (addr.family() == AF_INET6) {
    int zero = 0;  // dual-stack: "[::]" also serves IPv4 clients.
    setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof(zero));
  }
  if (bind(fd, addr.sa(), addr.len) != 0) {
    absl::Status s = Errno(absl::StrCat("bind ", addr.ToString()));
    close(fd);
    return s;
  }
  if (reuse_port_after_bind && setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one)) != 0) {
    absl::Status s = Errno("setsockopt SO_REUSEPORT");
    close(fd);
    return s;
  }
  return fd;
}

absl::StatusOr<int> ListenTcp(const SocketAddress& addr, bool reuse_port, int backlog) {
  // TCP's port-0 search skips every port in use, SO_REUSEPORT or not, so the flags may be set
  // before bind(); SO_REUSEADDR lets a restarted server rebind over TIME_WAIT connections.
  absl::StatusOr<int> fd = OpenBound(addr, SOCK_STREAM, /*reuse_addr=*/true, reuse_port,
                                     /*reuse_port_after_bind=*/false);
  if (!fd.ok()) return fd;
  if (listen(*fd, backlog) != 0) {
    absl::Status s = Errno("listen");
    close(*fd);
    return s;
  }
  return fd;
}

absl::StatusOr<int> BindUdp(const SocketAddress& addr, bool reuse_port) {
  // UDP's port-0 search (Linux udp_lib_get_port) counts a port as free when every socket on it
  // shares it with the new one: both SO_REUSEADDR, or both SO_REUSEPORT with the same uid. A
  // socket asking for port 0 with those flags set can therefore be given a port another server of
  // the same user is already listening on and join its group; the kernel then hands some of our
  // peers' datagrams to that server (a DTLS client gets its foreign alerts, such as
  // unrecognized_name). So: no SO_REUSEADDR on UDP at all (UDP has no TIME_WAIT to rebind over),
  // and for port 0 bind first, without flags, which gives a port nobody holds, and only then set
  // SO_REUSEPORT so that our other I/O threads can bind the same port.
  const bool any_port = addr.port() == 0;
  return OpenBound(addr, SOCK_DGRAM, /*reuse_addr=*/false, reuse_port && !any_port,
                   reuse_port && any_port);
}

absl::StatusOr<SocketAddress> ClaimPort(const SocketAddress& addr, int type) {
  // No sharing flags: the bind fails ("Address already in use") if any socket holds the port.
  absl::StatusOr<int> fd = OpenBound(addr, type, /*reuse_addr=*/type == SOCK_STREAM,
                                     /*reuse_port=*/false, /*reuse_port_after_bind=*/false);
  if (!fd.ok()) return fd.status();
  absl::StatusOr<SocketAddress> local = LocalAddress(*fd);
  close(*fd);
  return local;
}

absl::StatusOr<SocketAddress> LocalAddress(int fd) {
  SocketAddress addr;
  addr.len = sizeof(addr.storage);
  if (getsockname(fd, addr.mutable_sa(), &addr.len) != 0) return Errno("getsockname");
  return addr;
}

absl::StatusOr<int> ConnectWithDeadline(const SocketAddress& addr, int type, absl::Time deadline) {
  int fd = socket(addr.family(), type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return Errno("socket");
  if (type == SOCK_STREAM) {
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
  }
  if (connect(fd, addr.sa(), addr.len) != 0) {
    if (errno != EINPROGRESS) {
      absl::Status s = Errno(absl::StrCat("connect ", addr.ToString()));
      close(fd);
      return s;
    }
    pollfd p{fd, POLLOUT, 0};
    int64_t ms = absl::ToInt64Milliseconds(deadline - absl::Now());
    int rc = poll(&p, 1, ms < 0 ? 0 : static_cast<int>(ms));
    int err = 0;
    socklen_t len = sizeof(err);
    if (rc <= 0) {
      close(fd);
      return absl::DeadlineExceededError(absl::StrCat("connect ", addr.ToString(), ": timed out"));
    }
    getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len);
    if (err != 0) {
      close(fd);
      return absl::UnavailableError(
          absl::StrCat("connect ", addr.ToString(), ": ", std::strerror(err)));
    }
  }
  // Back to blocking: callers use poll-free blocking I/O with SO_RCVTIMEO/SO_SNDTIMEO.
  int flags = fcntl(fd, F_GETFL, 0);
  fcntl(fd, F_SETFL, flags & ~O_NONBLOCK);
  return fd;
}

void RaiseFdLimit() {
  rlimit rl;
  if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
    rl.rlim_cur = rl.rlim_max;
    setrlimit(RLIMIT_NOFILE, &rl);
  }
}

}  // namespace onem2m::net

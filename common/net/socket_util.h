// File: common/net/socket_util.h
//
// Small wrappers over BSD sockets for the servers' listeners and the device client: parse
// "host:port" / "[v6]:port", open non-blocking listeners (TCP and UDP, IPv4 and IPv6, with
// SO_REUSEPORT so each I/O thread can own one), and print peer addresses.
//
//   absl::StatusOr<SocketAddress> addr = ParseHostPort("[::1]:8443");
//   absl::StatusOr<int> fd = ListenTcp(*addr, /*reuse_port=*/true);
#ifndef ONEM2M_COMMON_NET_SOCKET_UTIL_H_
#define ONEM2M_COMMON_NET_SOCKET_UTIL_H_

#include <netinet/in.h>
#include <sys/socket.h>

#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace onem2m::net {

// SocketAddress is an IPv4 or IPv6 address with port.
struct SocketAddress {
  sockaddr_storage storage{};
  socklen_t len = 0;

  const sockaddr* sa() const { return reinterpret_cast<const sockaddr*>(&storage); }
  sockaddr* mutable_sa() { return reinterpret_cast<sockaddr*>(&storage); }
  int family() const { return storage.ss_family; }
  int port() const;
  // ToString gives "1.2.3.4:5" or "[::1]:5".
  std::string ToString() const;
  // HostString gives the address without port ("1.2.3.4", "::1").
  std::string HostString() const;
  // Key is a compact byte string identifying address+port, for hash maps.
  std::string Key() const;
  bool IsLoopback() const;
};

// ParseHostPort accepts "1.2.3.4:5", "[::1]:5", "[::]:5", "0.0.0.0:5" and "localhost:5"
// (numeric addresses; "localhost" maps to 127.0.0.1). Port 0 means "any free port".
absl::StatusOr<SocketAddress> ParseHostPort(absl::string_view text);

// ResolveHostPort is ParseHostPort that also accepts DNS names (blocking getaddrinfo).
absl::StatusOr<SocketAddress> ResolveHostPort(absl::string_view text);

// ListenTcp opens a non-blocking listening TCP socket. IPv6 wildcard sockets also accept IPv4.
absl::StatusOr<int> ListenTcp(const SocketAddress& addr, bool reuse_port, int backlog = 4096);

// BindUdp opens a non-blocking bound UDP socket. With `reuse_port`, later BindUdp calls of this
// user for the same address (other I/O threads) join it; for port 0 the port the kernel picks is
// one no other socket holds (SO_REUSEPORT is set after bind(), see socket_util.cc).
absl::StatusOr<int> BindUdp(const SocketAddress& addr, bool reuse_port);

// ClaimPort checks that no other socket holds `addr` for `type` (SOCK_STREAM or SOCK_DGRAM) by
// binding it once without SO_REUSEPORT, and returns the address with the port to use (the one the
// kernel picked when addr's port is 0). A group of SO_REUSEPORT sockets (one per I/O thread) binds
// that port next. Without the check a second process of the same user would silently join an
// existing group and take part of its traffic (Linux shares a reuseport port across processes of
// one user, and may even pick such a port for a bind to port 0), so two servers started on one
// port would each answer some DTLS peers with the wrong keys. kUnavailable "bind ...: Address
// already in use" when another socket holds it.
absl::StatusOr<SocketAddress> ClaimPort(const SocketAddress& addr, int type);

// LocalAddress returns the address a socket is bound to (to learn the port after binding 0).
absl::StatusOr<SocketAddress> LocalAddress(int fd);

// SetNonBlocking puts `fd` in non-blocking mode.
absl::Status SetNonBlocking(int fd);

// ConnectWithDeadline opens a blocking TCP (SOCK_STREAM) or connected UDP (SOCK_DGRAM) socket to
// `addr`, honouring `deadline` for the TCP connect. The caller owns the returned fd.
absl::StatusOr<int> ConnectWithDeadline(const SocketAddress& addr, int type, absl::Time deadline);

// RaiseFdLimit lifts RLIMIT_NOFILE's soft limit to its hard limit; servers that hold tens of
// thousands of connections call it at start-up.
void RaiseFdLimit();

}  // namespace onem2m::net

#endif  // ONEM2M_COMMON_NET_SOCKET_UTIL_H_

#include "common/net/socket_util.h"

#include <sys/socket.h>
#include <unistd.h>

#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/match.h"
#include "gtest/gtest.h"

namespace onem2m::net {
namespace {

TEST(SocketUtilTest, ParsesIpv4AndIpv6) {
  auto v4 = ParseHostPort("127.0.0.1:8443");
  ASSERT_TRUE(v4.ok());
  EXPECT_EQ(v4->port(), 8443);
  EXPECT_EQ(v4->ToString(), "127.0.0.1:8443");
  EXPECT_TRUE(v4->IsLoopback());
  auto v6 = ParseHostPort("[::1]:5684");
  ASSERT_TRUE(v6.ok());
  EXPECT_EQ(v6->ToString(), "[::1]:5684");
  EXPECT_TRUE(v6->IsLoopback());
}

TEST(SocketUtilTest, RejectsBadAddresses) {
  EXPECT_FALSE(ParseHostPort("127.0.0.1").ok());
  EXPECT_FALSE(ParseHostPort("127.0.0.1:99999").ok());
  EXPECT_FALSE(ParseHostPort("127.0.0.1:abc").ok());
  EXPECT_FALSE(ParseHostPort("not-an-ip:80").ok());
}

TEST(SocketUtilTest, ListenOnPortZeroGetsAPort) {
  auto addr = ParseHostPort("127.0.0.1:0");
  ASSERT_TRUE(addr.ok());
  auto fd = ListenTcp(*addr, true);
  ASSERT_TRUE(fd.ok()) << fd.status();
  auto local = LocalAddress(*fd);
  ASSERT_TRUE(local.ok());
  EXPECT_GT(local->port(), 0);
  close(*fd);
}

// A port held by another group of SO_REUSEPORT sockets (as another server process of the same
// user would hold it) is refused instead of joined, for UDP and TCP alike; a free one is returned
// as given, and port 0 becomes a port nobody holds.
TEST(SocketUtilTest, ClaimPortRefusesAPortAReusePortGroupHolds) {
  auto any = ParseHostPort("127.0.0.1:0");
  ASSERT_TRUE(any.ok());
  for (int type : {SOCK_DGRAM, SOCK_STREAM}) {
    SCOPED_TRACE(type == SOCK_DGRAM ? "udp" : "tcp");
    auto held = type == SOCK_DGRAM ? BindUdp(*any, true) : ListenTcp(*any, true);
    ASSERT_TRUE(held.ok()) << held.status();
    auto held_addr = LocalAddress(*held);
    ASSERT_TRUE(held_addr.ok());

    auto claimed = ClaimPort(*held_addr, type);
    EXPECT_EQ(claimed.status().code(), absl::StatusCode::kUnavailable);
    EXPECT_TRUE(absl::StrContains(claimed.status().message(), "in use")) << claimed.status();

    auto fresh = ClaimPort(*any, type);
    ASSERT_TRUE(fresh.ok()) << fresh.status();
    EXPECT_GT(fresh->port(), 0);
    EXPECT_NE(fresh->port(), held_addr->port());
    // The claimed port is free for the group to bind.
    auto joined = type == SOCK_DGRAM ? BindUdp(*fresh, true) : ListenTcp(*fresh, true);
    ASSERT_TRUE(joined.ok()) << joined.status();
    close(*joined);
    close(*held);
  }
}

// ForeignUdpServers holds UDP sockets (`n` once Open) bound to 127.0.0.1:0 with SO_REUSEADDR and
// SO_REUSEPORT, as other servers of the same user on the host may (the kernel cannot tell another
// process of the same uid from this one), and the ports they got.
class ForeignUdpServers {
 public:
  void Open(int n) {
    auto any = ParseHostPort("127.0.0.1:0");
    EXPECT_TRUE(any.ok());
    int one = 1;
    for (int i = 0; i < n; ++i) {
      int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
      ASSERT_GE(fd, 0);
      fds_.push_back(fd);
      setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
      setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one));
      ASSERT_EQ(bind(fd, any->sa(), any->len), 0);
      auto local = LocalAddress(fd);
      ASSERT_TRUE(local.ok());
      ports_.insert(local->port());
    }
  }
  ~ForeignUdpServers() {
    for (int fd : fds_) close(fd);
  }
  bool Holds(int port) const { return ports_.contains(port); }
  size_t distinct_ports() const { return ports_.size(); }

 private:
  std::vector<int> fds_;
  absl::flat_hash_set<int> ports_;
};

// The DTLS listeners bind 127.0.0.1:0 with reuse_port (one socket per I/O thread). Linux's UDP
// port-0 search treats a port whose sockets all allow sharing with the new one as free, so with
// the flags set before bind() about one bind in (free ports / foreign ports) landed on a foreign
// server's port and the kernel split our peers' datagrams between the two servers
// (//enrolee:bootstrap_client_test's DTLS cases then saw another server's unrecognized_name).
// With 2000 foreign sockets (~7% of the 28k ephemeral ports) 400 binds would all miss them with
// probability about 1e-13; the fixed bind never lands on one.
TEST(SocketUtilTest, UdpPortZeroNeverJoinsAnotherServersPort) {
  RaiseFdLimit();
  ForeignUdpServers foreign;
  ASSERT_NO_FATAL_FAILURE(foreign.Open(2000));
  ASSERT_GT(foreign.distinct_ports(), 1000u);
  auto any = ParseHostPort("127.0.0.1:0");
  ASSERT_TRUE(any.ok());
  int landed_on_foreign = 0;
  for (int i = 0; i < 400; ++i) {
    for (bool reuse_port : {true, false}) {
      auto fd = BindUdp(*any, reuse_port);
      ASSERT_TRUE(fd.ok()) << fd.status();
      auto local = LocalAddress(*fd);
      ASSERT_TRUE(local.ok());
      if (foreign.Holds(local->port())) ++landed_on_foreign;
      close(*fd);
    }
  }
  EXPECT_EQ(landed_on_foreign, 0);
}

// After a port-0 bind with reuse_port, the other I/O threads' sockets join the port the kernel
// picked.
TEST(SocketUtilTest, UdpReusePortSocketsJoinThePickedPort) {
  auto any = ParseHostPort("127.0.0.1:0");
  ASSERT_TRUE(any.ok());
  auto first = BindUdp(*any, true);
  ASSERT_TRUE(first.ok()) << first.status();
  auto picked = LocalAddress(*first);
  ASSERT_TRUE(picked.ok());
  auto second = BindUdp(*picked, true);
  ASSERT_TRUE(second.ok()) << second.status();
  auto joined = LocalAddress(*second);
  ASSERT_TRUE(joined.ok());
  EXPECT_EQ(joined->port(), picked->port());
  close(*first);
  close(*second);
}

// Without reuse_port a UDP socket is its port's only one: no SO_REUSEADDR lets another bind share
// it.
TEST(SocketUtilTest, UdpWithoutReusePortIsExclusive) {
  auto any = ParseHostPort("127.0.0.1:0");
  ASSERT_TRUE(any.ok());
  auto first = BindUdp(*any, false);
  ASSERT_TRUE(first.ok()) << first.status();
  auto picked = LocalAddress(*first);
  ASSERT_TRUE(picked.ok());
  EXPECT_FALSE(BindUdp(*picked, false).ok());
  EXPECT_FALSE(BindUdp(*picked, true).ok());
  close(*first);
}

}  // namespace
}  // namespace onem2m::net

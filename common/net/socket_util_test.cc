#include "common/net/socket_util.h"

#include <sys/socket.h>
#include <unistd.h>

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

}  // namespace
}  // namespace onem2m::net

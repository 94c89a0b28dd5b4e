#include "common/net/socket_util.h"

#include <unistd.h>

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

}  // namespace
}  // namespace onem2m::net

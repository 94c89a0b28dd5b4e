#include "common/tls/dtls_cookie.h"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <cstring>

#include "gtest/gtest.h"

namespace onem2m {
namespace tls {
namespace {

std::string V4(const char* ip, uint16_t port) {
  sockaddr_in a;
  memset(&a, 0, sizeof(a));
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  inet_pton(AF_INET, ip, &a.sin_addr);
  return PeerKey(reinterpret_cast<sockaddr*>(&a), sizeof(a));
}

TEST(DtlsCookieTest, CookieBindsPeerAddress) {
  CookieKeeper keeper(absl::Minutes(5));
  absl::Time now = absl::Now();
  std::string cookie = keeper.Make(V4("192.0.2.1", 5684), now);
  EXPECT_EQ(cookie.size(), CookieKeeper::kCookieLen);
  EXPECT_TRUE(keeper.Verify(V4("192.0.2.1", 5684), cookie, now));
  EXPECT_FALSE(keeper.Verify(V4("192.0.2.1", 5685), cookie, now));
  EXPECT_FALSE(keeper.Verify(V4("192.0.2.2", 5684), cookie, now));
  EXPECT_FALSE(keeper.Verify(V4("192.0.2.1", 5684), cookie.substr(1), now));
}

TEST(DtlsCookieTest, PreviousSecretStillAcceptedThenExpires) {
  CookieKeeper keeper(absl::Minutes(1));
  absl::Time now = absl::Now();
  std::string peer = V4("198.51.100.7", 1000);
  std::string cookie = keeper.Make(peer, now);
  EXPECT_TRUE(keeper.Verify(peer, cookie, now + absl::Seconds(90)));   // Rotated once.
  EXPECT_FALSE(keeper.Verify(peer, cookie, now + absl::Seconds(200)));  // Rotated twice.
}

TEST(DtlsCookieTest, IndependentKeepersDisagree) {
  CookieKeeper a(absl::Minutes(5));
  CookieKeeper b(absl::Minutes(5));
  std::string peer = V4("203.0.113.9", 4433);
  EXPECT_FALSE(b.Verify(peer, a.Make(peer, absl::Now()), absl::Now()));
}

}  // namespace
}  // namespace tls
}  // namespace onem2m

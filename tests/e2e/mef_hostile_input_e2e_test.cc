// End-to-end tests of how the MEF (in-process over a real PostgreSQL, mef_e2e_fixture.h) survives
// hostile devices: garbage and truncated handshakes, malformed, oversized and unsupported requests,
// and a client that never finishes its handshake. After each, the server must still serve.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <string>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "common/secret_bytes.h"
#include "common/testing/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/e2e/mef_e2e_fixture.h"

namespace onem2m {
namespace {

using e2e::MefE2eTest;
using ::onem2m::testing::IsOk;

std::string HttpPost(const std::string& body, const std::string& ri = "ri-1") {
  return absl::StrCat(
      "POST /enrolment HTTP/1.1\r\nHost: mef.local\r\nX-M2M-Origin: C-x\r\nX-M2M-RI: ", ri,
      "\r\nContent-Type: application/json\r\nContent-Length: ", body.size(), "\r\n\r\n", body);
}

std::string RscOf(const std::string& response) {
  size_t p = response.find("X-M2M-RSC: ");
  if (p == std::string::npos) p = response.find("x-m2m-rsc: ");
  if (p == std::string::npos) return "";
  return response.substr(p + 11, 4);
}

int ConnectTcp(int port) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
    close(fd);
    return -1;
  }
  return fd;
}

TEST_F(MefE2eTest, GarbageAndTruncatedHandshakesLeaveServerServing) {
  // Garbage over TCP.
  int fd = ConnectTcp(mef_->tls_port);
  ASSERT_GE(fd, 0);
  std::string garbage = "GET / HTTP/1.0\r\n\r\n\x01\x02\x03garbage-garbage-garbage";
  (void)!write(fd, garbage.data(), garbage.size());
  close(fd);
  // Half a ClientHello: a handshake record header announcing 512 bytes, then a few, then close.
  fd = ConnectTcp(mef_->tls_port);
  ASSERT_GE(fd, 0);
  const unsigned char half[] = {0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00, 0x01, 0xfc, 0x03, 0x03,
                                0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff, 0x00, 0x11, 0x22, 0x33};
  (void)!write(fd, half, sizeof half);
  close(fd);
  // Garbage datagrams over UDP.
  int ufd = socket(AF_INET, SOCK_DGRAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(mef_->dtls_port);
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  for (int i = 0; i < 20; ++i) {
    std::string d = i % 2 ? std::string(1, '\x16') + "\xfe\xfd garbage" : std::string(i * 50, 'x');
    sendto(ufd, d.data(), d.size(), 0, reinterpret_cast<sockaddr*>(&a), sizeof a);
    sendto(ufd, half, sizeof half, 0, reinterpret_cast<sockaddr*>(&a), sizeof a);
  }
  close(ufd);
  ExpectServing();
  SecretBytes kpm = AddEnrolee("after-garbage-dtls");
  EXPECT_THAT(enrolee::Bootstrap(Options("after-garbage-dtls", kpm, tls::Transport::kDtls)),
              IsOk());
}

TEST_F(MefE2eTest, MalformedOversizedAndUnsupportedRequests) {
  SecretBytes kpm = AddEnrolee("req");
  {
    auto c = Handshake("req", kpm);
    ASSERT_NE(c, nullptr);
    std::string resp = Exchange(*c, HttpPost("{\"enrolment\":{\"type\":"));
    EXPECT_EQ(RscOf(resp), "4000") << resp;
  }
  {
    auto c = Handshake("req", kpm);
    ASSERT_NE(c, nullptr);
    std::string resp = Exchange(*c, HttpPost("{\"enrolment\":{\"type\":\"certificate\"}}"));
    EXPECT_EQ(RscOf(resp), "5001") << resp;
  }
  {
    auto c = Handshake("req", kpm);
    ASSERT_NE(c, nullptr);
    std::string big =
        "{\"enrolment\":{\"type\":\"maf\",\"x\":\"" + std::string(100 * 1024, 'a') + "\"}}";
    std::string resp = Exchange(*c, HttpPost(big));
    // 413 (or the connection closed) -- never a success.
    EXPECT_FALSE(absl::StrContains(resp, "2001")) << resp.substr(0, 200);
    EXPECT_TRUE(absl::StartsWith(resp, "HTTP/1.1 413") || absl::StartsWith(resp, "WRITE_FAILED") ||
                resp.empty() || absl::StartsWith(resp, "HTTP/1.1 4"))
        << resp.substr(0, 200);
  }
  auto list = mef_->store->ListEnrolments(mef::ListEnrolmentsRequest{});
  ASSERT_THAT(list, IsOk());
  EXPECT_TRUE(list->enrolments.empty());
  ExpectServing();
}

TEST_F(MefE2eTest, SilentClientIsClosedAtHandshakeDeadline) {
  // Server handshake timeout is 3 s (StartMef).
  int fd = ConnectTcp(mef_->tls_port);
  ASSERT_GE(fd, 0);
  absl::Time start = absl::Now();
  pollfd p{fd, POLLIN, 0};
  int n = poll(&p, 1, 30000);
  absl::Duration waited = absl::Now() - start;
  ASSERT_EQ(n, 1) << "not closed within 30 s";
  char buf[16];
  ssize_t r = read(fd, buf, sizeof buf);
  EXPECT_LE(r, 0);  // EOF or reset
  EXPECT_GE(waited, absl::Seconds(2)) << waited;
  EXPECT_LE(waited, absl::Seconds(25)) << waited;
  close(fd);
  ExpectServing();
}

}  // namespace
}  // namespace onem2m

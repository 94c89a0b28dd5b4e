// HTTP connection management over PskServer's TLS sessions (RFC 9112 9.3, 9.6), also against an
// independent client (openssl s_client).

#include <unistd.h>

#include <cstdio>
#include <cstdlib>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "common/http/response_parser.h"
#include "common/psk_server/psk_server_test_fixture.h"
#include "common/testing/status_matchers.h"
#include "common/testing/wait_for.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace onem2m::server::psk_server_test {
namespace {

using ::onem2m::testing::IsOk;
using ::onem2m::testing::WaitFor;
using ::testing::Not;

// ReadToEof reads until the server closes (close_notify or EOF) or `deadline`, returning what came
// and whether the close came before the deadline.
std::string ReadToEof(tls::BlockingClient& c, absl::Time deadline, bool* closed) {
  std::string all;
  *closed = false;
  while (absl::Now() < deadline) {
    absl::StatusOr<std::string> chunk = c.Read(4096, deadline);
    if (!chunk.ok() || chunk->empty()) {
      *closed = absl::Now() < deadline;
      break;
    }
    all += *chunk;
  }
  return all;
}

// RFC 9112 9.6: a server that receives "Connection: close" closes after its answer; RFC 9112 9.3:
// an HTTP/1.0 request without keep-alive does not persist. A client reading to EOF must not wait
// for the (here 30 s) idle timeout.
TEST_F(PskServerTest, ConnectionCloseAndHttp10RequestsCloseAfterTheAnswer) {
  StartServer(/*idle=*/absl::Seconds(30));
  for (const char* head : {"POST /echo HTTP/1.1\r\nHost: a\r\nConnection: close\r\n",
                           "POST /echo HTTP/1.0\r\nHost: a\r\n"}) {
    SCOPED_TRACE(head);
    auto c = Connect(tls::Transport::kTls, "device-1", Key());
    ASSERT_THAT(c, IsOk());
    const absl::Time start = absl::Now();
    ASSERT_THAT(
        (*c)->Write(absl::StrCat(head, "Content-Length: 3\r\n\r\nbye"), start + absl::Seconds(5)),
        IsOk());
    bool closed = false;
    const std::string got = ReadToEof(**c, start + absl::Seconds(10), &closed);
    EXPECT_TRUE(closed) << got;
    EXPECT_LT(absl::Now() - start, absl::Seconds(2));
    http::ResponseParser parser;
    auto r = parser.Feed(got);
    ASSERT_THAT(r, IsOk()) << r.status() << got;
    ASSERT_EQ(r->state, http::ParseState::kComplete) << got;
    auto resp = parser.TakeResponse();
    ASSERT_THAT(resp, IsOk());
    EXPECT_EQ(resp->status, 200);
    EXPECT_TRUE(absl::EndsWith(resp->body, "|bye")) << resp->body;
    const std::string* conn = http::FindHeader(resp->headers, "Connection");
    ASSERT_NE(conn, nullptr) << got;  // RFC 9112 9.6: the server SHOULD say so
    EXPECT_EQ(*conn, "close");
  }
  EXPECT_TRUE(WaitForOpenSessions(*server_, 0));
}

// HTTP/1.0 with "Connection: keep-alive" and plain HTTP/1.1 keep the session for the next request.
TEST_F(PskServerTest, KeepAliveRequestsKeepTheSession) {
  StartServer();
  for (const char* head : {"POST /echo HTTP/1.0\r\nConnection: keep-alive\r\n",
                           "POST /echo HTTP/1.1\r\nHost: a\r\n"}) {
    SCOPED_TRACE(head);
    auto c = Connect(tls::Transport::kTls, "device-1", Key());
    ASSERT_THAT(c, IsOk());
    for (int round = 0; round < 2; ++round) {
      const absl::Time deadline = absl::Now() + absl::Seconds(5);
      ASSERT_THAT((*c)->Write(absl::StrCat(head, "Content-Length: 2\r\n\r\nhi"), deadline), IsOk());
      http::ResponseParser parser;
      bool complete = false;
      while (!complete) {
        auto chunk = (*c)->Read(4096, deadline);
        ASSERT_TRUE(chunk.ok() && !chunk->empty()) << "closed in round " << round;
        auto r = parser.Feed(*chunk);
        ASSERT_THAT(r, IsOk());
        complete = r->state == http::ParseState::kComplete;
      }
      auto resp = parser.TakeResponse();
      ASSERT_THAT(resp, IsOk());
      EXPECT_TRUE(absl::EndsWith(resp->body, "|hi"));
      EXPECT_EQ(http::FindHeader(resp->headers, "Connection"), nullptr);
    }
  }
}

// Interop with an independent client: Debian's `openssl s_client` (TLS 1.2 PSK). -quiet implies
// -ign_eof, so s_client leaves only when the server closes; it sends "Connection: close" and must
// be done long before the 30 s idle timeout (the `timeout 20` would otherwise kill it).
TEST_F(PskServerTest, OpensslSClientWithConnectionCloseSeesEofPromptly) {
  if (access("/usr/bin/openssl", X_OK) != 0) GTEST_SKIP() << "no /usr/bin/openssl";
  if (access("/usr/bin/timeout", X_OK) != 0) GTEST_SKIP() << "no /usr/bin/timeout";
  StartServer(/*idle=*/absl::Seconds(30));
  const char* tmp = getenv("TEST_TMPDIR");
  const std::string req_path = absl::StrCat(tmp ? tmp : "/tmp", "/sclient-req-", getpid());
  {
    FILE* f = fopen(req_path.c_str(), "wb");
    ASSERT_NE(f, nullptr);
    const std::string req =
        "POST /echo HTTP/1.1\r\nHost: a\r\nConnection: close\r\nContent-Length: 7\r\n\r\nsclient";
    fwrite(req.data(), 1, req.size(), f);
    fclose(f);
  }
  const std::string cmd = absl::StrCat(
      "timeout 20 /usr/bin/openssl s_client -quiet -connect 127.0.0.1:",
      server_->tls_addresses()[0].port(), " -tls1_2 -cipher PSK-AES128-CBC-SHA256 -psk ",
      Hex(Key()), " -psk_identity device-1 < ", req_path, " 2>&1; echo \"exit=$?\"");
  const absl::Time start = absl::Now();
  std::string out;
  FILE* p = popen(cmd.c_str(), "r");
  ASSERT_NE(p, nullptr);
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
  pclose(p);
  const absl::Duration elapsed = absl::Now() - start;
  unlink(req_path.c_str());
  EXPECT_LT(elapsed, absl::Seconds(5)) << out;
  EXPECT_TRUE(absl::StrContains(out, "HTTP/1.1 200")) << out;
  EXPECT_TRUE(absl::StrContains(out, "Connection: close")) << out;
  EXPECT_TRUE(absl::StrContains(out, "device-1|")) << out;
  EXPECT_TRUE(absl::StrContains(out, "|sclient")) << out;
  EXPECT_FALSE(absl::StrContains(out, "exit=124")) << out;  // not killed by `timeout`
}

}  // namespace
}  // namespace onem2m::server::psk_server_test

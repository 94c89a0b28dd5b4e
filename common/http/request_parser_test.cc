#include "common/http/request_parser.h"

#include <string>

#include "absl/strings/str_cat.h"
#include "common/testing/status_matchers.h"
#include "gtest/gtest.h"

namespace onem2m {
namespace http {
namespace {

using ::onem2m::testing::StatusIs;

constexpr char kRequest[] =
    "POST /enrolment HTTP/1.1\r\n"
    "Host: mef.example.com\r\n"
    "X-M2M-Origin: C-device\r\n"
    "X-M2M-RI: req-1\r\n"
    "Content-Type: application/json\r\n"
    "Content-Length: 28\r\n"
    "\r\n"
    "{\"enrolment\":{\"type\":\"maf\"}}";

TEST(RequestParserTest, ParsesCompleteRequest) {
  RequestParser parser;
  absl::StatusOr<FeedResult> r = parser.Feed(kRequest);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->state, ParseState::kComplete);
  EXPECT_EQ(r->consumed, sizeof(kRequest) - 1);
  absl::StatusOr<HttpRequest> req = parser.TakeRequest();
  ASSERT_TRUE(req.ok()) << req.status();
  EXPECT_EQ(req->method, "POST");
  EXPECT_EQ(req->target, "/enrolment");
  ASSERT_NE(FindHeader(req->headers, "x-m2m-origin"), nullptr);
  EXPECT_EQ(*FindHeader(req->headers, "x-m2m-origin"), "C-device");
  EXPECT_EQ(*FindHeader(req->headers, "X-M2M-RI"), "req-1");
  EXPECT_EQ(req->body, "{\"enrolment\":{\"type\":\"maf\"}}");
}

// RFC 9112 9.3 and 9.6: HTTP/1.1 persists unless "Connection: close"; HTTP/1.0 closes unless
// "Connection: keep-alive".
TEST(RequestParserTest, ReportsWhetherTheClientKeepsTheConnection) {
  struct Case {
    const char* head;
    bool keep_alive;
  };
  for (const Case& c : {Case{"POST / HTTP/1.1\r\nHost: a\r\n", true},
                        Case{"POST / HTTP/1.1\r\nConnection: close\r\n", false},
                        Case{"POST / HTTP/1.1\r\nconnection: Close\r\n", false},
                        Case{"POST / HTTP/1.1\r\nConnection: keep-alive\r\n", true},
                        Case{"POST / HTTP/1.0\r\nHost: a\r\n", false},
                        Case{"POST / HTTP/1.0\r\nConnection: keep-alive\r\n", true},
                        Case{"POST / HTTP/1.0\r\nConnection: close\r\n", false}}) {
    SCOPED_TRACE(c.head);
    RequestParser parser;
    absl::StatusOr<FeedResult> r = parser.Feed(absl::StrCat(c.head, "Content-Length: 2\r\n\r\n{}"));
    ASSERT_TRUE(r.ok()) << r.status();
    ASSERT_EQ(r->state, ParseState::kComplete);
    absl::StatusOr<HttpRequest> req = parser.TakeRequest();
    ASSERT_TRUE(req.ok());
    EXPECT_EQ(req->keep_alive, c.keep_alive);
    EXPECT_EQ(req->body, "{}");
  }
}

TEST(RequestParserTest, ParsesRequestFedOneByteAtATime) {
  RequestParser parser;
  const std::string input = kRequest;
  for (size_t i = 0; i < input.size(); ++i) {
    absl::StatusOr<FeedResult> r = parser.Feed(input.substr(i, 1));
    ASSERT_TRUE(r.ok()) << r.status() << " at byte " << i;
    EXPECT_EQ(r->consumed, 1u);
    EXPECT_EQ(r->state, i + 1 == input.size() ? ParseState::kComplete : ParseState::kNeedMore)
        << "at byte " << i;
  }
  absl::StatusOr<HttpRequest> req = parser.TakeRequest();
  ASSERT_TRUE(req.ok());
  EXPECT_EQ(req->body, "{\"enrolment\":{\"type\":\"maf\"}}");
  EXPECT_EQ(req->headers.size(), 5u);
}

TEST(RequestParserTest, LeavesPipelinedRequestUnconsumed) {
  const std::string first = kRequest;
  const std::string second = "GET /maf/keys HTTP/1.1\r\nHost: x\r\n\r\n";
  RequestParser parser;
  absl::StatusOr<FeedResult> r = parser.Feed(first + second);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->state, ParseState::kComplete);
  EXPECT_EQ(r->consumed, first.size());
  // Further input is not consumed until Reset.
  absl::StatusOr<FeedResult> again = parser.Feed(second);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->consumed, 0u);

  parser.Reset();
  r = parser.Feed(second);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->state, ParseState::kComplete);
  EXPECT_EQ(r->consumed, second.size());
  absl::StatusOr<HttpRequest> req = parser.TakeRequest();
  ASSERT_TRUE(req.ok());
  EXPECT_EQ(req->method, "GET");
  EXPECT_EQ(req->body, "");
}

TEST(RequestParserTest, PipelinedBodylessRequestsConsumeExactly) {
  const std::string one = "DELETE /a HTTP/1.1\r\nHost: x\r\n\r\n";
  RequestParser parser;
  absl::StatusOr<FeedResult> r = parser.Feed(one + one);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->consumed, one.size());
}

TEST(RequestParserTest, TakeRequestBeforeCompleteFails) {
  RequestParser parser;
  ASSERT_TRUE(parser.Feed("POST /enrolment HTTP/1.1\r\n").ok());
  EXPECT_THAT(parser.TakeRequest(), StatusIs(absl::StatusCode::kFailedPrecondition));
}

TEST(RequestParserTest, OversizedHeadersFailWith431) {
  RequestParser parser;
  std::string input = "POST /enrolment HTTP/1.1\r\nX-Big: " + std::string(9000, 'a') + "\r\n\r\n";
  absl::StatusOr<FeedResult> r = parser.Feed(input);
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(r, StatusIs(absl::StatusCode::kResourceExhausted));
  EXPECT_EQ(parser.error_http_status(), 431);
  // Sticky.
  EXPECT_EQ(parser.Feed("x").status(), r.status());
}

TEST(RequestParserTest, OversizedHeadersFedByteByByteFail) {
  RequestParser parser(HttpLimits{100, 1000});
  std::string input = "POST /e HTTP/1.1\r\n";
  for (int i = 0; i < 20; ++i) input += "A: bcdefgh\r\n";
  absl::Status last;
  for (char c : input) {
    absl::StatusOr<FeedResult> r = parser.Feed(std::string(1, c));
    if (!r.ok()) {
      last = r.status();
      break;
    }
  }
  EXPECT_THAT(last, StatusIs(absl::StatusCode::kResourceExhausted));
}

TEST(RequestParserTest, HeadExactlyAtLimitIsAccepted) {
  const std::string head = "GET / HTTP/1.1\r\nA: b\r\n\r\n";
  RequestParser parser(HttpLimits{head.size(), 10});
  absl::StatusOr<FeedResult> r = parser.Feed(head);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->state, ParseState::kComplete);
}

TEST(RequestParserTest, OversizedBodyFailsWith413BeforeBodyArrives) {
  RequestParser parser;
  absl::StatusOr<FeedResult> r =
      parser.Feed("POST /enrolment HTTP/1.1\r\nContent-Length: 65537\r\n\r\n");
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(r, StatusIs(absl::StatusCode::kResourceExhausted));
  EXPECT_EQ(parser.error_http_status(), 413);
}

TEST(RequestParserTest, ConfigurableBodyLimit) {
  RequestParser parser(HttpLimits{8192, 4});
  EXPECT_TRUE(parser.Feed("POST / HTTP/1.1\r\nContent-Length: 4\r\n\r\nabcd").ok());
  parser.Reset();
  EXPECT_FALSE(parser.Feed("POST / HTTP/1.1\r\nContent-Length: 5\r\n\r\nabcde").ok());
}

TEST(RequestParserTest, BadContentLengthFailsWith400) {
  for (const char* cl : {"abc", "-1", "1 2", "99999999999999999999999"}) {
    RequestParser parser;
    absl::StatusOr<FeedResult> r =
        parser.Feed(absl::StrCat("POST / HTTP/1.1\r\nContent-Length: ", cl, "\r\n\r\n"));
    EXPECT_FALSE(r.ok()) << cl;
    EXPECT_EQ(parser.error_http_status(), 400) << cl;
  }
}

TEST(RequestParserTest, DuplicateContentLengthFails) {
  RequestParser parser;
  EXPECT_FALSE(
      parser.Feed("POST / HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab").ok());
}

TEST(RequestParserTest, ChunkedRequestFailsWith411) {
  RequestParser parser;
  absl::StatusOr<FeedResult> r =
      parser.Feed("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nab\r\n0\r\n\r\n");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(parser.error_http_status(), 411);
}

TEST(RequestParserTest, UnknownMethodFails) {
  RequestParser parser;
  EXPECT_FALSE(parser.Feed("FROB / HTTP/1.1\r\n\r\n").ok());
  EXPECT_EQ(parser.error_http_status(), 400);
}

TEST(RequestParserTest, ConnectAndUpgradeFailWith501) {
  RequestParser parser;
  EXPECT_FALSE(parser.Feed("CONNECT a:443 HTTP/1.1\r\n\r\n").ok());
  EXPECT_EQ(parser.error_http_status(), 501);
  RequestParser upgrade;
  EXPECT_FALSE(
      upgrade.Feed("GET / HTTP/1.1\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n").ok());
  EXPECT_EQ(upgrade.error_http_status(), 501);
}

TEST(RequestParserTest, GarbageFails) {
  RequestParser parser;
  absl::StatusOr<FeedResult> r = parser.Feed(std::string("\x16\x03\x01\x00\xa5\x01\x00", 7));
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(r, StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_EQ(parser.error_http_status(), 400);
}

TEST(RequestParserTest, EmptyFeedNeedsMore) {
  RequestParser parser;
  absl::StatusOr<FeedResult> r = parser.Feed("");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->state, ParseState::kNeedMore);
}

TEST(RequestParserTest, MovedParserKeepsWorking) {
  RequestParser parser;
  ASSERT_TRUE(parser.Feed("POST /enrolment HTTP/1.1\r\nContent-Le").ok());
  RequestParser moved = std::move(parser);
  absl::StatusOr<FeedResult> r = moved.Feed("ngth: 2\r\n\r\n{}");
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->state, ParseState::kComplete);
}

}  // namespace
}  // namespace http
}  // namespace onem2m

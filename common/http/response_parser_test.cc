#include "common/http/response_parser.h"

#include <string>

#include "gtest/gtest.h"

namespace onem2m {
namespace http {
namespace {

constexpr char kResponse[] =
    "HTTP/1.1 201 Created\r\n"
    "X-M2M-RSC: 2001\r\n"
    "X-M2M-RI: req-1\r\n"
    "Content-Type: application/json\r\n"
    "Content-Length: 2\r\n"
    "\r\n"
    "{}";

TEST(ResponseParserTest, ParsesResponseFedOneByteAtATime) {
  ResponseParser parser;
  const std::string input = kResponse;
  for (size_t i = 0; i < input.size(); ++i) {
    absl::StatusOr<FeedResult> r = parser.Feed(input.substr(i, 1));
    ASSERT_TRUE(r.ok()) << r.status() << " at byte " << i;
    EXPECT_EQ(r->state, i + 1 == input.size() ? ParseState::kComplete : ParseState::kNeedMore);
  }
  absl::StatusOr<HttpResponse> resp = parser.TakeResponse();
  ASSERT_TRUE(resp.ok());
  EXPECT_EQ(resp->status, 201);
  EXPECT_EQ(resp->reason, "Created");
  EXPECT_EQ(*FindHeader(resp->headers, "x-m2m-rsc"), "2001");
  EXPECT_EQ(resp->body, "{}");
}

// TS-0009 V3.9.1 6.3.3 omits the reason phrase; a peer may also drop the space before it.
TEST(ResponseParserTest, AcceptsStatusLineWithoutReasonPhrase) {
  for (const char* line : {"HTTP/1.1 201 \r\n", "HTTP/1.1 201\r\n"}) {
    SCOPED_TRACE(line);
    ResponseParser parser;
    absl::StatusOr<FeedResult> r =
        parser.Feed(std::string(line) + "X-M2M-RSC: 2001\r\nContent-Length: 2\r\n\r\n{}");
    ASSERT_TRUE(r.ok()) << r.status();
    ASSERT_EQ(r->state, ParseState::kComplete);
    absl::StatusOr<HttpResponse> resp = parser.TakeResponse();
    ASSERT_TRUE(resp.ok());
    EXPECT_EQ(resp->status, 201);
    EXPECT_EQ(resp->reason, "");
    EXPECT_EQ(resp->body, "{}");
  }
}

TEST(ResponseParserTest, ParsesChunkedResponse) {
  ResponseParser parser;
  absl::StatusOr<FeedResult> r = parser.Feed(
      "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\n{}\r\n0\r\n\r\n");
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->state, ParseState::kComplete);
  EXPECT_EQ(parser.TakeResponse()->body, "{}");
}

TEST(ResponseParserTest, BodyUntilEofCompletesAtEof) {
  ResponseParser parser;
  absl::StatusOr<FeedResult> r = parser.Feed("HTTP/1.1 200 OK\r\n\r\nabc");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->state, ParseState::kNeedMore);
  r = parser.FinishAtEof();
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->state, ParseState::kComplete);
  EXPECT_EQ(parser.TakeResponse()->body, "abc");
}

TEST(ResponseParserTest, TruncatedResponseFailsAtEof) {
  ResponseParser parser;
  ASSERT_TRUE(parser.Feed("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc").ok());
  EXPECT_FALSE(parser.FinishAtEof().ok());
}

TEST(ResponseParserTest, ChunkedBodyOverLimitFails) {
  ResponseParser parser(HttpLimits{8192, 3});
  absl::StatusOr<FeedResult> r = parser.Feed(
      "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nab\r\n2\r\ncd\r\n0\r\n\r\n");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), absl::StatusCode::kResourceExhausted);
}

TEST(ResponseParserTest, GarbageFails) {
  ResponseParser parser;
  EXPECT_FALSE(parser.Feed("xyz 200 OK\r\n\r\n").ok());
}

}  // namespace
}  // namespace http
}  // namespace onem2m

#include "common/http/serializer.h"

#include "common/http/request_parser.h"
#include "common/http/response_parser.h"
#include "gtest/gtest.h"

namespace onem2m {
namespace http {
namespace {

TEST(SerializerTest, RequestRoundTripsThroughParser) {
  HttpRequest request{"POST", "/maf/keys", {{"Host", "maf.example.com"}, {"X-M2M-RI", "7"}},
                      "{\"a\":1}"};
  absl::StatusOr<std::string> bytes = SerializeRequest(request);
  ASSERT_TRUE(bytes.ok()) << bytes.status();
  RequestParser parser;
  absl::StatusOr<FeedResult> r = parser.Feed(*bytes);
  ASSERT_TRUE(r.ok()) << r.status();
  ASSERT_EQ(r->state, ParseState::kComplete);
  absl::StatusOr<HttpRequest> parsed = parser.TakeRequest();
  EXPECT_EQ(parsed->method, "POST");
  EXPECT_EQ(parsed->target, "/maf/keys");
  EXPECT_EQ(*FindHeader(parsed->headers, "x-m2m-ri"), "7");
  EXPECT_EQ(*FindHeader(parsed->headers, "content-length"), "7");
  EXPECT_EQ(parsed->body, "{\"a\":1}");
}

TEST(SerializerTest, ResponseRoundTripsThroughParser) {
  HttpResponse response{201, "", {{"X-M2M-RSC", "2001"}}, "{}"};
  absl::StatusOr<std::string> bytes = SerializeResponse(response);
  ASSERT_TRUE(bytes.ok());
  EXPECT_EQ(*bytes, "HTTP/1.1 201 Created\r\nX-M2M-RSC: 2001\r\nContent-Length: 2\r\n\r\n{}");
  ResponseParser parser;
  ASSERT_EQ(parser.Feed(*bytes)->state, ParseState::kComplete);
  EXPECT_EQ(parser.TakeResponse()->status, 201);
}

// TS-0009 V3.9.1 6.3.3: "The Reason-Phrase shall be omitted in HTTP response messages"; RFC 9112 4
// keeps the space before the (empty) reason-phrase.
TEST(SerializerTest, OmittedReasonPhraseLeavesTheSpaceAndParses) {
  HttpResponse response{201, "", {{"X-M2M-RSC", "2001"}}, "{}"};
  response.omit_reason = true;
  absl::StatusOr<std::string> bytes = SerializeResponse(response);
  ASSERT_TRUE(bytes.ok()) << bytes.status();
  EXPECT_EQ(*bytes, "HTTP/1.1 201 \r\nX-M2M-RSC: 2001\r\nContent-Length: 2\r\n\r\n{}");
  ResponseParser parser;
  ASSERT_EQ(parser.Feed(*bytes)->state, ParseState::kComplete);
  absl::StatusOr<HttpResponse> parsed = parser.TakeResponse();
  ASSERT_TRUE(parsed.ok());
  EXPECT_EQ(parsed->status, 201);
  EXPECT_EQ(parsed->reason, "");
  EXPECT_EQ(parsed->body, "{}");

  response.reason = "Created";
  EXPECT_FALSE(SerializeResponse(response).ok());
}

TEST(SerializerTest, EmptyBodyGetsContentLengthZero) {
  absl::StatusOr<std::string> bytes = SerializeResponse(HttpResponse{204, "", {}, ""});
  ASSERT_TRUE(bytes.ok());
  EXPECT_EQ(*bytes, "HTTP/1.1 204 No Content\r\nContent-Length: 0\r\n\r\n");
}

TEST(SerializerTest, HeaderInjectionIsRefused) {
  EXPECT_FALSE(SerializeResponse(HttpResponse{200, "", {{"A", "b\r\nEvil: 1"}}, ""}).ok());
  EXPECT_FALSE(SerializeResponse(HttpResponse{200, "", {{"A B", "c"}}, ""}).ok());
  EXPECT_FALSE(SerializeResponse(HttpResponse{200, "", {{"", "c"}}, ""}).ok());
  EXPECT_FALSE(SerializeResponse(HttpResponse{200, "OK\r\n", {}, ""}).ok());
  EXPECT_FALSE(SerializeRequest(HttpRequest{"POST", "/a b", {}, ""}).ok());
  EXPECT_FALSE(SerializeRequest(HttpRequest{"PO ST", "/a", {}, ""}).ok());
  EXPECT_FALSE(SerializeRequest(HttpRequest{"POST", "a", {}, ""}).ok());
}

TEST(SerializerTest, CallerFramingHeadersAreRefused) {
  EXPECT_FALSE(SerializeResponse(HttpResponse{200, "", {{"content-length", "3"}}, ""}).ok());
  EXPECT_FALSE(SerializeRequest(HttpRequest{"POST", "/", {{"Transfer-Encoding", "chunked"}}, ""})
                   .ok());
}

TEST(SerializerTest, StatusOutOfRangeIsRefused) {
  EXPECT_FALSE(SerializeResponse(HttpResponse{99, "", {}, ""}).ok());
  EXPECT_FALSE(SerializeResponse(HttpResponse{600, "", {}, ""}).ok());
  absl::StatusOr<std::string> odd = SerializeResponse(HttpResponse{599, "", {}, ""});
  ASSERT_TRUE(odd.ok());
  EXPECT_EQ(odd->substr(0, 22), "HTTP/1.1 599 Unknown\r\n");
}

}  // namespace
}  // namespace http
}  // namespace onem2m

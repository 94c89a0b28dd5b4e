#include "common/exchange/http_adapter.h"

#include "common/exchange/rsc.h"
#include "common/http/request_parser.h"
#include "common/http/response_parser.h"
#include "common/http/serializer.h"
#include "gtest/gtest.h"

namespace onem2m {
namespace exchange {
namespace {

http::HttpRequest SampleHttp() {
  return http::HttpRequest{"POST",
                           "/enrolment",
                           {{"Host", "mef"},
                            {"X-M2M-Origin", "C-dev"},
                            {"X-M2M-RI", "r1"},
                            {"Content-Type", "application/json; charset=utf-8"}},
                           "{}"};
}

TEST(HttpAdapterTest, ConvertsRequest) {
  absl::StatusOr<Request> r = RequestFromHttp(SampleHttp());
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->method, Method::kPost);
  EXPECT_EQ(r->path, "/enrolment");
  EXPECT_EQ(r->originator, "C-dev");
  EXPECT_EQ(r->request_id, "r1");
  EXPECT_EQ(r->content_type, "application/json");
  EXPECT_EQ(r->body, "{}");
}

TEST(HttpAdapterTest, RejectsBadRequests) {
  http::HttpRequest no_ri = SampleHttp();
  no_ri.headers.erase(no_ri.headers.begin() + 2);
  EXPECT_EQ(RscForStatus(RequestFromHttp(no_ri).status()), kRscBadRequest);

  http::HttpRequest two_origins = SampleHttp();
  two_origins.headers.push_back({"x-m2m-origin", "C-other"});
  EXPECT_FALSE(RequestFromHttp(two_origins).ok());

  http::HttpRequest two_types = SampleHttp();
  two_types.headers.push_back({"content-type", "application/json"});
  EXPECT_EQ(RscForStatus(RequestFromHttp(two_types).status()), kRscBadRequest);

  http::HttpRequest query = SampleHttp();
  query.target = "/enrolment?x=1";
  EXPECT_FALSE(RequestFromHttp(query).ok());

  http::HttpRequest patch = SampleHttp();
  patch.method = "PATCH";
  EXPECT_EQ(RscForStatus(RequestFromHttp(patch).status()), kRscOperationNotAllowed);
}

// TS-0004 7.3.2.1: "If the receiver does not support the content format sent by the originator,
// the request may be rejected with ... UNSUPPORTED_MEDIA_TYPE" (4015, HTTP 415).
TEST(HttpAdapterTest, WrongOrMissingContentTypeIsUnsupportedMediaType) {
  http::HttpRequest xml = SampleHttp();
  xml.headers[3].value = "application/xml";
  EXPECT_EQ(RscForStatus(RequestFromHttp(xml).status()), kRscUnsupportedMediaType);

  http::HttpRequest none = SampleHttp();
  none.headers.erase(none.headers.begin() + 3);
  absl::Status s = RequestFromHttp(none).status();
  EXPECT_EQ(RscForStatus(s), kRscUnsupportedMediaType);
  http::HttpResponse answer = AnswerHttp(none, ErrorResponse(s));
  EXPECT_EQ(answer.status, 415);
  EXPECT_EQ(*http::FindHeader(answer.headers, "X-M2M-RSC"), "4015");

  // Without a body no Content-Type is needed.
  none.body.clear();
  EXPECT_TRUE(RequestFromHttp(none).ok());
}

// TS-0009 V3.9.1 6.4.22 maps X-M2M-RVI to the Release Version Indicator; TS-0004 V3.32 7.3.2.1
// reads a request without it as Release 1 and refuses a release it does not serve with 4001.
TEST(HttpAdapterTest, ReleaseVersionIndicatorIsReadAndChecked) {
  for (const char* rvi : {"1", "2", "2a", "3"}) {
    SCOPED_TRACE(rvi);
    http::HttpRequest h = SampleHttp();
    h.headers.push_back({"x-m2m-rvi", rvi});
    absl::StatusOr<Request> r = RequestFromHttp(h);
    ASSERT_TRUE(r.ok()) << r.status();
    EXPECT_EQ(r->release_version, rvi);
  }
  absl::StatusOr<Request> r1 = RequestFromHttp(SampleHttp());
  ASSERT_TRUE(r1.ok());
  EXPECT_EQ(r1->release_version, "1");

  for (const char* rvi : {"4", "", "3a", "03", "1 "}) {
    SCOPED_TRACE(rvi);
    http::HttpRequest h = SampleHttp();
    h.headers.push_back({"X-M2M-RVI", rvi});
    EXPECT_EQ(RscForStatus(RequestFromHttp(h).status()), kRscReleaseVersionNotSupported);
  }
  http::HttpRequest twice = SampleHttp();
  twice.headers.push_back({"X-M2M-RVI", "3"});
  twice.headers.push_back({"X-M2M-RVI", "2a"});
  EXPECT_EQ(RscForStatus(RequestFromHttp(twice).status()), kRscBadRequest);
}

// TS-0004 7.3.3.12: "The Release Version Indicator parameter shall be included unless the
// primitive is being sent to a Release 1 entity"; the answer echoes the request's release.
TEST(HttpAdapterTest, AnswerCarriesReleaseVersionUnlessToRelease1) {
  http::HttpRequest h = SampleHttp();
  EXPECT_EQ(http::FindHeader(AnswerHttp(h, Response{kRscOk, {}}).headers, "X-M2M-RVI"), nullptr);
  h.headers.push_back({"X-M2M-RVI", "2a"});
  http::HttpResponse a = AnswerHttp(h, Response{kRscOk, {}});
  ASSERT_NE(http::FindHeader(a.headers, "X-M2M-RVI"), nullptr);
  EXPECT_EQ(*http::FindHeader(a.headers, "X-M2M-RVI"), "2a");
  EXPECT_EQ(*http::FindHeader(a.headers, "X-M2M-RI"), "r1");
  // An unsupported release is answered (with 4001) in this service's own release.
  h.headers.back().value = "9";
  http::HttpResponse refused = AnswerHttp(h, ErrorResponse(RequestFromHttp(h).status()));
  EXPECT_EQ(refused.status, 501);
  EXPECT_EQ(*http::FindHeader(refused.headers, "X-M2M-RSC"), "4001");
  EXPECT_EQ(*http::FindHeader(refused.headers, "X-M2M-RVI"), "3");
}

// Golden wire bytes of a oneM2M answer over HTTP (TS-0009 V3.9.1): status line without reason
// phrase (6.3.3), X-M2M-RSC (6.4.17), X-M2M-RI (6.4.8), X-M2M-RVI (6.4.22), Content-Type (6.4.3),
// Content-Length (6.4.5).
TEST(HttpAdapterTest, GoldenAnswerBytes) {
  http::HttpRequest h = SampleHttp();
  h.headers.push_back({"X-M2M-RVI", "3"});
  absl::StatusOr<std::string> bytes =
      http::SerializeResponse(AnswerHttp(h, Response{kRscCreated, {{"keId", "AB@mef"}}}));
  ASSERT_TRUE(bytes.ok()) << bytes.status();
  EXPECT_EQ(*bytes,
            "HTTP/1.1 201 \r\n"
            "X-M2M-RSC: 2001\r\n"
            "X-M2M-RI: r1\r\n"
            "X-M2M-RVI: 3\r\n"
            "Content-Type: application/json\r\n"
            "Content-Length: 17\r\n"
            "\r\n"
            "{\"keId\":\"AB@mef\"}");
}

// Golden wire bytes of a request (TS-0009 V3.9.1): request line with HTTP/1.1 (6.2.3), Host
// (6.4.1), X-M2M-Origin (6.4.7), X-M2M-RI (6.4.8), X-M2M-RVI (6.4.22), Content-Type (6.4.3),
// Content-Length (6.4.5).
TEST(HttpAdapterTest, GoldenRequestBytes) {
  Request request;
  request.path = "/enrolment";
  request.originator = "C-dev";
  request.request_id = "r1";
  request.body = "{}";
  absl::StatusOr<http::HttpRequest> h = RequestToHttp(request, "mef.example.com");
  ASSERT_TRUE(h.ok()) << h.status();
  absl::StatusOr<std::string> bytes = http::SerializeRequest(*h);
  ASSERT_TRUE(bytes.ok()) << bytes.status();
  EXPECT_EQ(*bytes,
            "POST /enrolment HTTP/1.1\r\n"
            "Host: mef.example.com\r\n"
            "X-M2M-Origin: C-dev\r\n"
            "X-M2M-RI: r1\r\n"
            "X-M2M-RVI: 3\r\n"
            "Content-Type: application/json\r\n"
            "Content-Length: 2\r\n"
            "\r\n"
            "{}");
  request.release_version = "1";  // to a Release 1 entity: no indicator
  h = RequestToHttp(request, "mef.example.com");
  ASSERT_TRUE(h.ok());
  EXPECT_EQ(http::FindHeader(h->headers, "X-M2M-RVI"), nullptr);
  request.release_version = "7";
  EXPECT_FALSE(RequestToHttp(request, "mef.example.com").ok());
}

// A client accepts an answer whatever its reason phrase, and an X-M2M-RVI (TS-0009 6.4.0:
// headers it does not act on are ignored).
TEST(HttpAdapterTest, ClientAcceptsAnswersWithRviAndWithoutReasonPhrase) {
  http::ResponseParser parser;
  ASSERT_EQ(parser
                .Feed("HTTP/1.1 201 \r\nX-M2M-RSC: 2001\r\nX-M2M-RI: r1\r\nX-M2M-RVI: 3\r\n"
                      "Content-Type: application/json\r\nContent-Length: 2\r\n\r\n{}")
                ->state,
            http::ParseState::kComplete);
  absl::StatusOr<Response> r = ResponseFromHttp(*parser.TakeResponse());
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->rsc, kRscCreated);
}

TEST(HttpAdapterTest, ClientServerRoundTrip) {
  Request request{Method::kPost, "/maf/keys/retrieve", "C-dev", "r9", "", "{\"keyID\":\"k\"}"};
  absl::StatusOr<http::HttpRequest> out = RequestToHttp(request, "maf.example.com");
  ASSERT_TRUE(out.ok());
  ASSERT_NE(http::FindHeader(out->headers, "X-M2M-RVI"), nullptr);
  EXPECT_EQ(*http::FindHeader(out->headers, "X-M2M-RVI"), "3");
  absl::StatusOr<std::string> bytes = http::SerializeRequest(*out);
  ASSERT_TRUE(bytes.ok());
  http::RequestParser parser;
  ASSERT_EQ(parser.Feed(*bytes)->state, http::ParseState::kComplete);
  absl::StatusOr<Request> back = RequestFromHttp(*parser.TakeRequest());
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(back->path, request.path);
  EXPECT_EQ(back->body, request.body);
  EXPECT_EQ(back->request_id, "r9");
  EXPECT_EQ(back->release_version, "3");

  Response response{kRscOk, {{"keyID", "k"}}};
  http::HttpResponse http_response =
      ResponseToHttp(response, back->request_id, back->release_version);
  EXPECT_EQ(http_response.status, 200);
  EXPECT_EQ(*http::FindHeader(http_response.headers, "X-M2M-RVI"), "3");
  absl::StatusOr<std::string> rbytes = http::SerializeResponse(http_response);
  ASSERT_TRUE(rbytes.ok());
  http::ResponseParser rparser;
  ASSERT_EQ(rparser.Feed(*rbytes)->state, http::ParseState::kComplete);
  absl::StatusOr<Response> got = ResponseFromHttp(*rparser.TakeResponse());
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ(got->rsc, kRscOk);
  EXPECT_EQ(got->body, response.body);
}

TEST(HttpAdapterTest, ErrorResponseCarriesDebugText) {
  http::HttpResponse r = ResponseToHttp(ErrorResponse(kRscNotImplemented, "not supported"), "r1");
  EXPECT_EQ(r.status, 501);
  EXPECT_EQ(*http::FindHeader(r.headers, "X-M2M-RSC"), "5001");
  EXPECT_EQ(r.body, "{\"m2m:dbg\":\"not supported\"}");
}

TEST(HttpAdapterTest, ResponseWithoutRscHeaderIsGuessed) {
  absl::StatusOr<Response> r = ResponseFromHttp(http::HttpResponse{404, "", {}, ""});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->rsc, kRscNotFound);
  EXPECT_TRUE(r->body.is_null());
  EXPECT_FALSE(ResponseFromHttp(http::HttpResponse{200, "", {{"X-M2M-RSC", "abc"}}, ""}).ok());
}

}  // namespace
}  // namespace exchange
}  // namespace onem2m

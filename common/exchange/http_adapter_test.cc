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

  http::HttpRequest xml = SampleHttp();
  xml.headers[3].value = "application/xml";
  EXPECT_FALSE(RequestFromHttp(xml).ok());

  http::HttpRequest query = SampleHttp();
  query.target = "/enrolment?x=1";
  EXPECT_FALSE(RequestFromHttp(query).ok());

  http::HttpRequest patch = SampleHttp();
  patch.method = "PATCH";
  EXPECT_EQ(RscForStatus(RequestFromHttp(patch).status()), kRscOperationNotAllowed);
}

TEST(HttpAdapterTest, ClientServerRoundTrip) {
  Request request{Method::kPost, "/maf/keys/retrieve", "C-dev", "r9", "", "{\"keyID\":\"k\"}"};
  absl::StatusOr<http::HttpRequest> out = RequestToHttp(request, "maf.example.com");
  ASSERT_TRUE(out.ok());
  absl::StatusOr<std::string> bytes = http::SerializeRequest(*out);
  ASSERT_TRUE(bytes.ok());
  http::RequestParser parser;
  ASSERT_EQ(parser.Feed(*bytes)->state, http::ParseState::kComplete);
  absl::StatusOr<Request> back = RequestFromHttp(*parser.TakeRequest());
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(back->path, request.path);
  EXPECT_EQ(back->body, request.body);
  EXPECT_EQ(back->request_id, "r9");

  Response response{kRscOk, {{"keyID", "k"}}};
  http::HttpResponse http_response = ResponseToHttp(response, back->request_id);
  EXPECT_EQ(http_response.status, 200);
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

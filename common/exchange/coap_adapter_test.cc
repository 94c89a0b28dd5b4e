#include "common/exchange/coap_adapter.h"

#include "common/coap/builders.h"
#include "common/coap/parser.h"
#include "common/coap/serializer.h"
#include "common/exchange/rsc.h"
#include "gtest/gtest.h"

namespace onem2m {
namespace exchange {
namespace {

coap::CoapMessage SampleCoap() {
  coap::CoapMessage m = coap::MakeConfirmablePost(5, "tk", {"maf", "keys"});
  m.onem2m_from = "C-dev";
  m.onem2m_request_id = "r1";
  m.payload = "{}";
  return m;
}

TEST(CoapAdapterTest, ConvertsRequest) {
  absl::StatusOr<Request> r = RequestFromCoap(SampleCoap());
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->path, "/maf/keys");
  EXPECT_EQ(r->originator, "C-dev");
  EXPECT_EQ(r->request_id, "r1");
  EXPECT_EQ(r->body, "{}");
}

TEST(CoapAdapterTest, RejectsBadRequests) {
  coap::CoapMessage ack = SampleCoap();
  ack.type = coap::MessageType::kAcknowledgement;
  EXPECT_FALSE(RequestFromCoap(ack).ok());
  coap::CoapMessage no_ri = SampleCoap();
  no_ri.onem2m_request_id.reset();
  EXPECT_FALSE(RequestFromCoap(no_ri).ok());
  coap::CoapMessage no_cf = SampleCoap();
  no_cf.content_format.reset();
  EXPECT_EQ(RscForStatus(RequestFromCoap(no_cf).status()), kRscUnsupportedMediaType);
  coap::CoapMessage slash = SampleCoap();
  slash.uri_path = {"maf/keys"};
  EXPECT_FALSE(RequestFromCoap(slash).ok());
  coap::CoapMessage fetch = SampleCoap();
  fetch.code = coap::MakeCode(0, 5);
  EXPECT_EQ(RscForStatus(RequestFromCoap(fetch).status()), kRscOperationNotAllowed);
  coap::CoapMessage accept = SampleCoap();
  accept.accept = 60;
  EXPECT_EQ(RscForStatus(RequestFromCoap(accept).status()), kRscNotAcceptable);
}

TEST(CoapAdapterTest, ClientServerRoundTrip) {
  Request request{Method::kPost, "/enrolment", "", "r2", "", "{\"enrolment\":{\"type\":\"maf\"}}"};
  absl::StatusOr<coap::CoapMessage> out = RequestToCoap(request, 77, "abcd");
  ASSERT_TRUE(out.ok());
  absl::StatusOr<coap::CoapMessage> parsed = coap::ParseDatagram(*coap::SerializeMessage(*out));
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  absl::StatusOr<Request> back = RequestFromCoap(*parsed);
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(back->path, "/enrolment");
  EXPECT_EQ(back->body, request.body);

  Response response{kRscCreated, {{"keId", "AB@mef"}}};
  absl::StatusOr<coap::CoapMessage> ack = ResponseToCoap(*parsed, response);
  ASSERT_TRUE(ack.ok());
  EXPECT_EQ(ack->type, coap::MessageType::kAcknowledgement);
  EXPECT_EQ(ack->message_id, 77);
  EXPECT_EQ(ack->token, "abcd");
  EXPECT_EQ(ack->code, coap::kCodeCreated);
  absl::StatusOr<coap::CoapMessage> ack_back = coap::ParseDatagram(*coap::SerializeMessage(*ack));
  ASSERT_TRUE(ack_back.ok());
  EXPECT_EQ(ack_back->onem2m_request_id, "r2");
  absl::StatusOr<Response> got = ResponseFromCoap(*ack_back);
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ(got->rsc, kRscCreated);
  EXPECT_EQ(got->body, response.body);
}

TEST(CoapAdapterTest, OversizedResponseBodyFails) {
  Response big{kRscOk, {{"x", std::string(2000, 'a')}}};
  absl::StatusOr<coap::CoapMessage> ack = ResponseToCoap(SampleCoap(), big);
  ASSERT_FALSE(ack.ok());
  EXPECT_EQ(ack.status().code(), absl::StatusCode::kResourceExhausted);
}

TEST(CoapAdapterTest, ResponseWithoutRscOptionIsGuessed) {
  coap::CoapMessage m = coap::MakeResponse(SampleCoap(), coap::kCodeNotFound, 0);
  absl::StatusOr<Response> r = ResponseFromCoap(m);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->rsc, kRscNotFound);
  EXPECT_FALSE(ResponseFromCoap(SampleCoap()).ok());  // a request is not a response
}

}  // namespace
}  // namespace exchange
}  // namespace onem2m

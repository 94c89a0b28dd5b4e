#include "common/exchange/coap_adapter.h"

#include "common/coap/builders.h"
#include "common/coap/parser.h"
#include "common/coap/serializer.h"
#include "common/exchange/rsc.h"
#include <random>

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

// TS-0008 V3.9 5.1 and 6.3.1: a NON request is served; its answer is a separate NON message with
// the same token and a fresh Message ID of the server's.
TEST(CoapAdapterTest, NonConfirmableRequestGetsSeparateNonResponse) {
  coap::CoapMessage non = SampleCoap();
  non.type = coap::MessageType::kNonConfirmable;
  ASSERT_TRUE(RequestFromCoap(non).ok());
  absl::StatusOr<coap::CoapMessage> out =
      ResponseToCoap(non, Response{kRscCreated, {{"a", 1}}}, /*separate_message_id=*/0x5151);
  ASSERT_TRUE(out.ok());
  EXPECT_EQ(out->type, coap::MessageType::kNonConfirmable);
  EXPECT_EQ(out->message_id, 0x5151);
  EXPECT_EQ(out->token, "tk");
  EXPECT_EQ(out->code, coap::kCodeCreated);
}

// TS-0008 V3.9 table 6.2.4-1: RSC 2000 is 2.05 for a RETRIEVE (GET) and 2.04 for a NOTIFY (a POST
// without oneM2M-TY, 6.2.1); 4015 UNSUPPORTED_MEDIA_TYPE is 4.15; 2001 is 2.01 whatever the method.
TEST(CoapAdapterTest, ResponseCodeDependsOnMethod) {
  EXPECT_EQ(CoapCodeForAnswer(coap::kCodeGet, kRscOk), coap::kCodeContent);
  EXPECT_EQ(CoapCodeForAnswer(coap::kCodePost, kRscOk), coap::kCodeChanged);
  EXPECT_EQ(CoapCodeForAnswer(coap::kCodePost, kRscCreated), coap::kCodeCreated);
  EXPECT_EQ(CoapCodeForAnswer(coap::kCodePost, kRscUnsupportedMediaType),
            coap::kCodeUnsupportedContentFormat);
  EXPECT_EQ(CoapCodeForAnswer(coap::kCodePost, kRscNotAcceptable), coap::kCodeNotAcceptable);
  absl::StatusOr<coap::CoapMessage> ack = ResponseToCoap(SampleCoap(), Response{kRscOk, {}});
  ASSERT_TRUE(ack.ok());
  EXPECT_EQ(ack->code, coap::kCodeChanged);
}

TEST(CoapAdapterTest, WrongContentFormatIs4015And4_15) {
  coap::CoapMessage xml = SampleCoap();
  xml.content_format = 41;  // application/xml
  absl::Status s = RequestFromCoap(xml).status();
  EXPECT_EQ(RscForStatus(s), kRscUnsupportedMediaType);
  absl::StatusOr<coap::CoapMessage> ack = ResponseToCoap(xml, ErrorResponse(s));
  ASSERT_TRUE(ack.ok());
  EXPECT_EQ(ack->code, coap::kCodeUnsupportedContentFormat);
  EXPECT_EQ(ack->onem2m_rsc, 4015u);
}

// TS-0008 V3.9 6.2.2.4.16: the Release Version Indicator goes in oneM2M-RVI, both ways.
TEST(CoapAdapterTest, RviInRequestAndResponse) {
  Request request{Method::kPost, "/enrolment", "", "r9", "", "{}"};
  absl::StatusOr<coap::CoapMessage> out = RequestToCoap(request, 1, "t");
  ASSERT_TRUE(out.ok());
  EXPECT_EQ(out->onem2m_rvi, kCoapReleaseVersionIndicator);
  absl::StatusOr<coap::CoapMessage> ack = ResponseToCoap(*out, Response{kRscCreated, {}});
  ASSERT_TRUE(ack.ok());
  EXPECT_EQ(ack->onem2m_rvi, "3");
}

// TS-0008 V3.9 5.1 (Reset for a malformed CON), RFC 7252 5.4.1 (4.02 for a bad critical option in
// a CON, rejection of a NON), 4.2 (ACK/RST never answered).
TEST(CoapAdapterTest, ParseErrorsGetResetOrBadOption) {
  const std::string format_error("\x42\x02\xAB\xCD\x09\x08\xF1\x00", 8);
  absl::Status format_status = coap::ParseDatagram(format_error).status();
  std::optional<coap::CoapMessage> rst = ParseErrorToCoap(format_error, format_status, 7);
  ASSERT_TRUE(rst.has_value());
  EXPECT_EQ(rst->type, coap::MessageType::kReset);
  EXPECT_EQ(rst->message_id, 0xABCD);

  // CON POST, token "t", with RQI 257 (the pre-V3.7 number): delta 257 -> 13 + 244.
  std::string old_rqi("\x41\x02\x00\x05t\xD2\xF4r1", 9);
  absl::Status option_status = coap::ParseDatagram(old_rqi).status();
  std::optional<coap::CoapMessage> bad = ParseErrorToCoap(old_rqi, option_status, 7);
  ASSERT_TRUE(bad.has_value());
  EXPECT_EQ(bad->type, coap::MessageType::kAcknowledgement);
  EXPECT_EQ(bad->code, coap::kCodeBadOption);
  EXPECT_EQ(bad->message_id, 5);
  EXPECT_EQ(bad->token, "t");
  EXPECT_EQ(bad->onem2m_rsc, 4000u);
  EXPECT_EQ(bad->onem2m_rvi, "3");
  ASSERT_TRUE(coap::SerializeMessage(*bad).ok());

  std::string non_old_rqi = old_rqi;
  non_old_rqi[0] = 0x51;  // NON
  std::optional<coap::CoapMessage> rejected = ParseErrorToCoap(non_old_rqi, option_status, 7);
  ASSERT_TRUE(rejected.has_value());
  EXPECT_EQ(rejected->type, coap::MessageType::kReset);

  std::string ack_junk("\x60\x00\x00\x01\xFF", 5);
  EXPECT_FALSE(
      ParseErrorToCoap(ack_junk, coap::ParseDatagram(ack_junk).status(), 7).has_value());
}

// Whatever a peer sends, the answer to a refused datagram (if any) serializes and parses back.
TEST(CoapAdapterTest, ParseErrorAnswersAlwaysSerialize) {
  std::mt19937 rng(7);
  std::string base = *coap::SerializeMessage(SampleCoap());
  int answered = 0;
  for (int i = 0; i < 20000; ++i) {
    std::string d = base;
    for (int k = 0; k < 1 + static_cast<int>(rng() % 4); ++k) {
      d[rng() % d.size()] = static_cast<char>(rng() & 0xff);
    }
    absl::StatusOr<coap::CoapMessage> m = coap::ParseDatagram(d);
    if (m.ok()) continue;
    std::optional<coap::CoapMessage> out = ParseErrorToCoap(d, m.status(), 1);
    if (!out.has_value()) continue;
    ++answered;
    absl::StatusOr<std::string> bytes = coap::SerializeMessage(*out);
    ASSERT_TRUE(bytes.ok()) << bytes.status();
    ASSERT_TRUE(coap::ParseDatagram(*bytes).ok());
  }
  EXPECT_GT(answered, 100);
}

}  // namespace
}  // namespace exchange
}  // namespace onem2m

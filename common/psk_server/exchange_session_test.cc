// Tests for ExchangeSession: the HTTP/CoAP -> exchange::Request adapter, its error answers, and
// CoAP Message-ID deduplication (RFC 7252 4.5). No sockets: the SessionHandler methods are called
// directly, as the PskServer's I/O thread would.
#include "common/psk_server/exchange_session.h"

#include <atomic>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "common/coap/parser.h"
#include "common/coap/serializer.h"
#include "common/exchange/coap_adapter.h"
#include "common/exchange/http_adapter.h"
#include "common/exchange/rsc.h"
#include "gtest/gtest.h"

namespace onem2m::server {
namespace {

// RecordingSession records every request and answers with 2001 and a body naming the request's
// id, or holds the respond callback when `hold` is set.
class RecordingSession : public ExchangeSession {
 public:
  explicit RecordingSession(ExchangeOptions options = {}) : ExchangeSession(options) {}
  void OnRequest(exchange::Request request,
                 std::function<void(exchange::Response)> respond) override {
    requests.push_back(request);
    if (hold) {
      held = std::move(respond);
      return;
    }
    respond(
        exchange::Response{exchange::kRscCreated,
                           {{"n", static_cast<int>(requests.size())}, {"ri", request.request_id}}});
  }

  bool hold = false;
  std::function<void(exchange::Response)> held;
  std::vector<exchange::Request> requests;
};

exchange::Request EnrolmentRequest(const std::string& ri = "rq-1") {
  exchange::Request r;
  r.method = exchange::Method::kPost;
  r.path = "/enrolment";
  r.originator = "C-device-1";
  r.request_id = ri;
  r.content_type = std::string(exchange::kJsonMediaType);
  r.body = R"({"enrolment":{"type":"maf"}})";
  return r;
}

std::string CoapDatagram(const exchange::Request& r, uint16_t mid, const std::string& token) {
  absl::StatusOr<coap::CoapMessage> m = exchange::RequestToCoap(r, mid, token);
  EXPECT_TRUE(m.ok()) << m.status();
  absl::StatusOr<std::string> bytes = coap::SerializeMessage(*m);
  EXPECT_TRUE(bytes.ok()) << bytes.status();
  return *bytes;
}

// SendDatagram calls OnDatagram and returns what was answered synchronously (nullopt if respond
// was not called before OnDatagram returned).
std::optional<std::string> SendDatagram(ExchangeSession& s, const std::string& datagram) {
  std::optional<std::string> out;
  s.OnDatagram(datagram, [&out](std::string reply) { out = std::move(reply); });
  return out;
}

std::optional<http::HttpResponse> SendHttp(ExchangeSession& s, http::HttpRequest req) {
  std::optional<http::HttpResponse> out;
  s.OnHttpRequest(std::move(req), [&out](http::HttpResponse r) { out = std::move(r); });
  return out;
}

std::string HeaderOr(const http::HttpResponse& r, absl::string_view name) {
  const std::string* v = http::FindHeader(r.headers, name);
  return v ? *v : "<absent>";
}

// ---------------------------------------------------------------------------------------------
// HTTP

TEST(ExchangeSessionHttpTest, RequestIsAdaptedAndAnswerCarriesRscAndRequestId) {
  RecordingSession s;
  absl::StatusOr<http::HttpRequest> req =
      exchange::RequestToHttp(EnrolmentRequest("rq-42"), "mef.example.com");
  ASSERT_TRUE(req.ok()) << req.status();
  std::optional<http::HttpResponse> resp = SendHttp(s, *req);
  ASSERT_TRUE(resp.has_value());
  ASSERT_EQ(s.requests.size(), 1u);
  EXPECT_EQ(s.requests[0].path, "/enrolment");
  EXPECT_EQ(s.requests[0].originator, "C-device-1");
  EXPECT_EQ(s.requests[0].request_id, "rq-42");
  EXPECT_EQ(s.requests[0].body, R"({"enrolment":{"type":"maf"}})");
  EXPECT_EQ(HeaderOr(*resp, exchange::kHeaderRsc), "2001");
  EXPECT_EQ(HeaderOr(*resp, exchange::kHeaderRequestId), "rq-42");
  absl::StatusOr<exchange::Response> back = exchange::ResponseFromHttp(*resp);
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(back->rsc, exchange::kRscCreated);
  EXPECT_EQ(back->body["ri"], "rq-42");
}

TEST(ExchangeSessionHttpTest, MissingRequestIdGets4000WithoutReachingHandler) {
  RecordingSession s;
  http::HttpRequest req;
  req.method = "POST";
  req.target = "/enrolment";
  req.headers = {{"Host", "mef.example.com"},
                 {"X-M2M-Origin", "C-device-1"},
                 {"Content-Type", "application/json"}};
  req.body = R"({"enrolment":{"type":"maf"}})";
  std::optional<http::HttpResponse> resp = SendHttp(s, req);
  ASSERT_TRUE(resp.has_value());
  EXPECT_TRUE(s.requests.empty());
  EXPECT_EQ(HeaderOr(*resp, exchange::kHeaderRsc), "4000");
  EXPECT_EQ(resp->status, 400);
  EXPECT_EQ(http::FindHeader(resp->headers, exchange::kHeaderRequestId), nullptr);
}

TEST(ExchangeSessionHttpTest, RejectedRequestStillEchoesItsRequestId) {
  RecordingSession s;
  http::HttpRequest req;
  req.method = "POST";
  req.target = "/enrolment";
  req.headers = {{"X-M2M-RI", "rq-7"}, {"X-M2M-RVI", "2a"}, {"Content-Type", "text/plain"}};
  req.body = "hello";
  std::optional<http::HttpResponse> resp = SendHttp(s, req);
  ASSERT_TRUE(resp.has_value());
  EXPECT_TRUE(s.requests.empty());
  // TS-0004 7.3.2.1: a content format the receiver does not support is UNSUPPORTED_MEDIA_TYPE.
  EXPECT_EQ(HeaderOr(*resp, exchange::kHeaderRsc), "4015");
  EXPECT_EQ(resp->status, 415);
  EXPECT_EQ(HeaderOr(*resp, exchange::kHeaderRequestId), "rq-7");
  EXPECT_EQ(HeaderOr(*resp, exchange::kHeaderRvi), "2a");
}

TEST(ExchangeSessionHttpTest, AnswerMayComeLaterFromAnotherThread) {
  RecordingSession s;
  s.hold = true;
  absl::StatusOr<http::HttpRequest> req = exchange::RequestToHttp(EnrolmentRequest("rq-9"), "h");
  ASSERT_TRUE(req.ok());
  std::optional<http::HttpResponse> resp;
  s.OnHttpRequest(*req, [&resp](http::HttpResponse r) { resp = std::move(r); });
  EXPECT_FALSE(resp.has_value());
  ASSERT_TRUE(s.held);
  std::thread t(
      [&] { s.held(exchange::ErrorResponse(exchange::kRscTargetNotReachable, "store down")); });
  t.join();
  ASSERT_TRUE(resp.has_value());
  EXPECT_EQ(HeaderOr(*resp, exchange::kHeaderRsc), "5103");
  EXPECT_EQ(HeaderOr(*resp, exchange::kHeaderRequestId), "rq-9");
}

// ---------------------------------------------------------------------------------------------
// CoAP

TEST(ExchangeSessionCoapTest, ConfirmablePostGetsPiggybackedAck) {
  RecordingSession s;
  std::optional<std::string> answer =
      SendDatagram(s, CoapDatagram(EnrolmentRequest("rq-1"), 0x1234, "\x01\x02\x03\x04"));
  ASSERT_TRUE(answer.has_value());
  ASSERT_FALSE(answer->empty());
  ASSERT_EQ(s.requests.size(), 1u);
  EXPECT_EQ(s.requests[0].path, "/enrolment");
  EXPECT_EQ(s.requests[0].request_id, "rq-1");
  absl::StatusOr<coap::CoapMessage> ack = coap::ParseDatagram(*answer);
  ASSERT_TRUE(ack.ok()) << ack.status();
  EXPECT_EQ(ack->type, coap::MessageType::kAcknowledgement);
  EXPECT_EQ(ack->message_id, 0x1234);
  EXPECT_EQ(ack->token, "\x01\x02\x03\x04");
  EXPECT_EQ(ack->code, coap::kCodeCreated);
  absl::StatusOr<exchange::Response> r = exchange::ResponseFromCoap(*ack);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->rsc, exchange::kRscCreated);
}

TEST(ExchangeSessionCoapTest, RetransmissionIsAnsweredFromCacheWithoutSecondExecution) {
  RecordingSession s;
  std::string datagram = CoapDatagram(EnrolmentRequest(), 0x0101, "tok1");
  std::optional<std::string> first = SendDatagram(s, datagram);
  std::optional<std::string> second = SendDatagram(s, datagram);
  std::optional<std::string> third = SendDatagram(s, datagram);
  ASSERT_TRUE(first.has_value() && second.has_value() && third.has_value());
  EXPECT_EQ(s.requests.size(), 1u);
  EXPECT_FALSE(first->empty());
  EXPECT_EQ(*second, *first);
  EXPECT_EQ(*third, *first);
}

TEST(ExchangeSessionCoapTest, RetransmissionAfterAsyncAnswerIsAnsweredFromCache) {
  RecordingSession s;
  s.hold = true;
  std::string datagram = CoapDatagram(EnrolmentRequest(), 0x0202, "tok2");
  std::string first;
  s.OnDatagram(datagram, [&first](std::string reply) { first = std::move(reply); });
  ASSERT_TRUE(s.held);
  std::thread t([&] { s.held(exchange::Response{exchange::kRscCreated, {{"x", 1}}}); });
  t.join();
  ASSERT_FALSE(first.empty());
  s.hold = false;
  std::optional<std::string> again = SendDatagram(s, datagram);
  ASSERT_TRUE(again.has_value());
  EXPECT_EQ(*again, first);
  EXPECT_EQ(s.requests.size(), 1u);
}

TEST(ExchangeSessionCoapTest, NewMessageIdIsExecutedAgain) {
  RecordingSession s;
  std::optional<std::string> a = SendDatagram(s, CoapDatagram(EnrolmentRequest("rq-a"), 1, "t"));
  std::optional<std::string> b = SendDatagram(s, CoapDatagram(EnrolmentRequest("rq-b"), 2, "t"));
  ASSERT_TRUE(a.has_value() && b.has_value());
  EXPECT_EQ(s.requests.size(), 2u);
  absl::StatusOr<coap::CoapMessage> ack_b = coap::ParseDatagram(*b);
  ASSERT_TRUE(ack_b.ok());
  EXPECT_EQ(ack_b->message_id, 2);
  absl::StatusOr<exchange::Response> rb = exchange::ResponseFromCoap(*ack_b);
  ASSERT_TRUE(rb.ok());
  EXPECT_EQ(rb->body["ri"], "rq-b");
}

TEST(ExchangeSessionCoapTest, MalformedDatagramGetsNoAnswer) {
  RecordingSession s;
  for (const std::string& junk :
       {std::string("\xff\xff"), std::string("garbage that is not coap"), std::string(),
        std::string("\x40\x02\x12", 3) /* truncated header */}) {
    SCOPED_TRACE(testing::PrintToString(junk));
    std::optional<std::string> answer = SendDatagram(s, junk);
    ASSERT_TRUE(answer.has_value());  // respond is called, with nothing to send
    EXPECT_EQ(*answer, "");
  }
  EXPECT_TRUE(s.requests.empty());
}

TEST(ExchangeSessionCoapTest, ClientAckOrResetIsNotAnswered) {
  RecordingSession s;
  for (coap::MessageType type : {coap::MessageType::kAcknowledgement, coap::MessageType::kReset}) {
    coap::CoapMessage m;
    m.type = type;
    m.code = coap::kCodeEmpty;
    m.message_id = 77;
    absl::StatusOr<std::string> bytes = coap::SerializeMessage(m);
    ASSERT_TRUE(bytes.ok()) << bytes.status();
    std::optional<std::string> answer = SendDatagram(s, *bytes);
    ASSERT_TRUE(answer.has_value());
    EXPECT_EQ(*answer, "");
  }
  EXPECT_TRUE(s.requests.empty());
}

TEST(ExchangeSessionCoapTest, RequestWithoutRequestIdGets4000Ack) {
  RecordingSession s;
  absl::StatusOr<coap::CoapMessage> m = exchange::RequestToCoap(EnrolmentRequest(), 9, "tk");
  ASSERT_TRUE(m.ok());
  m->onem2m_request_id.reset();
  absl::StatusOr<std::string> bytes = coap::SerializeMessage(*m);
  ASSERT_TRUE(bytes.ok());
  std::optional<std::string> answer = SendDatagram(s, *bytes);
  ASSERT_TRUE(answer.has_value());
  EXPECT_TRUE(s.requests.empty());
  absl::StatusOr<coap::CoapMessage> ack = coap::ParseDatagram(*answer);
  ASSERT_TRUE(ack.ok()) << ack.status();
  EXPECT_EQ(ack->message_id, 9);
  EXPECT_EQ(ack->token, "tk");
  absl::StatusOr<exchange::Response> r = exchange::ResponseFromCoap(*ack);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->rsc, exchange::kRscBadRequest);
  // The error answer is cached too: a retransmission gets it without a second parse or call.
  std::optional<std::string> again = SendDatagram(s, *bytes);
  ASSERT_TRUE(again.has_value());
  EXPECT_EQ(*again, *answer);
}

TEST(ExchangeSessionCoapTest, OversizedAnswerIsReplacedByASmallError) {
  class BigSession : public ExchangeSession {
   public:
    void OnRequest(exchange::Request, std::function<void(exchange::Response)> respond) override {
      respond(exchange::Response{exchange::kRscCreated, {{"big", std::string(4000, 'x')}}});
    }
  } s;
  std::optional<std::string> answer = SendDatagram(s, CoapDatagram(EnrolmentRequest(), 5, "t"));
  ASSERT_TRUE(answer.has_value());
  absl::StatusOr<coap::CoapMessage> ack = coap::ParseDatagram(*answer);
  ASSERT_TRUE(ack.ok()) << ack.status();
  EXPECT_EQ(ack->message_id, 5);
  absl::StatusOr<exchange::Response> r = exchange::ResponseFromCoap(*ack);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_FALSE(exchange::IsSuccessRsc(r->rsc));
}

// TS-0008 V3.9 5.1 and 6.3.1: a NON request is executed and answered by a separate NON response
// (same token, the server's own Message ID) carrying oneM2M-RSC (307) and oneM2M-RVI.
TEST(ExchangeSessionCoapTest, NonConfirmableRequestGetsNonAnswer) {
  RecordingSession s;
  absl::StatusOr<coap::CoapMessage> m = exchange::RequestToCoap(EnrolmentRequest("rq-n"), 40, "nt");
  ASSERT_TRUE(m.ok());
  m->type = coap::MessageType::kNonConfirmable;
  std::optional<std::string> answer = SendDatagram(s, *coap::SerializeMessage(*m));
  ASSERT_TRUE(answer.has_value());
  ASSERT_EQ(s.requests.size(), 1u);
  absl::StatusOr<coap::CoapMessage> out = coap::ParseDatagram(*answer);
  ASSERT_TRUE(out.ok()) << out.status();
  EXPECT_EQ(out->type, coap::MessageType::kNonConfirmable);
  EXPECT_EQ(out->token, "nt");
  EXPECT_EQ(out->onem2m_rsc, 2001u);
  EXPECT_EQ(out->onem2m_rvi, "3");
}

TEST(ExchangeSessionCoapTest, PingGetsReset) {
  RecordingSession s;
  std::optional<std::string> answer = SendDatagram(s, std::string("\x40\x00\x12\x34", 4));
  ASSERT_TRUE(answer.has_value());
  EXPECT_EQ(*answer, std::string("\x70\x00\x12\x34", 4));
  EXPECT_TRUE(s.requests.empty());
}

// Pre-V3.7 firmware: RQI 257 is an unknown critical option (4.02) unless the legacy switch is on;
// then the request is served and the answer uses the old numbers (RSC 265).
TEST(ExchangeSessionCoapTest, LegacyNumbersOnlyBehindTheSwitch) {
  coap::CoapMessage m = *exchange::RequestToCoap(EnrolmentRequest("rq-old"), 50, "ot");
  m.numbering = coap::OptionNumbering::kLegacy;
  const std::string old = *coap::SerializeMessage(m);

  RecordingSession strict;
  std::optional<std::string> refused = SendDatagram(strict, old);
  ASSERT_TRUE(refused.has_value());
  EXPECT_TRUE(strict.requests.empty());
  ASSERT_GE(refused->size(), 2u);
  EXPECT_EQ(static_cast<uint8_t>((*refused)[1]), coap::kCodeBadOption);

  class LegacySession : public RecordingSession {
   public:
    LegacySession() : RecordingSession(ExchangeOptions{true}) {}
  } legacy;
  std::optional<std::string> served = SendDatagram(legacy, old);
  ASSERT_TRUE(served.has_value());
  EXPECT_EQ(legacy.requests.size(), 1u);
  absl::StatusOr<coap::CoapMessage> out =
      coap::ParseDatagram(*served, coap::CoapLimits(), /*allow_legacy_numbers=*/true);
  ASSERT_TRUE(out.ok()) << out.status();
  EXPECT_EQ(out->numbering, coap::OptionNumbering::kLegacy);
  EXPECT_EQ(out->onem2m_rsc, 2001u);
  EXPECT_EQ(out->onem2m_request_id, "rq-old");
}

}  // namespace
}  // namespace onem2m::server

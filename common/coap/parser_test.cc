#include "common/coap/parser.h"

#include <string>

#include "common/testing/status_matchers.h"
#include "gtest/gtest.h"

namespace onem2m {
namespace coap {
namespace {

using ::onem2m::testing::StatusIs;

std::string Bytes(std::initializer_list<int> b) {
  std::string s;
  for (int c : b) s.push_back(static_cast<char>(c));
  return s;
}

// CON POST, MID 0x1234, token 01 02, Uri-Path "enrolment", Content-Format 50, oneM2M-FR (279)
// "C1", payload "{}".
std::string SampleRequest() {
  return Bytes({0x42, 0x02, 0x12, 0x34, 0x01, 0x02, 0xB9}) + "enrolment" + Bytes({0x11, 0x32}) +
         Bytes({0xD2, 0xFE}) + "C1" + Bytes({0xFF}) + "{}";
}

TEST(CoapParserTest, ParsesConfirmablePost) {
  absl::StatusOr<CoapMessage> m = ParseDatagram(SampleRequest());
  ASSERT_TRUE(m.ok()) << m.status();
  EXPECT_EQ(m->type, MessageType::kConfirmable);
  EXPECT_EQ(m->code, kCodePost);
  EXPECT_EQ(m->message_id, 0x1234);
  EXPECT_EQ(m->token, Bytes({1, 2}));
  ASSERT_EQ(m->uri_path.size(), 1u);
  EXPECT_EQ(m->uri_path[0], "enrolment");
  EXPECT_EQ(m->content_format, kContentFormatJson);
  EXPECT_EQ(m->onem2m_from, "C1");
  EXPECT_FALSE(m->onem2m_request_id.has_value());
  EXPECT_EQ(m->payload, "{}");
}

TEST(CoapParserTest, TruncatedHeaderFails) {
  for (size_t n = 0; n < 4; ++n) {
    absl::StatusOr<CoapMessage> m = ParseDatagram(SampleRequest().substr(0, n));
    ASSERT_FALSE(m.ok());
    EXPECT_THAT(m, StatusIs(absl::StatusCode::kInvalidArgument));
  }
}

TEST(CoapParserTest, TokenLengthOver8Fails) {
  std::string d = Bytes({0x49, 0x02, 0, 1}) + std::string(9, 'x');
  absl::StatusOr<CoapMessage> m = ParseDatagram(d);
  ASSERT_FALSE(m.ok());
  EXPECT_NE(m.status().message().find("token length"), std::string::npos);
}

TEST(CoapParserTest, DatagramEndingInsideTokenFails) {
  EXPECT_FALSE(ParseDatagram(Bytes({0x44, 0x02, 0, 1, 0xAA})).ok());
}

TEST(CoapParserTest, WrongVersionFails) {
  EXPECT_FALSE(ParseDatagram(Bytes({0x80, 0x02, 0, 1})).ok());
}

TEST(CoapParserTest, BadOptionDeltaFails) {
  // Delta nibble 15 is reserved unless the whole byte is the payload marker.
  EXPECT_FALSE(ParseDatagram(Bytes({0x40, 0x02, 0, 1, 0xF1, 0x00})).ok());
  // Length nibble 15 is reserved.
  EXPECT_FALSE(ParseDatagram(Bytes({0x40, 0x02, 0, 1, 0xBF, 0x00})).ok());
  // Option longer than the datagram.
  EXPECT_FALSE(ParseDatagram(Bytes({0x40, 0x02, 0, 1, 0xB5, 'a'})).ok());
  // Extended delta byte missing.
  EXPECT_FALSE(ParseDatagram(Bytes({0x40, 0x02, 0, 1, 0xD0})).ok());
}

TEST(CoapParserTest, PayloadMarkerWithoutPayloadFails) {
  absl::StatusOr<CoapMessage> m = ParseDatagram(Bytes({0x40, 0x02, 0, 1, 0xFF}));
  ASSERT_FALSE(m.ok());
  EXPECT_THAT(m, StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(CoapParserTest, ReservedCodeClassFails) {
  EXPECT_FALSE(ParseDatagram(Bytes({0x40, 0x21, 0, 1})).ok());  // 1.01
  EXPECT_FALSE(ParseDatagram(Bytes({0x40, 0xE0, 0, 1})).ok());  // 7.00
}

TEST(CoapParserTest, EmptyMessageWithContentFails) {
  EXPECT_TRUE(ParseDatagram(Bytes({0x60, 0x00, 0, 1})).ok());  // empty ACK
  EXPECT_FALSE(ParseDatagram(Bytes({0x61, 0x00, 0, 1, 7})).ok());
}

TEST(CoapParserTest, UnrecognisedCriticalOptionIsUnimplemented) {
  // Block1 (27), delta 27 -> nibble 13, extended 14, length 1.
  absl::StatusOr<CoapMessage> m = ParseDatagram(Bytes({0x40, 0x02, 0, 1, 0xD1, 14, 0x06}));
  ASSERT_FALSE(m.ok());
  EXPECT_THAT(m, StatusIs(absl::StatusCode::kUnimplemented));
  EXPECT_EQ(CoapCodeForParseError(m.status()), kCodeBadOption);
}

TEST(CoapParserTest, UnrecognisedElectiveOptionIsSkipped) {
  // Size1 (60): delta 60 -> nibble 13, extended 47.
  absl::StatusOr<CoapMessage> m = ParseDatagram(Bytes({0x40, 0x02, 0, 1, 0xD1, 47, 0x10}));
  EXPECT_TRUE(m.ok()) << m.status();
}

TEST(CoapParserTest, RepeatedContentFormatFails) {
  EXPECT_FALSE(ParseDatagram(Bytes({0x40, 0x02, 0, 1, 0xC1, 50, 0x01, 50})).ok());
}

TEST(CoapParserTest, OverlongContentFormatFails) {
  EXPECT_FALSE(ParseDatagram(Bytes({0x40, 0x02, 0, 1, 0xC3, 0, 0, 50})).ok());
}

TEST(CoapParserTest, OversizedPayloadIsResourceExhausted) {
  std::string d = Bytes({0x40, 0x02, 0, 1, 0xFF}) + std::string(11, 'x');
  absl::StatusOr<CoapMessage> m = ParseDatagram(d, CoapLimits{10, 1280});
  ASSERT_FALSE(m.ok());
  EXPECT_THAT(m, StatusIs(absl::StatusCode::kResourceExhausted));
  EXPECT_EQ(CoapCodeForParseError(m.status()), kCodeRequestEntityTooLarge);
  EXPECT_TRUE(ParseDatagram(d, CoapLimits{11, 1280}).ok());
  EXPECT_FALSE(ParseDatagram(d, CoapLimits{1024, 8}).ok());
}

TEST(CoapParserTest, PeekHeaderRecoversIdentityOfBrokenRequest) {
  std::string d = Bytes({0x42, 0x02, 0xAB, 0xCD, 9, 8, 0xF1, 0});
  EXPECT_FALSE(ParseDatagram(d).ok());
  absl::StatusOr<CoapHeader> h = PeekHeader(d);
  ASSERT_TRUE(h.ok());
  EXPECT_EQ(h->message_id, 0xABCD);
  EXPECT_EQ(h->token, Bytes({9, 8}));
  EXPECT_EQ(h->type, MessageType::kConfirmable);
}

TEST(CoapParserTest, CodeToStringFormats) {
  EXPECT_EQ(CodeToString(kCodeCreated), "2.01");
  EXPECT_EQ(CodeToString(kCodeRequestEntityTooLarge), "4.13");
}

}  // namespace
}  // namespace coap
}  // namespace onem2m

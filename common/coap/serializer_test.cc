#include "common/coap/serializer.h"

#include <string>

#include "common/coap/builders.h"
#include "common/coap/parser.h"
#include "gtest/gtest.h"

namespace onem2m {
namespace coap {
namespace {

TEST(CoapSerializerTest, ConfirmablePostHasExpectedBytes) {
  CoapMessage m = MakeConfirmablePost(0x1234, std::string("\x01\x02", 2), {"enrolment"});
  m.onem2m_from = "C1";
  m.payload = "{}";
  absl::StatusOr<std::string> d = SerializeMessage(m);
  ASSERT_TRUE(d.ok()) << d.status();
  // oneM2M-FR is 279 (TS-0008 V3.9 table 6.2.2.4.0-1): delta 267 -> nibble 13, extended 254.
  const std::string expected = std::string("\x42\x02\x12\x34\x01\x02\xB9", 7) + "enrolment" +
                               std::string("\x11\x32\xD2\xFE", 4) + "C1" + "\xFF" + "{}";
  EXPECT_EQ(*d, expected);
}

TEST(CoapSerializerTest, RoundTripsAllFields) {
  CoapMessage m = MakeConfirmablePost(7, "tok", {"maf", "keys", "retrieve"});
  m.uri_query = {"a=1"};
  m.accept = kContentFormatJson;
  m.onem2m_from = "C-enrolee";
  m.onem2m_request_id = "req-42";
  m.onem2m_rsc = 2001;
  m.payload = std::string(1000, 'p');
  absl::StatusOr<std::string> d = SerializeMessage(m);
  ASSERT_TRUE(d.ok()) << d.status();
  absl::StatusOr<CoapMessage> back = ParseDatagram(*d);
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(back->type, MessageType::kConfirmable);
  EXPECT_EQ(back->code, kCodePost);
  EXPECT_EQ(back->message_id, 7);
  EXPECT_EQ(back->token, "tok");
  EXPECT_EQ(back->uri_path, (std::vector<std::string>{"maf", "keys", "retrieve"}));
  EXPECT_EQ(back->uri_query, (std::vector<std::string>{"a=1"}));
  EXPECT_EQ(back->content_format, kContentFormatJson);
  EXPECT_EQ(back->accept, kContentFormatJson);
  EXPECT_EQ(back->onem2m_from, "C-enrolee");
  EXPECT_EQ(back->onem2m_request_id, "req-42");
  EXPECT_EQ(back->onem2m_rsc, 2001u);
  EXPECT_EQ(back->payload, m.payload);
}

TEST(CoapSerializerTest, PiggybackedAckEchoesMidAndToken) {
  CoapMessage request = MakeConfirmablePost(0xBEEF, "abcdefgh", {"enrolment"});
  CoapMessage ack = MakeResponse(request, kCodeCreated, 0);
  ack.onem2m_rsc = 2001;
  ack.content_format = kContentFormatJson;
  ack.payload = "{\"x\":1}";
  absl::StatusOr<std::string> d = SerializeMessage(ack);
  ASSERT_TRUE(d.ok());
  absl::StatusOr<CoapMessage> back = ParseDatagram(*d);
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(back->type, MessageType::kAcknowledgement);
  EXPECT_EQ(back->code, kCodeCreated);
  EXPECT_EQ(back->message_id, 0xBEEF);
  EXPECT_EQ(back->token, "abcdefgh");
}

TEST(CoapSerializerTest, ResetIsFourBytes) {
  absl::StatusOr<std::string> d = SerializeMessage(MakeReset(0x0102));
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(*d, std::string("\x70\x00\x01\x02", 4));
}

TEST(CoapSerializerTest, EmptyPayloadHasNoMarker) {
  CoapMessage m = MakeConfirmablePost(1, "", {"a"});
  absl::StatusOr<std::string> d = SerializeMessage(m);
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->back(), 0x32);  // Content-Format value, no 0xFF
}

TEST(CoapSerializerTest, InvalidMessagesAreRefused) {
  CoapMessage long_token = MakeConfirmablePost(1, "123456789", {"a"});
  EXPECT_FALSE(SerializeMessage(long_token).ok());
  CoapMessage long_segment = MakeConfirmablePost(1, "", {std::string(256, 'a')});
  EXPECT_FALSE(SerializeMessage(long_segment).ok());
  CoapMessage reserved = MakeConfirmablePost(1, "", {});
  reserved.code = MakeCode(1, 0);
  EXPECT_FALSE(SerializeMessage(reserved).ok());
  CoapMessage empty_with_token = MakeReset(1);
  empty_with_token.token = "x";
  EXPECT_FALSE(SerializeMessage(empty_with_token).ok());
}

TEST(CoapSerializerTest, LargeOptionNumbersUseExtendedDeltas) {
  CoapMessage m = MakeConfirmablePost(1, "", {});
  m.content_format.reset();
  m.onem2m_rsc = 4004;
  absl::StatusOr<std::string> d = SerializeMessage(m);
  ASSERT_TRUE(d.ok());
  // oneM2M-RSC 307: delta 307 >= 269 -> nibble 14, two extended bytes 307 - 269 = 0x0026;
  // length 2 (RFC 7252 3.1).
  EXPECT_EQ(d->substr(4), std::string("\xE2\x00\x26\x0F\xA4", 5));
}

}  // namespace
}  // namespace coap
}  // namespace onem2m

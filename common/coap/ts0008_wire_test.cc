// Golden wire tests for the oneM2M CoAP binding, built from TS-0008 V3.9 itself: the option table
// 6.2.2.4.0-1 (number, format, length) is transcribed here independently of onem2m_options.cc,
// and the expected bytes are worked out by hand with RFC 7252 3.1 (option delta/length nibbles:
// 13 -> one extended byte minus 13, 14 -> two extended bytes minus 269).
#include <string>

#include "common/coap/builders.h"
#include "common/coap/parser.h"
#include "common/coap/serializer.h"
#include "gtest/gtest.h"

namespace onem2m {
namespace coap {
namespace {

std::string Bytes(std::initializer_list<int> b) {
  std::string s;
  for (int c : b) s.push_back(static_cast<char>(c));
  return s;
}

// TS-0008 V3.9 clause 6.2.2.4, table 6.2.2.4.0-1, as printed.
struct Row {
  const char* name;
  uint16_t number;
  bool is_uint;
  size_t min_len;
  size_t max_len;
};
constexpr Row kTs0008Table[] = {
    {"oneM2M-FR", 279, false, 0, 255},   {"oneM2M-RQI", 283, false, 0, 255},
    {"oneM2M-OT", 259, false, 15, 15},   {"oneM2M-RQET", 291, false, 15, 15},
    {"oneM2M-RSET", 295, false, 15, 15}, {"oneM2M-OET", 299, false, 15, 15},
    {"oneM2M-RTURI", 263, false, 0, 255}, {"oneM2M-EC", 303, true, 0, 1},
    {"oneM2M-RSC", 307, true, 0, 2},     {"oneM2M-GID", 311, false, 0, 255},
    {"oneM2M-TY", 267, true, 0, 2},      {"oneM2M-CTO", 319, true, 0, 2},
    {"oneM2M-CTS", 323, true, 0, 2},     {"oneM2M-ATI", 327, false, 0, 255},
    {"oneM2M-RVI", 271, false, 1, 2},    {"oneM2M-VSI", 331, false, 0, 255},
    {"oneM2M-GTM", 335, false, 0, 512},  {"oneM2M-AUS", 339, false, 0, 255},
    {"oneM2M-ASRI", 275, false, 0, 255},
};

// OneOption is a CON POST (MID 1, no token) carrying the single option `number` with `value`,
// encoded by hand: delta = number (first option).
std::string OneOption(uint16_t number, const std::string& value) {
  std::string d = Bytes({0x40, 0x02, 0x00, 0x01});
  auto nibble = [](size_t v, std::string* ext) -> int {
    if (v < 13) return static_cast<int>(v);
    if (v < 269) {
      ext->push_back(static_cast<char>(v - 13));
      return 13;
    }
    ext->push_back(static_cast<char>((v - 269) >> 8));
    ext->push_back(static_cast<char>((v - 269) & 0xff));
    return 14;
  };
  std::string delta_ext, len_ext;
  const int dn = nibble(number, &delta_ext);
  const int ln = nibble(value.size(), &len_ext);
  d.push_back(static_cast<char>((dn << 4) | ln));
  return d + delta_ext + len_ext + value;
}

// TS-0008 V3.9 6.2.2.4.1, .2, .16 and RFC 7252 3.1: a CON POST, MID 0x1234, token 01 02, Uri-Path
// "enrolment", Content-Format 50, oneM2M-RVI "3" (271), oneM2M-FR "C1" (279), oneM2M-RQI "r1"
// (283), payload "{}".
std::string V3_9Request() {
  return Bytes({0x42, 0x02, 0x12, 0x34, 0x01, 0x02}) +
         Bytes({0xB9}) + "enrolment" +     // Uri-Path 11: delta 11, length 9
         Bytes({0x11, 0x32}) +             // Content-Format 12: delta 1, value 50
         Bytes({0xD1, 0xF6}) + "3" +       // RVI 271: delta 259 -> 13 + 246
         Bytes({0x82}) + "C1" +            // FR 279: delta 8
         Bytes({0x42}) + "r1" +            // RQI 283: delta 4
         Bytes({0xFF}) + "{}";
}

// The piggy-backed answer (TS-0008 6.3.1; RSC 2001 -> 2.01 by table 6.2.4-1): ACK 2.01, same MID
// and token, Content-Format 50, RVI "3", RQI "r1", RSC 2001 (307, uint 0x07D1), payload {"a":1}.
std::string V3_9Answer() {
  return Bytes({0x62, 0x41, 0x12, 0x34, 0x01, 0x02}) +
         Bytes({0xC1, 0x32}) +                   // Content-Format 12
         Bytes({0xD1, 0xF6}) + "3" +             // RVI 271: delta 259
         Bytes({0xC2}) + "r1" +                  // RQI 283: delta 12
         Bytes({0xD2, 0x0B, 0x07, 0xD1}) +       // RSC 307: delta 24 -> 13 + 11, length 2
         Bytes({0xFF}) + "{\"a\":1}";
}

TEST(Ts0008WireTest, ParsesRequestWithTable6_2_2_4_0_1Numbers) {
  absl::StatusOr<CoapMessage> m = ParseDatagram(V3_9Request());
  ASSERT_TRUE(m.ok()) << m.status();
  EXPECT_EQ(m->onem2m_from, "C1");
  EXPECT_EQ(m->onem2m_request_id, "r1");
  EXPECT_EQ(m->onem2m_rvi, "3");
  EXPECT_EQ(m->numbering, OptionNumbering::kTs0008V3_9);
  EXPECT_EQ(m->uri_path, std::vector<std::string>{"enrolment"});
  EXPECT_EQ(m->payload, "{}");
}

TEST(Ts0008WireTest, SerializesRequestAndAnswerToTheHandEncodedBytes) {
  CoapMessage request = MakeConfirmablePost(0x1234, Bytes({1, 2}), {"enrolment"});
  request.onem2m_rvi = "3";
  request.onem2m_from = "C1";
  request.onem2m_request_id = "r1";
  request.payload = "{}";
  EXPECT_EQ(*SerializeMessage(request), V3_9Request());

  CoapMessage answer = MakeResponse(request, kCodeCreated, 0);
  answer.content_format = kContentFormatJson;
  answer.onem2m_rvi = "3";
  answer.onem2m_request_id = "r1";
  answer.onem2m_rsc = 2001;
  answer.payload = "{\"a\":1}";
  EXPECT_EQ(*SerializeMessage(answer), V3_9Answer());
  absl::StatusOr<CoapMessage> back = ParseDatagram(V3_9Answer());
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(back->onem2m_rsc, 2001u);
}

// Clause 6.2.2.4: every option of the table is recognised, within its length range accepted, and
// outside it refused with 4.02 (RFC 7252 5.4.3: a recognised option of the wrong length is
// treated like an unrecognised one, and all these are critical).
TEST(Ts0008WireTest, EveryTableOptionIsValidatedByItsLength) {
  for (const Row& row : kTs0008Table) {
    SCOPED_TRACE(row.name);
    EXPECT_EQ(row.number & 1, 1) << "table 6.2.2.4.0-1 marks every option Critical";
    const char fill = row.is_uint ? '\x01' : 'a';
    for (size_t len : {row.min_len, row.max_len}) {
      absl::StatusOr<CoapMessage> m = ParseDatagram(OneOption(row.number, std::string(len, fill)),
                                                    CoapLimits{1024, 1280});
      EXPECT_TRUE(m.ok()) << len << ": " << m.status();
    }
    absl::StatusOr<CoapMessage> over =
        ParseDatagram(OneOption(row.number, std::string(row.max_len + 1, fill)));
    ASSERT_FALSE(over.ok());
    EXPECT_EQ(CoapCodeForParseError(over.status()), kCodeBadOption) << over.status();
    if (row.min_len > 0) {
      absl::StatusOr<CoapMessage> under =
          ParseDatagram(OneOption(row.number, std::string(row.min_len - 1, fill)));
      ASSERT_FALSE(under.ok());
      EXPECT_EQ(CoapCodeForParseError(under.status()), kCodeBadOption);
    }
  }
}

// Table 6.2.2.4.0-1 marks no option Repeatable (RFC 7252 5.4.5).
TEST(Ts0008WireTest, RepeatedTableOptionIsBadOption) {
  std::string d = OneOption(283, "r1") + Bytes({0x02}) + "r2";  // RQI twice (delta 0)
  absl::StatusOr<CoapMessage> m = ParseDatagram(d);
  ASSERT_FALSE(m.ok());
  EXPECT_EQ(CoapCodeForParseError(m.status()), kCodeBadOption);
}

TEST(Ts0008WireTest, StringOptionWithControlCharacterIsBadOption) {
  absl::StatusOr<CoapMessage> m = ParseDatagram(OneOption(279, std::string("C\n1")));
  ASSERT_FALSE(m.ok());
  EXPECT_EQ(CoapCodeForParseError(m.status()), kCodeBadOption);
}

// The pre-V3.7 numbers: RQI 257 and RSC 265 are odd, hence critical and unknown to a V3.9
// receiver: 4.02 (RFC 7252 5.4.1). FR 256 is even (elective) and simply skipped.
TEST(Ts0008WireTest, LegacyNumbersAreUnknownWithoutTheSwitch) {
  for (uint16_t n : {257, 265}) {
    absl::StatusOr<CoapMessage> m = ParseDatagram(OneOption(n, "x"));
    ASSERT_FALSE(m.ok());
    EXPECT_EQ(m.status().code(), absl::StatusCode::kUnimplemented);
    EXPECT_EQ(CoapCodeForParseError(m.status()), kCodeBadOption);
  }
  absl::StatusOr<CoapMessage> fr = ParseDatagram(OneOption(256, "C1"));
  ASSERT_TRUE(fr.ok());
  EXPECT_FALSE(fr->onem2m_from.has_value());
}

// Old firmware: CON POST, Uri-Path "enrolment", Content-Format 50, FR "C1" (256), RQI "r1" (257).
TEST(Ts0008WireTest, LegacySwitchAcceptsOldNumbersAndAnswersInThem) {
  const std::string old = Bytes({0x42, 0x02, 0x12, 0x34, 0x01, 0x02, 0xB9}) + "enrolment" +
                          Bytes({0x11, 0x32}) + Bytes({0xD2, 0xE7}) + "C1" +  // FR 256: delta 244
                          Bytes({0x12}) + "r1" +                              // RQI 257: delta 1
                          Bytes({0xFF}) + "{}";
  absl::StatusOr<CoapMessage> m = ParseDatagram(old, CoapLimits(), /*allow_legacy_numbers=*/true);
  ASSERT_TRUE(m.ok()) << m.status();
  EXPECT_EQ(m->numbering, OptionNumbering::kLegacy);
  EXPECT_EQ(m->onem2m_from, "C1");
  EXPECT_EQ(m->onem2m_request_id, "r1");

  CoapMessage answer = MakeResponse(*m, kCodeCreated, 0);
  answer.onem2m_request_id = "r1";
  answer.onem2m_rsc = 2001;
  answer.onem2m_rvi = "3";
  // RQI 257: delta 257 -> 13 + 244; RSC 265: delta 8, 0x07D1; RVI 271 (same in both): delta 6.
  EXPECT_EQ(*SerializeMessage(answer), Bytes({0x62, 0x41, 0x12, 0x34, 0x01, 0x02}) +
                                           Bytes({0xD2, 0xF4}) + "r1" +
                                           Bytes({0x82, 0x07, 0xD1}) + Bytes({0x61}) + "3");

  // The V3.9 request still parses with the switch on, in the V3.9 numbering.
  absl::StatusOr<CoapMessage> v39 = ParseDatagram(V3_9Request(), CoapLimits(), true);
  ASSERT_TRUE(v39.ok());
  EXPECT_EQ(v39->numbering, OptionNumbering::kTs0008V3_9);
}

TEST(Ts0008WireTest, MixedNumberingsAreBadOption) {
  // FR 256 (legacy) then RQI 283 (V3.9): delta 27 -> 13 + 14.
  std::string d = OneOption(256, "C1") + Bytes({0xD2, 14}) + "r1";
  absl::StatusOr<CoapMessage> m = ParseDatagram(d, CoapLimits(), true);
  ASSERT_FALSE(m.ok());
  EXPECT_EQ(CoapCodeForParseError(m.status()), kCodeBadOption);
}

TEST(Ts0008WireTest, UnknownCriticalStillBadOptionUnknownElectiveSkipped) {
  absl::StatusOr<CoapMessage> critical = ParseDatagram(OneOption(341, "x"));
  ASSERT_FALSE(critical.ok());
  EXPECT_EQ(CoapCodeForParseError(critical.status()), kCodeBadOption);
  EXPECT_TRUE(ParseDatagram(OneOption(342, "x")).ok());
}

}  // namespace
}  // namespace coap
}  // namespace onem2m

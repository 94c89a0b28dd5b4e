// Feeds thousands of random and mutated datagrams to ParseDatagram and PeekHeader and checks that
// nothing crashes and that whatever parses also serialises and parses back the same. Deterministic
// seed.
#include <random>
#include <string>

#include "common/coap/builders.h"
#include "common/coap/parser.h"
#include "common/coap/serializer.h"
#include "gtest/gtest.h"

namespace onem2m {
namespace coap {
namespace {

std::string Seed() {
  CoapMessage m = MakeConfirmablePost(0x1234, "tk", {"maf", "keys"});
  m.onem2m_from = "C1";
  m.onem2m_request_id = "r1";
  m.payload = "{\"keyID\":\"A@maf\"}";
  return *SerializeMessage(m);
}

TEST(CoapFuzzTest, RandomAndMutatedDatagramsNeverCrash) {
  std::mt19937 rng(7252);
  const std::string seed = Seed();
  int parsed = 0;
  for (int i = 0; i < 5000; ++i) {
    std::string d;
    if (i % 3 == 0) {
      d.resize(rng() % 64);
      for (char& c : d) c = static_cast<char>(rng() & 0xff);
      if (!d.empty()) d[0] = static_cast<char>(0x40 | (d[0] & 0x3f));  // mostly version 1
    } else {
      d = seed;
      const int rounds = 1 + rng() % 4;
      for (int r = 0; r < rounds; ++r) {
        const size_t pos = rng() % d.size();
        switch (rng() % 3) {
          case 0:
            d[pos] = static_cast<char>(rng() & 0xff);
            break;
          case 1:
            d.insert(pos, 1, static_cast<char>(rng() & 0xff));
            break;
          default:
            d.resize(pos == 0 ? 1 : pos);
            break;
        }
      }
    }
    (void)PeekHeader(d);
    // With the legacy switch on (both numberings accepted), a parsed message round-trips too.
    absl::StatusOr<CoapMessage> legacy = ParseDatagram(d, CoapLimits(), true);
    if (legacy.ok()) {
      absl::StatusOr<std::string> out = SerializeMessage(*legacy);
      ASSERT_TRUE(out.ok()) << out.status();
      absl::StatusOr<CoapMessage> in = ParseDatagram(*out, CoapLimits(), true);
      ASSERT_TRUE(in.ok()) << in.status();
      EXPECT_EQ(in->onem2m_request_id, legacy->onem2m_request_id);
      EXPECT_EQ(in->onem2m_rsc, legacy->onem2m_rsc);
    }
    absl::StatusOr<CoapMessage> m = ParseDatagram(d);
    if (!m.ok()) continue;
    ++parsed;
    absl::StatusOr<std::string> again = SerializeMessage(*m);
    ASSERT_TRUE(again.ok()) << again.status();
    absl::StatusOr<CoapMessage> back = ParseDatagram(*again);
    ASSERT_TRUE(back.ok()) << back.status();
    EXPECT_EQ(back->payload, m->payload);
    EXPECT_EQ(back->uri_path, m->uri_path);
    EXPECT_EQ(back->token, m->token);
  }
  EXPECT_GT(parsed, 100);
}

}  // namespace
}  // namespace coap
}  // namespace onem2m

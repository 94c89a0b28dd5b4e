// Feeds thousands of random and mutated inputs to both parsers, split at random points, and checks
// only that nothing crashes and that results stay consistent. Deterministic seed.
#include <random>
#include <string>
#include <vector>

#include "common/http/request_parser.h"
#include "common/http/response_parser.h"
#include "gtest/gtest.h"

namespace onem2m {
namespace http {
namespace {

const std::vector<std::string>& Seeds() {
  static const auto* seeds = new std::vector<std::string>{
      "POST /enrolment HTTP/1.1\r\nHost: m\r\nX-M2M-Origin: C1\r\nX-M2M-RI: 1\r\n"
      "Content-Type: application/json\r\nContent-Length: 2\r\n\r\n{}",
      "GET / HTTP/1.1\r\n\r\n",
      "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n1\r\na\r\n0\r\n\r\n",
      "HTTP/1.1 201 Created\r\nX-M2M-RSC: 2001\r\nContent-Length: 2\r\n\r\n{}",
      "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nab\r\n0\r\n\r\n",
  };
  return *seeds;
}

std::string Mutate(std::mt19937* rng, std::string s) {
  std::uniform_int_distribution<int> op(0, 4);
  std::uniform_int_distribution<int> byte(0, 255);
  const int rounds = 1 + (*rng)() % 8;
  for (int i = 0; i < rounds; ++i) {
    const size_t pos = s.empty() ? 0 : (*rng)() % s.size();
    switch (op(*rng)) {
      case 0:
        if (!s.empty()) s[pos] = static_cast<char>(byte(*rng));
        break;
      case 1:
        s.insert(pos, 1, static_cast<char>(byte(*rng)));
        break;
      case 2:
        if (!s.empty()) s.erase(pos, 1 + (*rng)() % 4);
        break;
      case 3:
        s.insert(pos, std::string(1 + (*rng)() % 300, "\r\n:a0 "[(*rng)() % 6]));
        break;
      default:
        s = s.substr(0, pos);
        break;
    }
  }
  return s;
}

std::string Random(std::mt19937* rng) {
  std::string s(static_cast<size_t>((*rng)() % 512), '\0');
  for (char& c : s) c = static_cast<char>((*rng)() & 0xff);
  return s;
}

template <typename Parser>
void FeedInPieces(std::mt19937* rng, const std::string& input, Parser* parser) {
  size_t pos = 0;
  while (pos < input.size()) {
    const size_t len = 1 + (*rng)() % 64;
    absl::StatusOr<FeedResult> r = parser->Feed(absl::string_view(input).substr(pos, len));
    if (!r.ok()) return;
    ASSERT_LE(r->consumed, len);
    if (r->state == ParseState::kComplete) return;
    pos += len;
  }
}

TEST(HttpFuzzTest, RandomAndMutatedInputsNeverCrash) {
  std::mt19937 rng(20240601);
  for (int i = 0; i < 5000; ++i) {
    const std::string input =
        i % 3 == 0 ? Random(&rng) : Mutate(&rng, Seeds()[rng() % Seeds().size()]);
    RequestParser request_parser(HttpLimits{512, 1024});
    FeedInPieces(&rng, input, &request_parser);
    (void)request_parser.TakeRequest();
    ResponseParser response_parser(HttpLimits{512, 1024});
    FeedInPieces(&rng, input, &response_parser);
    (void)response_parser.FinishAtEof();
    (void)response_parser.TakeResponse();
  }
}

}  // namespace
}  // namespace http
}  // namespace onem2m

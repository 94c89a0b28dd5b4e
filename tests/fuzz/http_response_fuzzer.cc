// libFuzzer target: the HTTP/1.1 response parser (common/http/response_parser.h) fed in chunks,
// then told the stream ended (responses without a length end at EOF).
#include <cstddef>
#include <cstdint>

#include "absl/strings/string_view.h"
#include "common/http/response_parser.h"
#include "common/http/serializer.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const size_t chunk = 1 + data[0] % 64;
  absl::string_view rest(reinterpret_cast<const char*>(data + 1), size - 1);
  onem2m::http::HttpLimits limits;
  limits.max_header_bytes = 2048;
  limits.max_body_bytes = 4096;
  onem2m::http::ResponseParser parser(limits);
  bool complete = false;
  while (!rest.empty()) {
    absl::string_view piece = rest.substr(0, chunk);
    absl::StatusOr<onem2m::http::FeedResult> r = parser.Feed(piece);
    if (!r.ok()) return 0;
    if (r->consumed > piece.size()) __builtin_trap();
    rest.remove_prefix(r->consumed);
    if (r->state == onem2m::http::ParseState::kComplete) {
      complete = true;
      break;
    }
    if (r->consumed == 0) break;
  }
  if (!complete) {
    absl::StatusOr<onem2m::http::FeedResult> r = parser.FinishAtEof();
    if (!r.ok() || r->state != onem2m::http::ParseState::kComplete) return 0;
  }
  absl::StatusOr<onem2m::http::HttpResponse> resp = parser.TakeResponse();
  if (resp.ok()) (void)onem2m::http::SerializeResponse(*resp);
  return 0;
}

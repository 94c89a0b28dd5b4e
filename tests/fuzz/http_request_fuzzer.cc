// libFuzzer target: the HTTP/1.1 request parser (common/http/request_parser.h) fed the input in
// chunks whose size comes from the first byte, as a TLS record stream would deliver it, plus
// pipelined requests after the first. Any crash or sanitizer report is a bug.
#include <cstddef>
#include <cstdint>
#include <string>

#include "absl/strings/string_view.h"
#include "common/http/request_parser.h"
#include "common/http/serializer.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const size_t chunk = 1 + data[0] % 64;
  absl::string_view rest(reinterpret_cast<const char*>(data + 1), size - 1);
  onem2m::http::HttpLimits limits;
  limits.max_header_bytes = 2048;  // small limits so the fuzzer reaches the limit paths
  limits.max_body_bytes = 4096;
  onem2m::http::RequestParser parser(limits);
  while (!rest.empty()) {
    absl::string_view piece = rest.substr(0, chunk);
    absl::StatusOr<onem2m::http::FeedResult> r = parser.Feed(piece);
    if (!r.ok()) {
      (void)parser.error_http_status();
      return 0;
    }
    if (r->consumed > piece.size()) __builtin_trap();  // the parser may not claim unread bytes
    rest.remove_prefix(r->consumed);
    if (r->state == onem2m::http::ParseState::kComplete) {
      absl::StatusOr<onem2m::http::HttpRequest> req = parser.TakeRequest();
      if (req.ok()) (void)onem2m::http::SerializeRequest(*req);
      parser.Reset();
    } else if (r->consumed == 0) {
      break;
    }
  }
  return 0;
}

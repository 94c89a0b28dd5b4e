#include "common/http/http_message.h"

#include "absl/strings/match.h"

namespace onem2m {
namespace http {

const std::string* FindHeader(const std::vector<HttpHeader>& headers, absl::string_view name) {
  for (const HttpHeader& h : headers) {
    if (absl::EqualsIgnoreCase(h.name, name)) return &h.value;
  }
  return nullptr;
}

size_t CountHeader(const std::vector<HttpHeader>& headers, absl::string_view name) {
  size_t n = 0;
  for (const HttpHeader& h : headers) {
    if (absl::EqualsIgnoreCase(h.name, name)) ++n;
  }
  return n;
}

}  // namespace http
}  // namespace onem2m

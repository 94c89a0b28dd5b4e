#include "common/http/serializer.h"

#include <http_parser.h>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"

namespace onem2m {
namespace http {
namespace {

// IsTokenChar follows RFC 9110 5.6.2 tchar.
bool IsTokenChar(char c) {
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) return true;
  return absl::string_view("!#$%&'*+-.^_`|~").find(c) != absl::string_view::npos;
}

bool IsToken(absl::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    if (!IsTokenChar(c)) return false;
  }
  return true;
}

// IsFieldValue refuses control characters other than horizontal tab, so no value can inject a
// header or end the head early.
bool IsFieldValue(absl::string_view s) {
  for (char c : s) {
    const unsigned char u = static_cast<unsigned char>(c);
    if ((u < 0x20 && c != '\t') || u == 0x7f) return false;
  }
  return true;
}

absl::Status AppendHeaders(const std::vector<HttpHeader>& headers, size_t body_len,
                           std::string* out) {
  for (const HttpHeader& h : headers) {
    if (!IsToken(h.name)) {
      return absl::InvalidArgumentError(absl::StrCat("invalid HTTP header name \"",
                                                     absl::CHexEscape(h.name), "\""));
    }
    if (absl::EqualsIgnoreCase(h.name, "Content-Length") ||
        absl::EqualsIgnoreCase(h.name, "Transfer-Encoding")) {
      return absl::InvalidArgumentError(
          absl::StrCat("header ", h.name, " is written by the serializer"));
    }
    if (!IsFieldValue(h.value)) {
      return absl::InvalidArgumentError(
          absl::StrCat("invalid characters in the value of HTTP header ", h.name));
    }
    absl::StrAppend(out, h.name, ": ", h.value, "\r\n");
  }
  absl::StrAppend(out, "Content-Length: ", body_len, "\r\n\r\n");
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::string> SerializeRequest(const HttpRequest& request) {
  if (!IsToken(request.method)) {
    return absl::InvalidArgumentError("invalid HTTP method");
  }
  if (request.target.empty() || request.target[0] != '/') {
    return absl::InvalidArgumentError("HTTP request target must start with '/'");
  }
  for (char c : request.target) {
    const unsigned char u = static_cast<unsigned char>(c);
    if (u <= 0x20 || u >= 0x7f) {
      return absl::InvalidArgumentError(
          "HTTP request target contains a space, control or non-ASCII character");
    }
  }
  std::string out = absl::StrCat(request.method, " ", request.target, " HTTP/1.1\r\n");
  absl::Status s = AppendHeaders(request.headers, request.body.size(), &out);
  if (!s.ok()) return s;
  out.append(request.body);
  return out;
}

absl::StatusOr<std::string> SerializeResponse(const HttpResponse& response) {
  if (response.status < 100 || response.status > 599) {
    return absl::InvalidArgumentError(
        absl::StrCat("HTTP status ", response.status, " is outside 100..599"));
  }
  if (response.omit_reason && !response.reason.empty()) {
    return absl::InvalidArgumentError("omit_reason with a reason phrase");
  }
  absl::string_view reason = response.reason;
  if (reason.empty() && !response.omit_reason) {
    reason = http_status_str(static_cast<http_status>(response.status));
    if (reason == "<unknown>") reason = "Unknown";
  }
  if (!IsFieldValue(reason)) {
    return absl::InvalidArgumentError("invalid characters in the HTTP reason phrase");
  }
  std::string out = absl::StrCat("HTTP/1.1 ", response.status, " ", reason, "\r\n");
  absl::Status s = AppendHeaders(response.headers, response.body.size(), &out);
  if (!s.ok()) return s;
  out.append(response.body);
  return out;
}

}  // namespace http
}  // namespace onem2m

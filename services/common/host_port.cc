#include "services/common/host_port.h"

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace onem2m::services {

absl::StatusOr<HostPort> SplitHostPort(absl::string_view text) {
  const size_t colon = text.rfind(':');
  HostPort out;
  if (colon == absl::string_view::npos || !absl::SimpleAtoi(text.substr(colon + 1), &out.port) ||
      out.port < 1 || out.port > 65535) {
    return absl::InvalidArgumentError(absl::StrCat("'", text, "' is not host:port"));
  }
  absl::string_view host = text.substr(0, colon);
  if (host.size() > 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  if (host.empty() || host == "[]") {
    return absl::InvalidArgumentError(absl::StrCat("'", text, "' has no host"));
  }
  out.host = std::string(host);
  return out;
}

}  // namespace onem2m::services

// File: services/common/host_port.h
//
// SplitHostPort reads the "host:port" a client CLI is pointed at (the enrolee's --mef and --maf),
// where host may be a DNS name, an IPv4 address or an IPv6 address in brackets. Unlike
// net::ParseHostPort (listeners, numeric only) it does not resolve or check the host.
//
//   absl::StatusOr<HostPort> hp = SplitHostPort("[fd00::1]:8443");  // {"fd00::1", 8443}
#ifndef ONEM2M_SERVICES_COMMON_HOST_PORT_H_
#define ONEM2M_SERVICES_COMMON_HOST_PORT_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace onem2m::services {

struct HostPort {
  std::string host;  // without brackets
  int port = 0;
};

// SplitHostPort splits at the last ':'; brackets around the host are removed. kInvalidArgument
// when there is no ':', the host is empty, or the port is not a number in 1..65535.
absl::StatusOr<HostPort> SplitHostPort(absl::string_view text);

}  // namespace onem2m::services

#endif  // ONEM2M_SERVICES_COMMON_HOST_PORT_H_

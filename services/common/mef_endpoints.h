// File: services/common/mef_endpoints.h
//
// The MAF reaches each MEF named after '@' in a KeID through one gRPC channel (docs/protocol.md
// 6-7). ParseMefEndpoints reads the --mef_endpoints list that maps MEF-FQDNs to gRPC targets:
//
//   mef.example.com=mef-credential.example.com:9443            host:port (name or address)
//   mef.example.com=dns:///mef-credential-headless:9443        every address the name resolves to,
//                                                              round robin (a headless Service)
//   mef.example.com=10.0.0.1:9443|10.0.0.2:9443                fixed replicas (numeric; IPv6 in
//   mef.example.com=[fd00::1]:9443|[fd00::2]:9443              brackets), one balanced channel
//   mef.example.com=10.0.0.1:9443@mef-credential.example.com   @: the name the MEF's certificate
//                                                              carries when it is not the host
//
// Entries are comma-separated; each MEF-FQDN appears once (replicas are joined with '|').
#ifndef ONEM2M_SERVICES_COMMON_MEF_ENDPOINTS_H_
#define ONEM2M_SERVICES_COMMON_MEF_ENDPOINTS_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "services/common/option_error.h"

namespace onem2m::services {

// MefEndpoint is one parsed --mef_endpoints entry.
struct MefEndpoint {
  std::string mef_fqdn;  // the KeID suffix this endpoint serves (a valid FQDN)
  std::string target;    // gRPC target: "host:port", "dns:///...", "ipv4:a:1,b:2" or "ipv6:..."
  std::string tls_name;  // the name the MEF's certificate must carry; empty: the target's host
};

// ParseMefEndpoint reads one "mef_fqdn=target[@tls_name]" entry. Replicas "a:1|b:2" become the
// gRPC target "ipv4:a:1,b:2" (or "ipv6:[a]:1,[b]:2"), so one channel balances over them; each
// must be a numeric address (or localhost) with a port, all of one family. kInvalidArgument
// quoting the entry otherwise.
absl::StatusOr<MefEndpoint> ParseMefEndpoint(const std::string& entry);

// ParseMefEndpoints reads the whole --mef_endpoints value: at least one entry, each MEF-FQDN once.
// Errors name the option "mef_endpoints".
OptionOr<std::vector<MefEndpoint>> ParseMefEndpoints(const std::string& value);

}  // namespace onem2m::services

#endif  // ONEM2M_SERVICES_COMMON_MEF_ENDPOINTS_H_

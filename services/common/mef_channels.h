// File: services/common/mef_channels.h
//
// DialMefEndpoints opens the MAF's gRPC channel to each MEF of --mef_endpoints (mef_endpoints.h):
// mutual TLS with the MAF's own certificate, the channel arguments of the MAF's MEF client
// (maf::MefChannelArguments: round robin over replicas, fast reconnects, keepalive) plus the
// --mef_resolve_interval floor between DNS resolutions and the endpoint's certificate name.
// Channels connect lazily: dialling does not wait for a MEF.
//
//   std::map<std::string, std::shared_ptr<grpc::Channel>> channels = DialMefEndpoints(
//       endpoints, creds, maf::MefChannelArguments(), absl::Seconds(30));
#ifndef ONEM2M_SERVICES_COMMON_MEF_CHANNELS_H_
#define ONEM2M_SERVICES_COMMON_MEF_CHANNELS_H_

#include <grpcpp/grpcpp.h>

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "services/common/mef_endpoints.h"

namespace onem2m::services {

// MefChannelArgs returns `base` with GRPC_ARG_DNS_MIN_TIME_BETWEEN_RESOLUTIONS_MS set to
// `resolve_interval` (clamped to 0..INT32_MAX ms) and, when `endpoint.tls_name` is set, the SSL
// target name override. With a dns:/// target (a headless Service) gRPC resolves again whenever a
// connection closes, e.g. at the MEF's --grpc_max_connection_age, and so picks up new replicas.
grpc::ChannelArguments MefChannelArgs(grpc::ChannelArguments base, const MefEndpoint& endpoint,
                                      absl::Duration resolve_interval);

// DialMefEndpoints returns one channel per endpoint, keyed by its MEF-FQDN.
std::map<std::string, std::shared_ptr<grpc::Channel>> DialMefEndpoints(
    const std::vector<MefEndpoint>& endpoints,
    const std::shared_ptr<grpc::ChannelCredentials>& credentials,
    const grpc::ChannelArguments& base, absl::Duration resolve_interval);

}  // namespace onem2m::services

#endif  // ONEM2M_SERVICES_COMMON_MEF_CHANNELS_H_

#include "services/common/mef_channels.h"

#include <algorithm>
#include <cstdint>

namespace onem2m::services {

grpc::ChannelArguments MefChannelArgs(grpc::ChannelArguments base, const MefEndpoint& endpoint,
                                      absl::Duration resolve_interval) {
  base.SetInt(GRPC_ARG_DNS_MIN_TIME_BETWEEN_RESOLUTIONS_MS,
              static_cast<int>(
                  std::clamp<int64_t>(absl::ToInt64Milliseconds(resolve_interval), 0, INT32_MAX)));
  if (!endpoint.tls_name.empty()) base.SetSslTargetNameOverride(endpoint.tls_name);
  return base;
}

std::map<std::string, std::shared_ptr<grpc::Channel>> DialMefEndpoints(
    const std::vector<MefEndpoint>& endpoints,
    const std::shared_ptr<grpc::ChannelCredentials>& credentials,
    const grpc::ChannelArguments& base, absl::Duration resolve_interval) {
  std::map<std::string, std::shared_ptr<grpc::Channel>> channels;
  for (const MefEndpoint& ep : endpoints) {
    channels[ep.mef_fqdn] = grpc::CreateCustomChannel(ep.target, credentials,
                                                      MefChannelArgs(base, ep, resolve_interval));
  }
  return channels;
}

}  // namespace onem2m::services

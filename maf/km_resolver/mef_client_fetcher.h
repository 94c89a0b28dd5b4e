// File: maf/km_resolver/mef_client_fetcher.h
//
// MefClientFetcher adapts mef::MefCredentialClient (gRPC FetchCredential with retries of
// UNAVAILABLE until the deadline) to the resolver's MefFetcher interface. One per configured MEF.
//
//   auto creds = onem2m::grpcutil::MakeChannelCredentials(maf_tls);
//   o.fetchers["mef.example.com"] = std::make_shared<MefClientFetcher>(
//       grpc::CreateChannel("mef-1.internal:9443", *creds), "maf.example.com");
#ifndef ONEM2M_MAF_KM_RESOLVER_MEF_CLIENT_FETCHER_H_
#define ONEM2M_MAF_KM_RESOLVER_MEF_CLIENT_FETCHER_H_

#include <grpcpp/grpcpp.h>

#include <memory>
#include <string>

#include "maf/km_resolver/mef_fetcher.h"
#include "mef/credential/credential_client.h"

namespace onem2m {
namespace maf {

class MefClientFetcher final : public MefFetcher {
 public:
  // `channel` must carry this MAF's mTLS client certificate; `maf_fqdn` is checked against the
  // MAF-ID the MEF says Km was derived for (a mismatch is kInternal: never use such a Km).
  MefClientFetcher(std::shared_ptr<grpc::ChannelInterface> channel, std::string maf_fqdn)
      : client_(std::move(channel)), maf_fqdn_(std::move(maf_fqdn)) {}

  // MefFetcher:
  absl::StatusOr<FetchedCredential> Fetch(absl::string_view ke_id, absl::Time deadline) override;

 private:
  mef::MefCredentialClient client_;
  const std::string maf_fqdn_;
};

}  // namespace maf
}  // namespace onem2m

#endif  // ONEM2M_MAF_KM_RESOLVER_MEF_CLIENT_FETCHER_H_

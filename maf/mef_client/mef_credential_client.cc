#include "maf/mef_client/mef_credential_client.h"

#include <algorithm>
#include <utility>

#include "absl/strings/match.h"
#include "common/grpc/mtls.h"

namespace onem2m {
namespace maf {
namespace {

namespace v1 = ::onem2m::rsp::v1;

constexpr uint32_t kSuid = 21;  // docs/protocol.md section 5
constexpr size_t kKmLen = 32;

absl::Time FromProto(const google::protobuf::Timestamp& t) {
  return absl::FromUnixSeconds(t.seconds()) + absl::Nanoseconds(t.nanos());
}

}  // namespace

grpc::ChannelArguments MefChannelArguments() {
  grpc::ChannelArguments args;
  args.SetServiceConfigJSON(R"({"loadBalancingConfig": [{"round_robin": {}}],)"
                            R"( "healthCheckConfig": {"serviceName": ""}})");
  args.SetInt(GRPC_ARG_INITIAL_RECONNECT_BACKOFF_MS, 100);
  // gRPC also uses the minimum reconnect backoff as the connection attempt's timeout: 1 s leaves a
  // loaded MEF time for the mTLS handshake, while attempts still start every 100..300 ms.
  args.SetInt(GRPC_ARG_MIN_RECONNECT_BACKOFF_MS, 1000);
  args.SetInt(GRPC_ARG_MAX_RECONNECT_BACKOFF_MS, 300);
  args.SetInt(GRPC_ARG_KEEPALIVE_TIME_MS, 10000);
  args.SetInt(GRPC_ARG_KEEPALIVE_TIMEOUT_MS, 5000);
  args.SetInt(GRPC_ARG_KEEPALIVE_PERMIT_WITHOUT_CALLS, 1);
  return args;
}

MefCredentialClient::MefCredentialClient(std::shared_ptr<grpc::ChannelInterface> channel,
                                         std::string maf_fqdn, Backoff backoff)
    : channel_(channel),
      stub_(v1::MefCredentialService::NewStub(std::move(channel))),
      maf_fqdn_(std::move(maf_fqdn)),
      backoff_(backoff) {}

bool MefCredentialClient::MefKnownDown() const {
  return channel_ != nullptr &&
         channel_->GetState(/*try_to_connect=*/true) == GRPC_CHANNEL_TRANSIENT_FAILURE;
}

absl::StatusOr<FetchedCredential> MefCredentialClient::Fetch(absl::string_view ke_id,
                                                             absl::Time deadline) {
  v1::FetchCredentialRequest request;
  request.set_ke_id(std::string(ke_id));
  request.set_suid(kSuid);
  absl::Status last = absl::DeadlineExceededError("deadline passed before the first attempt");
  for (int attempt = 0; absl::Now() < deadline; ++attempt) {
    if (MefKnownDown()) {
      // docs/protocol.md 7: while the MEF is unreachable first contacts fail fast.
      return absl::UnavailableError("MEF unreachable (no replica connected or healthy)");
    }
    grpc::ClientContext context;
    context.set_deadline(absl::ToChronoTime(deadline));
    v1::FetchCredentialResponse response;
    grpc::Status s = stub_->FetchCredential(&context, request, &response);
    if (s.ok()) {
      FetchedCredential out;
      out.km = SecretBytes::Copy(response.km());
      WipeString(response.mutable_km());
      if (out.km.size() != kKmLen || !absl::EqualsIgnoreCase(response.ke_id(), request.ke_id())) {
        return absl::InternalError("MEF answered a malformed credential");
      }
      if (response.maf_id() != maf_fqdn_) {
        return absl::InternalError("MEF returned a Km derived for another MAF-ID");
      }
      out.enrolee_id = response.enrolee_id();
      out.ke_id = response.ke_id();
      out.expires_at = FromProto(response.expires_at());
      return out;
    }
    last = grpcutil::FromGrpcStatus(s);
    if (s.error_code() != grpc::StatusCode::UNAVAILABLE || MefKnownDown()) return last;
    const absl::Duration wait = std::min(backoff_.Delay(attempt), deadline - absl::Now());
    if (wait > absl::ZeroDuration()) absl::SleepFor(wait);
  }
  return last;
}

}  // namespace maf
}  // namespace onem2m

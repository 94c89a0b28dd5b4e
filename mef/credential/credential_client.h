// File: mef/credential/credential_client.h
//
// MefCredentialClient is the MAF side of the credential fetch (PROTOCOL.md sections 6-7): it asks
// one MEF for Km by KeID (SUID 21) over a mutual-TLS gRPC channel, retrying UNAVAILABLE with
// jittered exponential backoff until the caller's deadline. Choosing the MEF (MEF-FQDN after '@'
// in the KeID -> endpoint) is the MAF's job: it keeps one client per configured MEF.
//
//   auto creds = onem2m::grpcutil::MakeChannelCredentials(tls);   // the MAF's own certificate
//   onem2m::mef::MefCredentialClient client(grpc::CreateChannel("mef-1:9443", *creds));
//   absl::StatusOr<onem2m::mef::FetchedCredential> c =
//       client.FetchCredential(ke_id, absl::Now() + absl::Seconds(2));
//   if (!c.ok()) return c.status();      // NOT_FOUND, PERMISSION_DENIED, DEADLINE_EXCEEDED, ...
//   // c->km is Km (32 bytes, wiping storage); the protobuf copy has already been wiped.
//
// Thread safety: FetchCredential may be called from many threads at once (one channel, HTTP/2
// multiplexing); a MAF should still single-flight fetches per KeID (PROTOCOL.md section 7).
#ifndef ONEM2M_MEF_CREDENTIAL_CREDENTIAL_CLIENT_H_
#define ONEM2M_MEF_CREDENTIAL_CREDENTIAL_CLIENT_H_

#include <grpcpp/grpcpp.h>

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "common/secret_bytes.h"
#include "proto/onem2m/rsp/v1/mef_credential.grpc.pb.h"

namespace onem2m {
namespace mef {

// FetchedCredential is a successful fetch.
struct FetchedCredential {
  SecretBytes km;          // Km, 32 bytes
  std::string enrolee_id;  // becomes the MAF Client ID
  std::string maf_id;      // the MAF-ID Km was derived for
  std::string ke_id;       // canonical KeID
  absl::Time expires_at;   // Km must not be used at or after this time
};

// Backoff is jittered exponential backoff: the n-th wait is uniform in
// [(1 - jitter) * d, d] with d = min(initial * multiplier^n, max).
struct Backoff {
  absl::Duration initial = absl::Milliseconds(50);
  absl::Duration max = absl::Seconds(2);
  double multiplier = 2.0;
  double jitter = 0.5;

  // Delay returns the wait before retry number `attempt` (0-based).
  absl::Duration Delay(int attempt) const;
};

class MefCredentialClient {
 public:
  // `channel` should carry the MAF's mTLS credentials (common/grpc/mtls.h).
  explicit MefCredentialClient(std::shared_ptr<grpc::ChannelInterface> channel,
                               Backoff backoff = {});

  // FetchCredential returns Km and its metadata for `ke_id`, or the MEF's status (see
  // mef_credential.proto); UNAVAILABLE is retried until `deadline`, after which the last error
  // (or DEADLINE_EXCEEDED) is returned. A malformed answer (Km not 32 bytes, another KeID) is
  // kInternal.
  absl::StatusOr<FetchedCredential> FetchCredential(absl::string_view ke_id, absl::Time deadline);

 private:
  std::unique_ptr<rsp::v1::MefCredentialService::Stub> stub_;
  const Backoff backoff_;
};

}  // namespace mef
}  // namespace onem2m

#endif  // ONEM2M_MEF_CREDENTIAL_CREDENTIAL_CLIENT_H_

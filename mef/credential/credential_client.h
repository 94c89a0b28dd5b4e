// File: mef/credential/credential_client.h
//
// MefCredentialClient is the MAF side of the credential fetch (docs/protocol.md sections 6-7): it asks
// one MEF for Km by KeID (SUID 21) over a mutual-TLS gRPC channel, retrying UNAVAILABLE with
// jittered exponential backoff until the caller's deadline, except while the MEF is known to be
// down (fail fast; see MefChannelArguments for the channel that makes "known down" timely). Choosing the MEF (MEF-FQDN after '@'
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
// multiplexing); a MAF should still single-flight fetches per KeID (docs/protocol.md section 7).
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

// MefChannelArguments returns the arguments for a MAF's channel to one MEF (its replicas), tuned
// so first contacts fail fast while the MEF is down and resume within a second of its return
// (docs/protocol.md 7):
//   - round_robin over the replicas with client-side health checking (grpc.health.v1, which every
//     service serves; a draining MEF reports NOT_SERVING), so a dead or draining replica is left
//     out and the channel is in TRANSIENT_FAILURE only when no replica can serve;
//   - reconnect backoff 100 ms growing to 300 ms (gRPC's default grows from 1 s to 120 s, which left
//     a MAF refusing first contacts for seconds after its MEF was back), each attempt allowed 1 s;
//   - keepalive pings every 10 s (5 s timeout), so a MEF that vanished without closing the
//     connection is noticed.
grpc::ChannelArguments MefChannelArguments();

class MefCredentialClient {
 public:
  // `channel` should carry the MAF's mTLS credentials (common/grpc/mtls.h).
  explicit MefCredentialClient(std::shared_ptr<grpc::ChannelInterface> channel,
                               Backoff backoff = {});

  // FetchCredential returns Km and its metadata for `ke_id`, or the MEF's status (see
  // mef_credential.proto). UNAVAILABLE from a MEF that is up (overloaded) is retried until
  // `deadline`, after which the last error (or DEADLINE_EXCEEDED) is returned; but while the
  // channel is in TRANSIENT_FAILURE (no replica reachable or healthy) it fails at once with
  // UNAVAILABLE, so no caller waits its full deadline for a MEF known to be down. A malformed
  // answer (Km not 32 bytes, another KeID) is kInternal.
  absl::StatusOr<FetchedCredential> FetchCredential(absl::string_view ke_id, absl::Time deadline);

 private:
  // MefKnownDown: the channel has no replica to send to (asks it to reconnect if idle).
  bool MefKnownDown() const;

  std::shared_ptr<grpc::ChannelInterface> channel_;
  std::unique_ptr<rsp::v1::MefCredentialService::Stub> stub_;
  const Backoff backoff_;
};

}  // namespace mef
}  // namespace onem2m

#endif  // ONEM2M_MEF_CREDENTIAL_CREDENTIAL_CLIENT_H_

// File: maf/mef_client/mef_credential_client.h
//
// MefCredentialClient is the MAF's client of one MEF's credential API (docs/protocol.md sections
// 6-7), and the KmResolver's production MefFetcher: it asks the MEF for Km by KeID (SUID 21) over a
// mutual-TLS gRPC channel, retrying UNAVAILABLE with jittered exponential backoff until the
// caller's deadline, except while the MEF is known to be down (fail fast; see MefChannelArguments
// for the channel that makes "known down" timely). Calls use gRPC's callback API and the wait
// between retries is a gRPC alarm, so no thread sleeps through a backoff (FetchAsync holds none;
// Fetch holds only its caller, waiting for the answer). A Km the MEF says it derived for another
// MAF-ID is refused. Choosing the MEF (MEF-FQDN after '@' in the KeID -> endpoint) is the MAF's
// job: it keeps one client per configured MEF.
//
//   auto creds = onem2m::grpcutil::MakeChannelCredentials(tls);   // the MAF's own certificate
//   ko.fetchers["mef.example.com"] = std::make_shared<onem2m::maf::MefCredentialClient>(
//       grpc::CreateCustomChannel("mef-1:9443", *creds, MefChannelArguments()), "maf.example.com");
//
// Thread safety: Fetch may be called from many threads at once (one channel, HTTP/2
// multiplexing); the KmResolver single-flights fetches per KeID (docs/protocol.md section 7).
#ifndef ONEM2M_MAF_MEF_CLIENT_MEF_CREDENTIAL_CLIENT_H_
#define ONEM2M_MAF_MEF_CLIENT_MEF_CREDENTIAL_CLIENT_H_

#include <grpcpp/grpcpp.h>

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "maf/km_resolver/mef_fetcher.h"
#include "maf/mef_client/backoff.h"
#include "proto/onem2m/rsp/v1/mef_credential.grpc.pb.h"

namespace onem2m {
namespace maf {

// MefChannelArguments returns the arguments for a MAF's channel to one MEF (its replicas), tuned
// so first contacts fail fast while the MEF is down and resume within a second of its return
// (docs/protocol.md 7):
//   - round_robin over the replicas with client-side health checking (grpc.health.v1, which every
//     service serves; a draining MEF reports NOT_SERVING), so a dead or draining replica is left
//     out and the channel is in TRANSIENT_FAILURE only when no replica can serve;
//   - reconnect backoff 100 ms growing to 300 ms (gRPC's default grows from 1 s to 120 s, which
//   left
//     a MAF refusing first contacts for seconds after its MEF was back), each attempt allowed 1 s;
//   - keepalive pings every 10 s (5 s timeout), so a MEF that vanished without closing the
//     connection is noticed.
grpc::ChannelArguments MefChannelArguments();

class MefCredentialClient final : public MefFetcher {
 public:
  // `channel` should carry the MAF's mTLS credentials (common/grpc/mtls.h).
  // `channel` should carry the MAF's mTLS credentials (common/grpc/mtls.h); `maf_fqdn` is checked
  // against the MAF-ID the MEF says Km was derived for.
  MefCredentialClient(std::shared_ptr<grpc::ChannelInterface> channel, std::string maf_fqdn,
                      Backoff backoff = {});

  // MefFetcher: Km and its metadata for `ke_id`, or the MEF's status (see mef_credential.proto).
  // UNAVAILABLE from a MEF that is up (overloaded) is retried until `deadline`, after which the
  // last error (or DEADLINE_EXCEEDED) is returned; but while the channel is in TRANSIENT_FAILURE
  // (no replica reachable or healthy) it fails at once with UNAVAILABLE, so no caller waits its
  // full deadline for a MEF known to be down. A malformed answer (Km not 32 bytes, another KeID,
  // another MAF-ID) is kInternal: such a Km is never used.
  absl::StatusOr<FetchedCredential> Fetch(const crypto::KeyId& ke_id, absl::Time deadline) override;

  // MefFetcher: Fetch answering through `done` (on a gRPC thread, or at once on this one when it
  // fails fast). Never blocks. The client must outlive the answer.
  void FetchAsync(const crypto::KeyId& ke_id, absl::Time deadline, FetchDone done) override;

 private:
  class Call;     // one FetchAsync: its attempts and the alarm between them
  class Attempt;  // one RPC of a Call

  // MefKnownDown: the channel has no replica to send to (asks it to reconnect if idle).
  bool MefKnownDown() const;

  std::shared_ptr<grpc::ChannelInterface> channel_;
  std::unique_ptr<rsp::v1::MefCredentialService::Stub> stub_;
  const std::string maf_fqdn_;
  const Backoff backoff_;
};

}  // namespace maf
}  // namespace onem2m

#endif  // ONEM2M_MAF_MEF_CLIENT_MEF_CREDENTIAL_CLIENT_H_

// File: mef/credential/credential_service.h
//
// MefCredentialServiceImpl is the MEF's key-distribution gRPC service (PROTOCOL.md section 6,
// proto/onem2m/rsp/v1/mef_credential.proto): MAF replicas fetch Km by KeID (SUID 21) and watch a
// stream of revocations. Serve it only on a mutual-TLS port (common/grpc/mtls.h): the caller's
// MAF-ID is the DNS name in its client certificate.
//
//   auto service = onem2m::mef::MefCredentialServiceImpl::Create(store, &ke_opener, {});
//   if (!service.ok()) return service.status();
//   grpc::ServerBuilder b;
//   b.AddListeningPort(addr, *onem2m::grpcutil::MakeServerCredentials(tls));
//   (*service)->Register(&b);   // the service and its fetch queues
//   std::unique_ptr<grpc::Server> server = b.BuildAndStart();
//   (*service)->Start();        // the fetch threads
//   ...
//   (*service)->Shutdown();   // first: open WatchRevocations streams end with UNAVAILABLE
//   server->Shutdown();
//   (*service)->Stop();       // last (or the destructor): the fetch threads end
//
// FetchCredential decision order (each step audited as "credential_fetch" with caller, ke_id,
// suid and outcome; never key bytes):
//   1. no DNS name in the client certificate          -> UNAUTHENTICATED ("unauthenticated")
//   2. ke_id not a strict KeID (common/crypto/key_id)  -> INVALID_ARGUMENT ("invalid")
//   3. suid != 21                                       -> INVALID_ARGUMENT ("invalid")
//   4. unknown, enrolment revoked, enrolee not active, expires_at or enrolee not_after reached
//                                                       -> NOT_FOUND, one message ("not_found")
//   5. caller's DNS names do not include the enrolment's maf_id
//                                                       -> PERMISSION_DENIED ("permission_denied")
//   6. open Ke (AAD = canonical KeID, see ke_opener.h), Km = DeriveKm(Ke, maf_id)  -> OK ("ok")
//   store unreachable at step 4 -> UNAVAILABLE ("unavailable"); Ke does not open -> INTERNAL.
//   Load shedding (audited "unavailable"): more than fetch_max_waiting calls waiting for the store
//   -> UNAVAILABLE at once; a valid call whose deadline passed while it waited ->
//   DEADLINE_EXCEEDED.
// Disclosure [documented choice]: NOT_FOUND is decided before the identity check, as the proto
// specifies, so a MAF holding a valid certificate of the deployment's CA can learn that a KeID it
// does not own is live (PERMISSION_DENIED). It learns nothing else (no Enrolee-ID, no MAF-ID), the
// attempt is audited, and KeIDs carry 128 random bits, so it cannot enumerate them. The reverse
// order would make wrong-MAF probes look like NOT_FOUND and hide misconfiguration from operators.
//
// The response's `expires_at` is min(enrolment expires_at, enrolee not_after): the earliest time
// the MEF will stop answering for this KeID, which is what the MAF must cache Km until.
//
// Secrets: Ke and Km live in SecretBytes (wiped). Km is copied into the response message, whose
// `km` is wiped when the call is done; the serialised copy in gRPC's send buffer is freed by gRPC
// without wiping, the limit of gRPC's message API (see common/secret_bytes.h "What it cannot
// protect").
//
// WatchRevocations: polls EnroleeStore::ListStateChangesSince every `watch_poll_interval` (default
// 100 ms, so a change reaches the MAF within ~poll interval + RTT, well under 1 s), maps entries to
// events for the caller's MAF-ID only (revocation_feed.h), sends a heartbeat every
// heartbeat_interval_ms (0 -> 250; 100..1000) carrying the cursor of the last entry scanned, and a
// first heartbeat at once (so a start_from_now client learns its cursor). Cursors beyond the
// store's latest seq (another MEF's history) are OUT_OF_RANGE; the store keeps the whole feed, so
// no cursor is ever too old. If the store fails the stream ends with UNAVAILABLE (heartbeats stop,
// so the MAF stops trusting cached Km, as the proto requires). Each open stream holds one gRPC sync
// thread; there are a handful of MAF replicas, so that is fine.
//
// Batches: FetchCredential runs on gRPC's completion-queue API through a UnaryBatcher
// (common/grpc/unary_batcher.h) with fetch_threads polling threads. Batches take turns: the calls
// that arrived during the previous read are read with one store query
// (EnroleeStore::GetEnrolmentsByKeIds); the turn then passes to the next batch while this one is
// answered, its audit records written with one write, and then its calls finished, so no call is
// answered before its audit record is out. No thread is woken per call.
//
// Thread safety: Register, Start and Stop are called once each, in that order; the rest may be
// called concurrently.
#ifndef ONEM2M_MEF_CREDENTIAL_CREDENTIAL_SERVICE_H_
#define ONEM2M_MEF_CREDENTIAL_CREDENTIAL_SERVICE_H_

#include <grpcpp/grpcpp.h>

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "absl/types/span.h"
#include "common/grpc/unary_batcher.h"
#include "mef/credential/credential_metrics.h"
#include "mef/credential/ke_opener.h"
#include "mef/credential/revocation_feed.h"
#include "mef/store/enrolee_store.h"
#include "proto/onem2m/rsp/v1/mef_credential.grpc.pb.h"

namespace onem2m {
namespace mef {

// kSuidRspfKeySharedWithMaf is the only SUID FetchCredential serves (PROTOCOL.md section 5).
inline constexpr uint32_t kSuidRspfKeySharedWithMaf = 21;

// kNotFoundMessage is the one message of every NOT_FOUND FetchCredential answer.
inline constexpr absl::string_view kNotFoundMessage = "no usable enrolment for this KeID";

class MefCredentialServiceImpl final
    : public rsp::v1::MefCredentialService::WithAsyncMethod_FetchCredential<
          rsp::v1::MefCredentialService::Service> {
 public:
  struct Options {
    // clock returns "now" for expiry checks; absl::Now when empty. Tests inject a fixed time.
    std::function<absl::Time()> clock;
    // metrics receives one OnFetch per FetchCredential; may be null. Not owned; must outlive.
    CredentialMetrics* metrics = nullptr;
    // watch_poll_interval is how often an open watch asks the store for new entries.
    absl::Duration watch_poll_interval = absl::Milliseconds(100);
    // watch_batch_limit is the page size of ListStateChangesSince.
    int watch_batch_limit = 1000;
    // fetch_threads poll FetchCredential calls; batches take turns reading (see "Batches"). Two
    // measured best on 2 shared cores (fetch_benchmark, 32 callers): 0.57 of the fastest empty
    // call, against 0.53 with one thread and 0.44 with three.
    int fetch_threads = 2;
    // fetch_batch bounds the calls answered with one store read.
    int fetch_batch = 128;
    // fetch_max_waiting bounds the calls waiting for their read; beyond it a fetch is refused at
    // once with UNAVAILABLE (audited), so a store that stops answering cannot pile up calls.
    int fetch_max_waiting = 10000;
  };

  // Create returns the service. `store` and `opener` are not owned and must outlive it.
  // InvalidArgument if either is null or an option is out of range (poll interval 1 ms..1 s).
  static absl::StatusOr<std::unique_ptr<MefCredentialServiceImpl>> Create(EnroleeStore* store,
                                                                          const KeOpener* opener,
                                                                          Options options);

  // Register adds the service and its FetchCredential queues to `builder` (before BuildAndStart).
  void Register(grpc::ServerBuilder* builder);
  // Start starts the fetch threads (after BuildAndStart).
  void Start();

  // Shutdown makes every open and future WatchRevocations return UNAVAILABLE within about one
  // poll interval. Call it before grpc::Server::Shutdown, which waits for handlers to return.
  void Shutdown();
  // Stop ends the fetch threads; call it after grpc::Server::Shutdown. The destructor calls it.
  void Stop();

  // MefCredentialService (see the file comment and the .proto). FetchCredential is served by the
  // fetch threads.
  grpc::Status WatchRevocations(grpc::ServerContext* context,
                                const rsp::v1::WatchRevocationsRequest* request,
                                grpc::ServerWriter<rsp::v1::RevocationEvent>* writer) override;

 private:
  MefCredentialServiceImpl(EnroleeStore* store, const KeOpener* opener, Options options);

  absl::Time Now() const { return options_.clock ? options_.clock() : absl::Now(); }

  // Check validates the request (steps 2 and 3 of the file comment): the parsed KeID and the SUID.
  static absl::Status Check(const absl::StatusOr<std::string>& ke_id, uint32_t suid);
  // Answer runs steps 4..6 on the store's answer for a caller with DNS names `names`; it sets
  // `*out_outcome` for the audit record.
  grpc::Status Answer(const std::vector<std::string>& names, const std::string& ke_id,
                      absl::StatusOr<EnrolmentView> view,
                      rsp::v1::FetchCredentialResponse* response, FetchOutcome* out_outcome);

  using FetchBatcher =
      grpcutil::UnaryBatcher<rsp::v1::FetchCredentialRequest, rsp::v1::FetchCredentialResponse>;
  // Fetch is one call's progress: who asked, what to audit, and its outcome once decided.
  struct Fetch {
    std::vector<std::string> names;
    // The canonical KeID when it parses (both what the store is asked and what the audit records,
    // so audit queries match); otherwise the raw KeID, truncated.
    std::string audited;
    bool valid = false;  // authenticated, and the KeID and SUID are well-formed
    FetchOutcome outcome = FetchOutcome::kError;
    grpc::Status status;
  };
  // Prepare runs steps 1 to 3 of the file comment for one call.
  static Fetch Prepare(FetchBatcher::Call* call);
  // FetchBatch answers the calls that arrived together (see "Batches" in the file comment); valid
  // calls already past their deadline get DEADLINE_EXCEEDED without a read.
  void FetchBatch(absl::Span<FetchBatcher::Call* const> batch, FetchBatcher::Turn* turn);
  // Overflow refuses calls beyond fetch_max_waiting with UNAVAILABLE.
  void Overflow(absl::Span<FetchBatcher::Call* const> calls);
  // Conclude writes the audit records of `calls`, counts them and finishes them.
  void Conclude(absl::Span<FetchBatcher::Call* const> calls, const std::vector<Fetch>& fetches,
                absl::Time start);

  // WaitForShutdown sleeps up to `d`; true if Shutdown was called.
  bool WaitForShutdown(absl::Duration d);

  EnroleeStore* const store_;
  const KeOpener* const opener_;
  const Options options_;
  EnroleeDirectory directory_;

  absl::Mutex mu_;
  bool shutting_down_ ABSL_GUARDED_BY(mu_) = false;
  // Last member: its threads call FetchBatch, so they stop before anything above is destroyed.
  FetchBatcher batcher_;
};

}  // namespace mef
}  // namespace onem2m

#endif  // ONEM2M_MEF_CREDENTIAL_CREDENTIAL_SERVICE_H_

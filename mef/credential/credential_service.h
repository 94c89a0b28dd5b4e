// File: mef/credential/credential_service.h
//
// MefCredentialServiceImpl is the MEF's key-distribution gRPC service (docs/protocol.md section 6,
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
// FetchCredential's decision (authorisation, revocation checks, derivation, audit record) is
// CredentialFetcher's (credential_fetcher.h), shared with the spec's HTTPS binding
// (spec_fetch_server.h); this service adds the gRPC plumbing and the batched store reads. SUID 21
// to the enrolee's MAF returns Km (10.3.2); another {Enrolment Target, SUID} the enrolee's record
// allows returns the 10.3.7 key in `credential`. Statuses map one to one (absl -> gRPC codes).
// Load shedding (audited "unavailable"): more than fetch_max_waiting calls waiting for the store
// -> UNAVAILABLE at once; a valid call whose deadline passed while it waited ->
// DEADLINE_EXCEEDED.
// The response's `expires_at` is min(enrolment expires_at, enrolee not_after): the earliest time
// the MEF will stop answering for this KeID, which is what the MAF must cache Km until.
// Disclosure: see credential_fetcher.h (NOT_FOUND is decided before the identity check).
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
// that arrived during the reads out are read with one store query
// (EnroleeStore::GetEnrolmentsByKeIds); the turn then passes to the next batch while this one is
// answered, its audit records written with one write, and then its calls finished, so no call is
// answered before its audit record is out. No thread is woken per call. Up to fetch_reads reads
// are out at once: a second batch does not wait for a slow read (on a loaded machine a 20-key
// read is out about 2 ms, mostly waiting for a CPU), yet starts only once fetch_overlap_min calls
// wait, so reads stay batched. Every read asks the store afresh: nothing is cached, so a
// revocation by another MEF replica sharing the database holds from its commit on.
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
#include "mef/credential/credential_fetcher.h"
#include "mef/credential/credential_metrics.h"
#include "mef/credential/ke_opener.h"
#include "mef/credential/revocation_feed.h"
#include "mef/store/enrolee_store.h"
#include "proto/onem2m/rsp/v1/mef_credential.grpc.pb.h"

namespace onem2m {
namespace mef {

class MefCredentialServiceImpl final
    : public rsp::v1::MefCredentialService::WithAsyncMethod_FetchCredential<
          rsp::v1::MefCredentialService::Service> {
 public:
  struct Options {
    // clock supplies "now" for expiry checks (common/time/clock.h); tests inject a FakeClock.
    // Not owned; must outlive the service.
    const Clock* clock = Clock::Real();
    // metrics receives one OnFetch per FetchCredential; may be null. Not owned; must outlive.
    CredentialMetrics* metrics = nullptr;
    // watch_poll_interval is how often an open watch asks the store for new entries.
    absl::Duration watch_poll_interval = absl::Milliseconds(100);
    // watch_batch_limit is the page size of ListStateChangesSince.
    int watch_batch_limit = 1000;
    // fetch_threads poll FetchCredential calls; batches take turns reading (see "Batches"). A
    // thread waits on each read out and one answers each batch, so with two reads out four keep
    // one or two polling (docs/performance.md, "fetch16").
    int fetch_threads = 4;
    // fetch_batch bounds the calls answered with one store read.
    int fetch_batch = 128;
    // fetch_reads bounds the store reads out at once; a read beyond the first starts only when
    // fetch_overlap_min calls wait for it (see "Batches"). Two reads, the second once four calls
    // wait, measured best with PostgreSQL on 2 shared cores (fetch_benchmark, 64 callers: 0.70 and
    // 0.74 of the fastest empty call, against 0.48 and 0.55 with one read and two threads).
    int fetch_reads = 2;
    int fetch_overlap_min = 4;
    // fetch_max_waiting bounds the calls waiting for their read; beyond it a fetch is refused at
    // once with UNAVAILABLE (audited), so a store that stops answering cannot pile up calls.
    int fetch_max_waiting = 10000;
  };

  // Create returns the service. `store` and `opener` are not owned and must outlive it.
  // InvalidArgument if either is null or an option is out of range (poll interval 1 ms..1 s).
  static absl::StatusOr<std::unique_ptr<MefCredentialServiceImpl>> Create(EnroleeStore* store,
                                                                          const KeOpener* opener,
                                                                          Options options);

  // fetcher is the decision path this service uses, for the HTTPS binding to share (same store,
  // opener, clock and metrics).
  CredentialFetcher* fetcher() { return &fetcher_; }

  // waiting_fetches counts the FetchCredential calls polled and waiting for a batch turn (tests).
  size_t waiting_fetches() const { return batcher_.waiting_calls(); }

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

  // Respond copies a decided OK fetch into the response message.
  static void Respond(const FetchResult& result, uint32_t suid,
                      rsp::v1::FetchCredentialResponse* response);

  using FetchBatcher =
      grpcutil::UnaryBatcher<rsp::v1::FetchCredentialRequest, rsp::v1::FetchCredentialResponse>;
  // Fetch is one call's progress: what was asked and, once decided, the answer.
  struct Fetch {
    FetchAsk ask;
    FetchResult result;
  };
  // Prepare reads one call's request and caller and runs CredentialFetcher::Prepare.
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
  const Options options_;
  CredentialFetcher fetcher_;

  absl::Mutex mu_;
  bool shutting_down_ ABSL_GUARDED_BY(mu_) = false;
  // Last member: its threads call FetchBatch, so they stop before anything above is destroyed.
  FetchBatcher batcher_;
};

}  // namespace mef
}  // namespace onem2m

#endif  // ONEM2M_MEF_CREDENTIAL_CREDENTIAL_SERVICE_H_

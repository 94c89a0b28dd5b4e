// File: maf/mef_client/revocation_watcher.h
//
// RevocationWatcher is the MAF replica's end of MefCredentialService.WatchRevocations: it keeps a
// stream to one MEF open (reconnecting with jittered backoff and the last cursor), hands every
// non-heartbeat event to a callback, and tracks liveness so the MAF can refuse cached Km while it
// might be missing revocations (the proto's 3-heartbeat rule).
//
//   onem2m::maf::RevocationWatcher::Options opts;
//   opts.on_event = [&](const onem2m::rsp::v1::RevocationEvent& ev) { return cache.Drop(ev); };
//   opts.on_resync = [&] { cache.DropAllFrom(mef_fqdn); };     // OUT_OF_RANGE / first connect
//   onem2m::maf::RevocationWatcher watcher(channel, std::move(opts));
//   watcher.Start();
//   ...
//   if (!watcher.Healthy()) { /* do not serve cached Km from this MEF */ }
//   watcher.Stop();                                             // or destroy it
//
// Callbacks run on the watcher's thread, one at a time, in stream order; they must not call Stop.
// An event whose on_event fails is retried before the next one is read.
// Delivery is at-least-once (a reconnect replays from the last cursor), so callbacks must be
// idempotent.
#ifndef ONEM2M_MAF_MEF_CLIENT_REVOCATION_WATCHER_H_
#define ONEM2M_MAF_MEF_CLIENT_REVOCATION_WATCHER_H_

#include <grpcpp/grpcpp.h>

#include <functional>
#include <memory>
#include <string>
#include <thread>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "maf/mef_client/backoff.h"
#include "proto/onem2m/rsp/v1/mef_credential.grpc.pb.h"

namespace onem2m {
namespace maf {

class RevocationWatcher {
 public:
  struct Options {
    // on_event gets every event except heartbeats and answers whether it was applied. A failed
    // one (the revocation could not be written) is offered again after the reconnect backoff,
    // the stream and its cursor waiting for it, until it succeeds or Stop: a revocation is never
    // skipped (docs/protocol.md 6).
    std::function<absl::Status(const rsp::v1::RevocationEvent&)> on_event;
    // on_event_failed is told of every failed on_event (the MAF counts them).
    std::function<void(const absl::Status&)> on_event_failed;
    // on_resync is called when the watcher starts from "now" without a cursor: at the first
    // connect and after OUT_OF_RANGE. Anything cached before may have missed a revocation, so the
    // MAF must drop every Km it cached from this MEF.
    std::function<void()> on_resync;
    // heartbeat_interval_ms is requested from the server (0 = server default, 250 ms).
    uint32_t heartbeat_interval_ms = 250;
    // reconnect is the backoff between stream attempts (reset after a stream delivered data).
    Backoff reconnect = {absl::Milliseconds(100), absl::Seconds(5), 2.0, 0.5};
  };

  RevocationWatcher(std::shared_ptr<grpc::ChannelInterface> channel, Options options);
  ~RevocationWatcher();  // calls Stop
  RevocationWatcher(const RevocationWatcher&) = delete;
  RevocationWatcher& operator=(const RevocationWatcher&) = delete;

  // Start opens the stream on a background thread. Call once.
  void Start();

  // Stop cancels the stream and joins the thread. Idempotent.
  void Stop();

  // Healthy is true while a stream is open and a message of it arrived within 3 heartbeat
  // intervals.
  bool Healthy() const;

  // cursor returns the last cursor received (empty before the first message).
  std::string cursor() const;

 private:
  void Run();
  // RunStream runs one stream to its end and returns its status.
  grpc::Status RunStream(bool* out_got_data);
  // Deliver hands `ev` to on_event until it is applied (true) or Stop (false), waiting the
  // reconnect backoff between attempts.
  bool Deliver(const rsp::v1::RevocationEvent& ev);

  absl::Duration HeartbeatInterval() const;

  std::unique_ptr<rsp::v1::MefCredentialService::Stub> stub_;
  const Options options_;

  mutable absl::Mutex mu_;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  grpc::ClientContext* context_ ABSL_GUARDED_BY(mu_) = nullptr;  // of the open stream
  std::string cursor_ ABSL_GUARDED_BY(mu_);
  absl::Time last_seen_ ABSL_GUARDED_BY(mu_) = absl::InfinitePast();  // last message
  absl::Time stream_opened_ ABSL_GUARDED_BY(mu_) = absl::InfinitePast();
  std::thread thread_;
  std::thread watchdog_;
};

}  // namespace maf
}  // namespace onem2m

#endif  // ONEM2M_MAF_MEF_CLIENT_REVOCATION_WATCHER_H_

// File: common/grpc/unary_batcher.h
//
// UnaryBatcher serves one unary method of a gRPC service through the completion-queue (async) API
// and hands its handler the calls that arrived together as one batch, on a thread that polled
// them. Its threads share one completion queue: gRPC binds each connection's calls to one queue,
// so per-thread queues would leave a single client's calls to a single thread. A handler that reads
// a database can then answer a whole batch with one query and finish every call itself: no thread
// is parked per call (sync API) and none is woken per answer (the callback API with a shared read,
// which costs about two context switches more per call).
//
//   using Svc = rsp::v1::MefCredentialService;
//   class Service : public Svc::WithAsyncMethod_FetchCredential<Svc::Service> { ... };
//   Service service;
//   using Batcher = grpcutil::UnaryBatcher<rsp::v1::FetchCredentialRequest,
//                                          rsp::v1::FetchCredentialResponse>;
//   Batcher batcher(
//       [&service](Batcher::Call* call, grpc::ServerCompletionQueue* cq) {
//         service.RequestFetchCredential(call->context(), call->mutable_request(),
//                                        call->responder(), cq, cq, call->tag());
//       },
//       [](absl::Span<Batcher::Call* const> batch, Batcher::Turn* turn) {
//         ... read for the whole batch ...
//         turn->Release();   // optional: the next batch may start its read now
//         for (Batcher::Call* call : batch) call->Finish(grpc::Status::OK);
//       },
//       {});
//   grpc::ServerBuilder b;
//   b.RegisterService(&service);
//   batcher.AddQueues(&b);
//   std::unique_ptr<grpc::Server> server = b.BuildAndStart();
//   batcher.Start();
//   ...
//   server->Shutdown();   // first: calls in progress are finished by the batcher's threads
//   batcher.Stop();
//
// The handler must call Finish exactly once on every call of its batch, from any thread; the call
// is deleted once gRPC has sent the answer. While a handler runs, its thread polls nothing, so run
// at least two threads if it blocks.
//
// Thread safety: AddQueues, Start and Stop are called once each, in that order, from one thread.
// Lifetime: destroy the batcher after the server (gRPC's rule for completion queues).
#ifndef ONEM2M_COMMON_GRPC_UNARY_BATCHER_H_
#define ONEM2M_COMMON_GRPC_UNARY_BATCHER_H_

#include <grpcpp/alarm.h>
#include <grpcpp/grpcpp.h>
#include <pthread.h>

#include <algorithm>
#include <atomic>
#include <functional>
#include <memory>
#include <thread>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/types/span.h"

namespace onem2m::grpcutil {

struct UnaryBatcherOptions {
  int threads = 2;           // threads polling the batcher's completion queue
  int max_batch = 128;       // calls per handler invocation
  int requests_ahead = 128;  // calls asked of gRPC ahead of their arrival
  // one_batch_at_a_time: batches take turns. Calls polled while handlers hold the turns (by any
  // thread) wait and make up the next batch; the thread that polled them goes back to polling.
  // For a handler that reads a database, every read then carries all that arrived during the
  // previous one. A handler that releases its turn once its read is done (Turn::Release) lets the
  // next batch read while it answers.
  bool one_batch_at_a_time = false;
  // max_waiting (one_batch_at_a_time) bounds the calls waiting for a turn. Beyond it, new calls go
  // to the overflow handler at once, so a handler stuck on a database that does not answer cannot
  // pile up calls without limit.
  int max_waiting = 10000;
  // thread_name names the polling threads (as `top -H` and perf show them; at most 15 bytes).
  const char* thread_name = "unary-batcher";
  // turns (one_batch_at_a_time) is how many batches may hold a turn at once: with 2, a second
  // batch reads while the first one's read is still out, so a slow read no longer holds up every
  // call behind it. A batch beyond the first starts only when at least `overlap_min` calls wait,
  // so overlapping reads stay batched (a lone call waits for a turn to come free instead).
  int turns = 1;
  int overlap_min = 1;
};

template <typename Request, typename Response>
class UnaryBatcher {
 public:
  class Call {
   public:
    grpc::ServerContext* context() { return &context_; }
    const Request& request() const { return request_; }
    Request* mutable_request() { return &request_; }
    Response* response() { return &response_; }
    grpc::ServerAsyncResponseWriter<Response>* responder() { return &responder_; }
    void* tag() { return this; }

    // Finish sends `status` (and the response, if it is OK) and ends the call.
    void Finish(const grpc::Status& status) {
      finishing_.store(true, std::memory_order_release);
      responder_.Finish(response_, status, this);
    }

   private:
    friend class UnaryBatcher;
    grpc::ServerContext context_;
    Request request_;
    Response response_;
    grpc::ServerAsyncResponseWriter<Response> responder_{&context_};
    // finishing_ is read by whichever thread pops the answer's completion. The completion queue
    // orders the two inside libgrpc, which ThreadSanitizer cannot see (uninstrumented); release
    // and acquire (plain moves on x86) make that order visible to it.
    std::atomic<bool> finishing_{false};
  };

  // Turn is a handler's hold on the batch turn (one_batch_at_a_time; otherwise Release does
  // nothing). Release lets the next batch start on another thread while this handler goes on.
  class Turn {
   public:
    void Release() {
      if (!held_) return;
      held_ = false;
      batcher_->ReleaseTurn();
    }

   private:
    friend class UnaryBatcher;
    Turn(UnaryBatcher* batcher, bool held) : batcher_(batcher), held_(held) {}
    UnaryBatcher* const batcher_;
    bool held_;
  };

  // RequestCall asks gRPC for the next call into `call` on `cq` (the generated RequestXxx method,
  // with `cq` as both queues and call->tag() as the tag).
  using RequestCall = std::function<void(Call* call, grpc::ServerCompletionQueue* cq)>;
  using Handler = std::function<void(absl::Span<Call* const> batch, Turn* turn)>;
  // Overflow must finish every call it is given (see max_waiting); by default they end with
  // RESOURCE_EXHAUSTED.
  using Overflow = std::function<void(absl::Span<Call* const> calls)>;

  UnaryBatcher(RequestCall request_call, Handler handler, UnaryBatcherOptions options,
               Overflow overflow = nullptr)
      : request_call_(std::move(request_call)),
        handler_(std::move(handler)),
        overflow_(overflow ? std::move(overflow) : DefaultOverflow),
        options_(Sanitise(options)) {}

  UnaryBatcher(const UnaryBatcher&) = delete;
  UnaryBatcher& operator=(const UnaryBatcher&) = delete;

  ~UnaryBatcher() { Stop(); }

  // SetResponseScrubber (before Start) makes every finished call's response pass through `scrub`
  // just before the call is deleted, e.g. to wipe a key it carried. Only the batcher knows when
  // that is safe: a call may be deleted on another thread as soon as Finish has returned.
  void SetResponseScrubber(std::function<void(Response*)> scrub) { scrub_ = std::move(scrub); }

  // waiting_calls counts the calls polled and waiting for the turn (one_batch_at_a_time; always 0
  // otherwise), so a test can tell calls have arrived without sleeping. Thread-safe.
  size_t waiting_calls() const {
    absl::MutexLock lock(&mu_);
    return waiting_.size();
  }

  // AddQueues adds the batcher's completion queue to `builder` (before BuildAndStart).
  void AddQueues(grpc::ServerBuilder* builder) { cq_ = builder->AddCompletionQueue(); }

  // Start asks for the first calls and starts the polling threads (after BuildAndStart). Without
  // AddQueues (the method is not served) it does nothing.
  void Start() {
    if (cq_ == nullptr || !threads_.empty()) return;
    for (int r = 0; r < options_.requests_ahead; ++r) RequestNext();
    for (int i = 0; i < options_.threads; ++i) {
      threads_.emplace_back([this] {
        pthread_setname_np(pthread_self(), options_.thread_name);
        Poll();
      });
    }
  }

  // Stop ends the polling threads once the queue is drained (after Server::Shutdown, which fails
  // the calls still asked for). The drained queue lives on until the batcher is destroyed, which
  // must be after the server. Idempotent.
  void Stop() {
    if (stopped_ || cq_ == nullptr) return;
    stopped_ = true;
    {
      absl::MutexLock lock(&mu_);
      stopping_ = true;  // no more wake-ups: an alarm set on a shut-down queue is an error
    }
    cq_->Shutdown();
    if (threads_.empty()) {
      DrainUnstarted();
    } else {
      for (std::thread& t : threads_) t.join();
    }
    threads_.clear();
  }

 private:
  static UnaryBatcherOptions Sanitise(UnaryBatcherOptions o) {
    o.threads = std::max(1, o.threads);
    o.max_batch = std::max(1, o.max_batch);
    o.requests_ahead = std::max(1, o.requests_ahead);
    o.max_waiting = std::max(1, o.max_waiting);
    o.turns = std::max(1, o.turns);
    o.overlap_min = std::max(1, o.overlap_min);
    return o;
  }

  static void DefaultOverflow(absl::Span<Call* const> calls) {
    for (Call* call : calls) {
      call->Finish(grpc::Status(grpc::StatusCode::RESOURCE_EXHAUSTED, "too many calls waiting"));
    }
  }

  void RequestNext() { request_call_(new Call, cq_.get()); }

  // Take handles one event: a wake-up (see ReleaseTurn) only re-arms; a finished call is deleted;
  // a new call is added to `batch` and its slot asked for again. A failed request (the server is
  // shutting down) is deleted.
  void Take(void* tag, bool ok, std::vector<Call*>* batch) {
    if (tag == &wake_) {
      absl::MutexLock lock(&mu_);
      wake_set_ = false;
      return;
    }
    Call* call = static_cast<Call*>(tag);
    const bool finished = call->finishing_.load(std::memory_order_acquire);
    if (finished || !ok) {
      if (finished && scrub_) scrub_(&call->response_);
      delete call;
      return;
    }
    RequestNext();
    batch->push_back(call);
  }

  // Poll waits for an event, then takes every event already queued (up to max_batch new calls)
  // without waiting, and hands the new calls to the handler as one batch.
  void Poll() {
    std::vector<Call*> batch;
    void* tag = nullptr;
    bool ok = false;
    bool wait = true;  // false: calls are waiting for this thread to handle them
    for (;;) {
      batch.clear();
      if (wait) {
        if (!cq_->Next(&tag, &ok)) break;
        Take(tag, ok, &batch);
      }
      while (static_cast<int>(batch.size()) < options_.max_batch &&
             cq_->AsyncNext(&tag, &ok, gpr_time_0(GPR_CLOCK_MONOTONIC)) ==
                 grpc::CompletionQueue::GOT_EVENT) {
        Take(tag, ok, &batch);
      }
      if (!options_.one_batch_at_a_time) {
        if (!batch.empty()) {
          Turn turn(this, false);
          handler_(absl::MakeConstSpan(batch), &turn);
        }
        continue;
      }
      wait = !HandleOneBatch(&batch);
    }
    // Shut down: leave no polled call unhandled.
    if (options_.one_batch_at_a_time) {
      batch.clear();
      while (HandleOneBatch(&batch)) batch.clear();
    }
  }

  // HandleOneBatch (one_batch_at_a_time) adds `batch` to the waiting calls (refusing those beyond
  // max_waiting) and, if the turn is free, takes it and hands the handler up to max_batch waiting
  // calls. Returns true if calls are still waiting and the turn is free.
  bool HandleOneBatch(std::vector<Call*>* batch) {
    std::vector<Call*> refused;
    bool mine = false;  // this thread took the turn
    {
      absl::MutexLock lock(&mu_);
      const size_t room = static_cast<size_t>(options_.max_waiting) -
                          std::min(waiting_.size(), static_cast<size_t>(options_.max_waiting));
      const size_t admitted = std::min(room, batch->size());
      waiting_.insert(waiting_.end(), batch->begin(), batch->begin() + admitted);
      refused.assign(batch->begin() + admitted, batch->end());
      batch->clear();
      if (TurnFree()) {
        ++turns_taken_;
        mine = true;
        const size_t n = std::min(waiting_.size(), static_cast<size_t>(options_.max_batch));
        batch->assign(waiting_.begin(), waiting_.begin() + n);
        waiting_.erase(waiting_.begin(), waiting_.begin() + n);
        WakeIfTurnFree();  // more than a batch waits and another turn is free
      }
    }
    if (!refused.empty()) overflow_(absl::MakeConstSpan(refused));
    if (!mine) return false;
    Turn turn(this, true);
    handler_(absl::MakeConstSpan(*batch), &turn);
    turn.Release();
    absl::MutexLock lock(&mu_);
    return TurnFree();
  }

  // TurnFree: waiting calls may take a turn now (see UnaryBatcherOptions::turns).
  bool TurnFree() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    if (waiting_.empty() || turns_taken_ >= options_.turns) return false;
    return turns_taken_ == 0 || waiting_.size() >= static_cast<size_t>(options_.overlap_min);
  }

  // ReleaseTurn frees the turn; if calls may take it, it wakes a polling thread to take them (the
  // releasing one is still busy with its batch).
  void ReleaseTurn() {
    absl::MutexLock lock(&mu_);
    --turns_taken_;
    WakeIfTurnFree();
  }

  void WakeIfTurnFree() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    if (!TurnFree() || stopping_ || options_.threads < 2 || wake_set_) return;
    wake_set_ = true;
    wake_.Set(cq_.get(), gpr_time_0(GPR_CLOCK_MONOTONIC), &wake_);
  }

  // DrainUnstarted empties a queue that was never polled (Start was not called).
  void DrainUnstarted() {
    void* tag = nullptr;
    bool ok = false;
    while (cq_->Next(&tag, &ok)) delete static_cast<Call*>(tag);
  }

  const RequestCall request_call_;
  const Handler handler_;
  const Overflow overflow_;
  const UnaryBatcherOptions options_;
  std::function<void(Response*)> scrub_;
  std::unique_ptr<grpc::ServerCompletionQueue> cq_;
  std::vector<std::thread> threads_;
  bool stopped_ = false;
  mutable absl::Mutex mu_;
  grpc::Alarm wake_;  // wakes a polling thread when a released turn leaves calls waiting
  bool wake_set_ ABSL_GUARDED_BY(mu_) = false;
  std::vector<Call*> waiting_ ABSL_GUARDED_BY(mu_);  // one_batch_at_a_time: polled, not handled
  int turns_taken_ ABSL_GUARDED_BY(mu_) = 0;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
};

}  // namespace onem2m::grpcutil

#endif  // ONEM2M_COMMON_GRPC_UNARY_BATCHER_H_

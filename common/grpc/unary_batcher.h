// File: common/grpc/unary_batcher.h
//
// UnaryBatcher serves one unary method of a gRPC service through the completion-queue (async) API
// and hands its handler the calls that arrived together as one batch, on the thread that polled
// them. A handler that reads a database can then answer a whole batch with one query and finish
// every call itself: no thread is parked per call (sync API) and none is woken per answer (the
// callback API with a shared read, which costs about two context switches more per call).
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
  int threads = 2;              // polling threads, each with its own completion queue
  int max_batch = 128;          // calls per handler invocation
  int requests_per_queue = 64;  // calls each queue asks gRPC for ahead of their arrival
  // one_batch_at_a_time: batches take turns. Calls polled while a handler holds the turn (by any
  // thread) wait and make up the next batch; the thread that polled them goes back to polling.
  // For a handler that reads a database, every read then carries all that arrived during the
  // previous one. A handler that releases its turn once its read is done (Turn::Release) lets the
  // next batch read while it answers.
  bool one_batch_at_a_time = false;
  // thread_name names the polling threads (as `top -H` and perf show them; at most 15 bytes).
  const char* thread_name = "unary-batcher";
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
      finishing_ = true;
      responder_.Finish(response_, status, this);
    }

   private:
    friend class UnaryBatcher;
    grpc::ServerContext context_;
    Request request_;
    Response response_;
    grpc::ServerAsyncResponseWriter<Response> responder_{&context_};
    bool finishing_ = false;
  };

  // Turn is a handler's hold on the batch turn (one_batch_at_a_time; otherwise Release does
  // nothing). Release lets the next batch start on another thread while this handler goes on.
  class Turn {
   public:
    void Release() {
      if (!held_) return;
      held_ = false;
      batcher_->ReleaseTurn(own_);
    }

   private:
    friend class UnaryBatcher;
    Turn(UnaryBatcher* batcher, size_t own, bool held)
        : batcher_(batcher), own_(own), held_(held) {}
    UnaryBatcher* const batcher_;
    const size_t own_;  // the handler's queue
    bool held_;
  };

  // RequestCall asks gRPC for the next call into `call` on `cq` (the generated RequestXxx method,
  // with `cq` as both queues and call->tag() as the tag).
  using RequestCall = std::function<void(Call* call, grpc::ServerCompletionQueue* cq)>;
  using Handler = std::function<void(absl::Span<Call* const> batch, Turn* turn)>;

  UnaryBatcher(RequestCall request_call, Handler handler, UnaryBatcherOptions options)
      : request_call_(std::move(request_call)),
        handler_(std::move(handler)),
        options_(Sanitise(options)) {}

  UnaryBatcher(const UnaryBatcher&) = delete;
  UnaryBatcher& operator=(const UnaryBatcher&) = delete;

  ~UnaryBatcher() { Stop(); }

  // AddQueues adds the batcher's completion queues to `builder` (before BuildAndStart).
  void AddQueues(grpc::ServerBuilder* builder) {
    for (int i = 0; i < options_.threads; ++i) {
      queues_.push_back(std::make_unique<Queue>(builder->AddCompletionQueue()));
    }
  }

  // Start asks for the first calls and starts the polling threads (after BuildAndStart).
  void Start() {
    for (size_t i = 0; i < queues_.size(); ++i) {
      for (int r = 0; r < options_.requests_per_queue; ++r) RequestNext(queues_[i]->cq.get());
      threads_.emplace_back([this, i] {
        pthread_setname_np(pthread_self(), options_.thread_name);
        Poll(i);
      });
    }
  }

  // Stop ends the polling threads once their queues are drained (after Server::Shutdown, which
  // fails the calls still asked for). The drained queues live on until the batcher is destroyed,
  // which must be after the server. Idempotent.
  void Stop() {
    if (stopped_) return;
    stopped_ = true;
    {
      absl::MutexLock lock(&mu_);
      stopping_ = true;  // no more wake-ups: an alarm set on a shut-down queue is an error
    }
    for (std::unique_ptr<Queue>& q : queues_) q->cq->Shutdown();
    if (threads_.empty()) {
      DrainUnstarted();
    } else {
      for (std::thread& t : threads_) t.join();
    }
    threads_.clear();
  }

 private:
  // Queue is one polling thread's completion queue and the alarm that wakes it when a released
  // turn leaves calls waiting.
  struct Queue {
    explicit Queue(std::unique_ptr<grpc::ServerCompletionQueue> q) : cq(std::move(q)) {}
    std::unique_ptr<grpc::ServerCompletionQueue> cq;
    grpc::Alarm wake;
    bool wake_set = false;  // guarded by the batcher's mu_
  };

  static UnaryBatcherOptions Sanitise(UnaryBatcherOptions o) {
    o.threads = std::max(1, o.threads);
    o.max_batch = std::max(1, o.max_batch);
    o.requests_per_queue = std::max(1, o.requests_per_queue);
    return o;
  }

  void RequestNext(grpc::ServerCompletionQueue* cq) { request_call_(new Call, cq); }

  // Take handles one event: a wake-up (see ReleaseTurn) only re-arms; a finished call is deleted;
  // a new call is added to `batch` and its slot asked for again. A failed request (the server is
  // shutting down) is deleted.
  void Take(void* tag, bool ok, Queue* q, std::vector<Call*>* batch) {
    if (tag == &q->wake) {
      absl::MutexLock lock(&mu_);
      q->wake_set = false;
      return;
    }
    Call* call = static_cast<Call*>(tag);
    if (call->finishing_ || !ok) {
      delete call;
      return;
    }
    RequestNext(q->cq.get());
    batch->push_back(call);
  }

  // Poll waits for an event, then takes every event already queued (up to max_batch new calls)
  // without waiting, and hands the new calls to the handler as one batch.
  void Poll(size_t own) {
    Queue* q = queues_[own].get();
    std::vector<Call*> batch;
    void* tag = nullptr;
    bool ok = false;
    bool wait = true;  // false: calls are waiting for this thread to handle them
    for (;;) {
      batch.clear();
      if (wait) {
        if (!q->cq->Next(&tag, &ok)) break;
        Take(tag, ok, q, &batch);
      }
      while (static_cast<int>(batch.size()) < options_.max_batch &&
             q->cq->AsyncNext(&tag, &ok, gpr_time_0(GPR_CLOCK_MONOTONIC)) ==
                 grpc::CompletionQueue::GOT_EVENT) {
        Take(tag, ok, q, &batch);
      }
      if (!options_.one_batch_at_a_time) {
        if (!batch.empty()) {
          Turn turn(this, own, false);
          handler_(absl::MakeConstSpan(batch), &turn);
        }
        continue;
      }
      wait = !HandleOneBatch(own, &batch);
    }
    // Shut down: leave no polled call unhandled.
    if (options_.one_batch_at_a_time) {
      batch.clear();
      while (HandleOneBatch(own, &batch)) batch.clear();
    }
  }

  // HandleOneBatch (one_batch_at_a_time) adds `batch` to the waiting calls and, if the turn is
  // free, takes it and hands the handler up to max_batch waiting calls. Between two batches the
  // thread polls its own queue again, so no queue is left unpolled while its thread handles
  // others' calls. Returns true if calls are still waiting and the turn is free.
  bool HandleOneBatch(size_t own, std::vector<Call*>* batch) {
    {
      absl::MutexLock lock(&mu_);
      waiting_.insert(waiting_.end(), batch->begin(), batch->end());
      if (turn_taken_ || waiting_.empty()) return false;
      turn_taken_ = true;
      const size_t n = std::min(waiting_.size(), static_cast<size_t>(options_.max_batch));
      batch->assign(waiting_.begin(), waiting_.begin() + n);
      waiting_.erase(waiting_.begin(), waiting_.begin() + n);
    }
    Turn turn(this, own, true);
    handler_(absl::MakeConstSpan(*batch), &turn);
    turn.Release();
    absl::MutexLock lock(&mu_);
    return !turn_taken_ && !waiting_.empty();
  }

  // ReleaseTurn frees the turn; if calls are waiting, it wakes another thread to take them (this
  // one is still busy with its batch).
  void ReleaseTurn(size_t own) {
    absl::MutexLock lock(&mu_);
    turn_taken_ = false;
    if (waiting_.empty() || stopping_ || queues_.size() < 2) return;
    next_wake_ = (next_wake_ + 1) % queues_.size();
    if (next_wake_ == own) next_wake_ = (next_wake_ + 1) % queues_.size();
    Queue* q = queues_[next_wake_].get();
    if (q->wake_set) return;  // already woken
    q->wake_set = true;
    q->wake.Set(q->cq.get(), gpr_time_0(GPR_CLOCK_MONOTONIC), &q->wake);
  }

  // DrainUnstarted empties queues that were never polled (Start was not called).
  void DrainUnstarted() {
    void* tag = nullptr;
    bool ok = false;
    for (std::unique_ptr<Queue>& q : queues_) {
      while (q->cq->Next(&tag, &ok)) delete static_cast<Call*>(tag);
    }
  }

  const RequestCall request_call_;
  const Handler handler_;
  const UnaryBatcherOptions options_;
  std::vector<std::unique_ptr<Queue>> queues_;
  std::vector<std::thread> threads_;
  bool stopped_ = false;
  absl::Mutex mu_;
  std::vector<Call*> waiting_ ABSL_GUARDED_BY(mu_);  // one_batch_at_a_time: polled, not handled
  bool turn_taken_ ABSL_GUARDED_BY(mu_) = false;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  size_t next_wake_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace onem2m::grpcutil

#endif  // ONEM2M_COMMON_GRPC_UNARY_BATCHER_H_

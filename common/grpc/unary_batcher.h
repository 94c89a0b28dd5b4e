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
//       [](absl::Span<Batcher::Call* const> batch) {
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
  // one_batch_at_a_time: the handler never runs twice at once. Calls polled while it runs (by any
  // thread) wait and make up the next batch, which the running thread takes on; the thread that
  // polled them goes back to polling. For a handler that reads a database, every read then carries
  // all that arrived during the previous one, while the other threads keep polling.
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

  // RequestCall asks gRPC for the next call into `call` on `cq` (the generated RequestXxx method,
  // with `cq` as both queues and call->tag() as the tag).
  using RequestCall = std::function<void(Call* call, grpc::ServerCompletionQueue* cq)>;
  using Handler = std::function<void(absl::Span<Call* const> batch)>;

  UnaryBatcher(RequestCall request_call, Handler handler, UnaryBatcherOptions options)
      : request_call_(std::move(request_call)),
        handler_(std::move(handler)),
        options_(Sanitise(options)) {}

  UnaryBatcher(const UnaryBatcher&) = delete;
  UnaryBatcher& operator=(const UnaryBatcher&) = delete;

  ~UnaryBatcher() { Stop(); }

  // AddQueues adds the batcher's completion queues to `builder` (before BuildAndStart).
  void AddQueues(grpc::ServerBuilder* builder) {
    for (int i = 0; i < options_.threads; ++i) queues_.push_back(builder->AddCompletionQueue());
  }

  // Start asks for the first calls and starts the polling threads (after BuildAndStart).
  void Start() {
    for (std::unique_ptr<grpc::ServerCompletionQueue>& q : queues_) {
      grpc::ServerCompletionQueue* cq = q.get();
      for (int i = 0; i < options_.requests_per_queue; ++i) RequestNext(cq);
      threads_.emplace_back([this, cq] {
        pthread_setname_np(pthread_self(), options_.thread_name);
        Poll(cq);
      });
    }
  }

  // Stop ends the polling threads once their queues are drained (after Server::Shutdown, which
  // fails the calls still asked for). The drained queues live on until the batcher is destroyed,
  // which must be after the server. Idempotent.
  void Stop() {
    if (stopped_) return;
    stopped_ = true;
    for (std::unique_ptr<grpc::ServerCompletionQueue>& q : queues_) q->Shutdown();
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
    o.requests_per_queue = std::max(1, o.requests_per_queue);
    return o;
  }

  void RequestNext(grpc::ServerCompletionQueue* cq) { request_call_(new Call, cq); }

  // Take handles one event: a finished call is deleted; a new call is added to `batch` and its
  // slot asked for again. A failed request (the server is shutting down) is deleted.
  void Take(void* tag, bool ok, grpc::ServerCompletionQueue* cq, std::vector<Call*>* batch) {
    Call* call = static_cast<Call*>(tag);
    if (call->finishing_ || !ok) {
      delete call;
      return;
    }
    RequestNext(cq);
    batch->push_back(call);
  }

  // Poll waits for an event, then takes every event already queued (up to max_batch new calls)
  // without waiting, and hands the new calls to the handler as one batch.
  void Poll(grpc::ServerCompletionQueue* cq) {
    std::vector<Call*> batch;
    void* tag = nullptr;
    bool ok = false;
    bool wait = true;  // false: more calls are waiting for this thread to handle them
    for (;;) {
      batch.clear();
      if (wait) {
        if (!cq->Next(&tag, &ok)) break;
        Take(tag, ok, cq, &batch);
      }
      while (static_cast<int>(batch.size()) < options_.max_batch &&
             cq->AsyncNext(&tag, &ok, gpr_time_0(GPR_CLOCK_MONOTONIC)) ==
                 grpc::CompletionQueue::GOT_EVENT) {
        Take(tag, ok, cq, &batch);
      }
      if (!options_.one_batch_at_a_time) {
        if (!batch.empty()) handler_(absl::MakeConstSpan(batch));
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

  // HandleOneBatch (one_batch_at_a_time) adds `batch` to the waiting calls and, unless another
  // thread is handling, hands the handler up to max_batch of them. Between two batches the thread
  // polls its own queue again, so no queue is left unpolled while its thread handles others' calls.
  // Returns true if calls are still waiting and no thread is handling them.
  bool HandleOneBatch(std::vector<Call*>* batch) {
    {
      absl::MutexLock lock(&mu_);
      waiting_.insert(waiting_.end(), batch->begin(), batch->end());
      if (handling_ || waiting_.empty()) return false;
      handling_ = true;
      const size_t n = std::min(waiting_.size(), static_cast<size_t>(options_.max_batch));
      batch->assign(waiting_.begin(), waiting_.begin() + n);
      waiting_.erase(waiting_.begin(), waiting_.begin() + n);
    }
    handler_(absl::MakeConstSpan(*batch));
    absl::MutexLock lock(&mu_);
    handling_ = false;
    return !waiting_.empty();
  }

  // DrainUnstarted empties queues that were never polled (Start was not called).
  void DrainUnstarted() {
    void* tag = nullptr;
    bool ok = false;
    for (std::unique_ptr<grpc::ServerCompletionQueue>& q : queues_) {
      while (q->Next(&tag, &ok)) delete static_cast<Call*>(tag);
    }
  }

  const RequestCall request_call_;
  const Handler handler_;
  const UnaryBatcherOptions options_;
  std::vector<std::unique_ptr<grpc::ServerCompletionQueue>> queues_;
  std::vector<std::thread> threads_;
  bool stopped_ = false;
  absl::Mutex mu_;
  std::vector<Call*> waiting_ ABSL_GUARDED_BY(mu_);  // one_batch_at_a_time: polled, not handled
  bool handling_ ABSL_GUARDED_BY(mu_) = false;
};

}  // namespace onem2m::grpcutil

#endif  // ONEM2M_COMMON_GRPC_UNARY_BATCHER_H_

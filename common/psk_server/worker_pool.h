// File: common/psk_server/worker_pool.h
//
// WorkerPool runs tasks on a fixed set of threads, off the PskServer's I/O threads: the MAF runs
// its request handlers (maf/server/maf_session_factory.h) and KmResolver its MEF fetches here.
//
//   WorkerPool pool(16);
//   pool.Submit([] { ... });   // thread-safe
//   // ~WorkerPool finishes queued tasks, then joins.
#ifndef ONEM2M_COMMON_PSK_SERVER_WORKER_POOL_H_
#define ONEM2M_COMMON_PSK_SERVER_WORKER_POOL_H_

#include <deque>
#include <functional>
#include <thread>
#include <vector>

#include "absl/synchronization/mutex.h"

namespace onem2m::server {

class WorkerPool {
 public:
  explicit WorkerPool(int threads);
  ~WorkerPool();
  WorkerPool(const WorkerPool&) = delete;
  WorkerPool& operator=(const WorkerPool&) = delete;

  void Submit(std::function<void()> task);

 private:
  void Work();

  absl::Mutex mu_;
  std::deque<std::function<void()>> queue_ ABSL_GUARDED_BY(mu_);
  bool stop_ ABSL_GUARDED_BY(mu_) = false;
  std::vector<std::thread> threads_;
};

}  // namespace onem2m::server

#endif  // ONEM2M_COMMON_PSK_SERVER_WORKER_POOL_H_

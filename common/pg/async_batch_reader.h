// File: common/pg/async_batch_reader.h
//
// AsyncBatchReader answers point reads by key through callbacks, batching whatever is queued into
// one `WHERE key = ANY($1)` read on its own reader thread(s). It serves callers that must not
// block, such as a TLS handshake paused on its PSK lookup (common/tls/psk_resolver.h): hundreds of
// handshakes waiting on one I/O thread cost a few database round trips instead of one each.
//
//   AsyncBatchReader<Row> reader({/*threads=*/1, /*max_batch=*/128, /*max_pending=*/10000}, fetch);
//   reader.Get("key", [](absl::StatusOr<std::optional<Row>> r) { ... });  // on a reader thread
//
// `fetch` is a pg::BatchFetch (batch_read.h). A full queue answers kUnavailable at
// once. The destructor answers everything still queued (reading it first) and joins the threads.
#ifndef ONEM2M_COMMON_PG_ASYNC_BATCH_READER_H_
#define ONEM2M_COMMON_PG_ASYNC_BATCH_READER_H_

#include <pthread.h>

#include <algorithm>
#include <deque>
#include <functional>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "common/pg/batch_read.h"

namespace onem2m {
namespace pg {

struct AsyncBatchReaderOptions {
  int threads = 1;          // reader threads (batched reads, and their answers, running at once)
  int max_batch = 128;      // keys per read
  int max_pending = 10000;  // queued requests beyond which Get fails fast
  const char* thread_name = "pg-read";  // as top -H and perf show it (at most 15 bytes)
};

struct AsyncBatchReaderStats {
  int64_t reads = 0;    // Get calls queued
  int64_t batches = 0;  // fetch calls
  int64_t keys = 0;     // distinct keys fetched
};

template <typename Value>
class AsyncBatchReader {
 public:
  using BatchFetch = pg::BatchFetch<Value>;
  using Done = ReadDone<Value>;

  AsyncBatchReader(AsyncBatchReaderOptions options, BatchFetch fetch)
      : options_(Sanitise(options)), fetch_(std::move(fetch)) {
    for (int i = 0; i < options_.threads; ++i) threads_.emplace_back([this] { Loop(); });
  }

  ~AsyncBatchReader() {
    {
      absl::MutexLock lock(&mu_);
      stopping_ = true;
    }
    for (std::thread& t : threads_) t.join();
  }

  AsyncBatchReader(const AsyncBatchReader&) = delete;
  AsyncBatchReader& operator=(const AsyncBatchReader&) = delete;

  AsyncBatchReaderStats stats() const {
    absl::MutexLock lock(&mu_);
    return stats_;
  }

  // Get queues a read of `key`; `done` runs once, on a reader thread (or here, if the queue is
  // full), with the row, nullopt if there is none, or the batch's error.
  void Get(absl::string_view key, Done done) {
    {
      absl::MutexLock lock(&mu_);
      if (static_cast<int>(queue_.size()) < options_.max_pending && !stopping_) {
        queue_.push_back({std::string(key), std::move(done)});
        ++stats_.reads;
        return;
      }
    }
    done(absl::UnavailableError("too many reads waiting for the database"));
  }

 private:
  using Request = PendingRead<Value>;

  static AsyncBatchReaderOptions Sanitise(AsyncBatchReaderOptions o) {
    o.threads = std::max(1, o.threads);
    o.max_batch = std::max(1, o.max_batch);
    o.max_pending = std::max(1, o.max_pending);
    return o;
  }

  void Loop() {
    pthread_setname_np(pthread_self(), options_.thread_name);
    for (;;) {
      std::vector<Request> batch;
      {
        absl::MutexLock lock(&mu_);
        auto ready = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
          return !queue_.empty() || stopping_;
        };
        mu_.Await(absl::Condition(&ready));
        if (queue_.empty()) return;  // stopping, and everything queued has been answered
        batch = TakeBatch(queue_, options_.max_batch);
      }
      const size_t keys = ReadBatch(fetch_, batch);
      absl::MutexLock lock(&mu_);
      ++stats_.batches;
      stats_.keys += static_cast<int64_t>(keys);
    }
  }

  const AsyncBatchReaderOptions options_;
  const BatchFetch fetch_;
  mutable absl::Mutex mu_;
  std::deque<Request> queue_ ABSL_GUARDED_BY(mu_);
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  AsyncBatchReaderStats stats_ ABSL_GUARDED_BY(mu_);
  std::vector<std::thread> threads_;
};

}  // namespace pg
}  // namespace onem2m

#endif  // ONEM2M_COMMON_PG_ASYNC_BATCH_READER_H_

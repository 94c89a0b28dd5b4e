// File: common/pg/combining_reader.h
//
// CombiningReader answers point reads by key through callbacks, batching them without a thread of
// its own: a caller that finds no batch running becomes the combiner.
// It reads its key and everything queued with one `WHERE key = ANY($1)` query, delivers every
// answer itself, and goes on with whatever queued meanwhile until the queue is empty. Every
// other caller just queues and returns at once.
//
// For callers on a thread pool that may run database reads and wants no extra wake-ups, such as
// the credential fetch's gRPC callback handlers: the answers (and so the gRPC Finish of each
// call) are delivered on one of those handler threads, so no thread is woken per answer. Not for
// event-loop threads, which must never wait on the database (use AsyncBatchReader there).
//
//   CombiningReader<Row> reader({/*max_batch=*/128, /*max_pending=*/10000}, fetch);
//   reader.Get("key", [](absl::StatusOr<std::optional<Row>> r) { ... });
//
// `fetch` is a pg::BatchFetch (batch_read.h). A full queue answers kUnavailable at
// once. One combiner at a time, on purpose: with two, a caller nearly always finds a free slot and
// reads alone (measured: 1 key per read and a third of the rate). Thread safety: Get may be called
// from any number of threads.
#ifndef ONEM2M_COMMON_PG_COMBINING_READER_H_
#define ONEM2M_COMMON_PG_COMBINING_READER_H_

#include <algorithm>
#include <deque>
#include <functional>
#include <optional>
#include <string>
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

struct CombiningReaderOptions {
  int max_batch = 128;      // keys per read
  int max_pending = 10000;  // queued requests beyond which Get fails fast
};

struct CombiningReaderStats {
  int64_t reads = 0;
  int64_t batches = 0;
  int64_t keys = 0;
};

template <typename Value>
class CombiningReader {
 public:
  using BatchFetch = pg::BatchFetch<Value>;
  using Done = ReadDone<Value>;

  CombiningReader(CombiningReaderOptions options, BatchFetch fetch)
      : options_(Sanitise(options)), fetch_(std::move(fetch)) {}

  CombiningReader(const CombiningReader&) = delete;
  CombiningReader& operator=(const CombiningReader&) = delete;

  // Get queues a read of `key`; `done` runs exactly once, on this thread or on another caller's,
  // with the row, nullopt if there is none, or the batch's error.
  void Get(absl::string_view key, Done done) {
    bool queued = false;
    {
      absl::MutexLock lock(&mu_);
      if (static_cast<int>(queue_.size()) < options_.max_pending) {
        queue_.push_back({std::string(key), std::move(done)});
        queued = true;
        ++stats_.reads;
        if (combining_) return;  // the combiner will answer it
        combining_ = true;
      }
    }
    if (!queued) {
      done(absl::UnavailableError("too many reads waiting for the database"));
      return;
    }
    Combine();
  }

  CombiningReaderStats stats() const {
    absl::MutexLock lock(&mu_);
    return stats_;
  }

 private:
  using Request = PendingRead<Value>;

  static CombiningReaderOptions Sanitise(CombiningReaderOptions o) {
    o.max_batch = std::max(1, o.max_batch);
    o.max_pending = std::max(1, o.max_pending);
    return o;
  }

  // Combine reads and answers batches until the queue is empty (this thread holds combining_).
  void Combine() {
    for (;;) {
      std::vector<Request> batch;
      {
        absl::MutexLock lock(&mu_);
        if (queue_.empty()) {
          combining_ = false;
          return;
        }
        batch = TakeBatch(queue_, options_.max_batch);
      }
      const size_t keys = ReadBatch(fetch_, batch);
      absl::MutexLock lock(&mu_);
      ++stats_.batches;
      stats_.keys += static_cast<int64_t>(keys);
    }
  }

  const CombiningReaderOptions options_;
  const BatchFetch fetch_;
  mutable absl::Mutex mu_;
  std::deque<Request> queue_ ABSL_GUARDED_BY(mu_);
  bool combining_ ABSL_GUARDED_BY(mu_) = false;
  CombiningReaderStats stats_ ABSL_GUARDED_BY(mu_);
};

}  // namespace pg
}  // namespace onem2m

#endif  // ONEM2M_COMMON_PG_COMBINING_READER_H_

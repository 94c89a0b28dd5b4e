// File: common/pg/read_coalescer.h
//
// ReadCoalescer merges concurrent point reads by key into batched reads: `n` callers asking for
// `n` keys at once cost one `WHERE key = ANY($1)` round trip instead of `n`. It is the read-side
// twin of the MEF's group commit, for the hot lookups (a credential fetch by KeID, a PSK lookup)
// whose per-query cost in PostgreSQL (protocol round trip, executor start-up, two context
// switches) dwarfs the index probe itself.
//
// No thread of its own: a caller that finds fewer than `max_concurrent` batches running leads one
// on its own thread (its key plus up to max_batch - 1 queued others); otherwise it queues and is
// woken once, either with its answer or to lead the next batch when a running one ends. An
// uncontended caller therefore runs its read at once, as a batch of one.
//
//   ReadCoalescer<Row> rows({/*max_batch=*/64, /*max_concurrent=*/2},
//       [&](const std::vector<std::string>& keys, absl::flat_hash_map<std::string, Row>* found) {
//         ... SELECT ... WHERE key = ANY($1) ...; (*found)[row.key] = row; ...
//         return absl::OkStatus();
//       });
//   absl::StatusOr<std::optional<Row>> r = rows.Get("some-key");  // nullopt: no such row
//
// A batch's error is every caller's error in that batch. Thread safety: Get may be called from
// any number of threads; `fetch` runs on callers' threads, at most max_concurrent at a time.
#ifndef ONEM2M_COMMON_PG_READ_COALESCER_H_
#define ONEM2M_COMMON_PG_READ_COALESCER_H_

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
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"

namespace onem2m {
namespace pg {

struct ReadCoalescerOptions {
  int max_batch = 64;       // keys in one batched read
  int max_concurrent = 2;   // batched reads running at once (pool connections they may hold)
};

struct ReadCoalescerStats {
  int64_t reads = 0;    // Get calls
  int64_t batches = 0;  // fetch calls
  int64_t keys = 0;     // distinct keys fetched (summed over batches)
  absl::Duration fetch_time;  // summed wall time inside fetch
};

template <typename Value>
class ReadCoalescer {
 public:
  // fetch fills `found` with the rows that exist among `keys` (keys are distinct).
  using BatchFetch = std::function<absl::Status(const std::vector<std::string>& keys,
                                                absl::flat_hash_map<std::string, Value>* found)>;

  ReadCoalescer(ReadCoalescerOptions options, BatchFetch fetch)
      : options_(Sanitise(options)), fetch_(std::move(fetch)) {}

  ReadCoalescer(const ReadCoalescer&) = delete;
  ReadCoalescer& operator=(const ReadCoalescer&) = delete;

  // Get returns the row for `key`, nullopt if it does not exist, or the batch's error.
  absl::StatusOr<std::optional<Value>> Get(absl::string_view key) {
    Request self;
    self.key = std::string(key);
    bool lead_now = false;
    {
      absl::MutexLock lock(&mu_);
      ++stats_.reads;
      if (running_ < options_.max_concurrent) {
        ++running_;
        lead_now = true;
      } else {
        queue_.push_back(&self);
      }
    }
    // A queued caller is woken exactly once: answered by the batch that took it, or promoted to
    // lead the next batch when a slot frees up.
    if (!lead_now) {
      self.woken.WaitForNotification();
      if (!self.promoted) return std::move(self.result);
    }
    Lead(&self);
    return std::move(self.result);
  }

  ReadCoalescerStats stats() const {
    absl::MutexLock lock(&mu_);
    return stats_;
  }

 private:
  struct Request {
    std::string key;
    bool promoted = false;  // set before `woken` is notified
    absl::StatusOr<std::optional<Value>> result = std::nullopt;  // set before `woken`
    absl::Notification woken;
  };

  static ReadCoalescerOptions Sanitise(ReadCoalescerOptions o) {
    o.max_batch = std::max(1, o.max_batch);
    o.max_concurrent = std::max(1, o.max_concurrent);
    return o;
  }

  // Lead runs one batch in a slot already counted in running_: `self` plus up to max_batch - 1
  // queued requests, one fetch without the lock, every answer delivered, then the slot handed to
  // the next queued request, if any.
  void Lead(Request* self) ABSL_LOCKS_EXCLUDED(mu_) {
    std::vector<Request*> batch = {self};
    {
      absl::MutexLock lock(&mu_);
      while (!queue_.empty() && static_cast<int>(batch.size()) < options_.max_batch) {
        batch.push_back(queue_.front());
        queue_.pop_front();
      }
      ++stats_.batches;
    }
    std::vector<std::string> keys;
    keys.reserve(batch.size());
    {
      absl::flat_hash_map<absl::string_view, bool> seen;
      for (Request* r : batch) {
        if (seen.emplace(r->key, true).second) keys.push_back(r->key);
      }
    }
    absl::flat_hash_map<std::string, Value> found;
    const absl::Time start = absl::Now();
    absl::Status status = fetch_(keys, &found);
    const absl::Duration took = absl::Now() - start;
    for (Request* r : batch) {
      if (!status.ok()) {
        r->result = status;
      } else {
        auto it = found.find(r->key);
        r->result = it == found.end() ? std::optional<Value>() : std::optional<Value>(it->second);
      }
      if (r != self) r->woken.Notify();  // the last touch of a follower's Request
    }
    Request* next = nullptr;
    {
      absl::MutexLock lock(&mu_);
      stats_.keys += static_cast<int64_t>(keys.size());
      stats_.fetch_time += took;
      if (queue_.empty()) {
        --running_;
      } else {  // keep the slot and pass it on
        next = queue_.front();
        queue_.pop_front();
        next->promoted = true;
      }
    }
    if (next != nullptr) next->woken.Notify();
  }

  const ReadCoalescerOptions options_;
  const BatchFetch fetch_;
  mutable absl::Mutex mu_;
  std::deque<Request*> queue_ ABSL_GUARDED_BY(mu_);  // waiting, not yet in a batch
  int running_ ABSL_GUARDED_BY(mu_) = 0;
  ReadCoalescerStats stats_ ABSL_GUARDED_BY(mu_);
};

}  // namespace pg
}  // namespace onem2m

#endif  // ONEM2M_COMMON_PG_READ_COALESCER_H_

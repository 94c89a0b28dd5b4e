// File: common/pg/group_commit.h
//
// GroupCommitter queues writes from any number of threads and lets one committer thread write
// whatever is queued (up to max_batch items) with one `write` call, typically one transaction, so
// N concurrent writers pay for one round trip and one WAL flush instead of N. Each caller gets its
// own item's result, and only after `write` returned for the batch that held its item (for a
// database write: after the COMMIT), so durability is the caller's as with one transaction each.
//
//   GroupCommitter<Row, absl::Status> committer(
//       {/*max_batch=*/256, /*max_pending=*/20000},
//       [&](std::vector<Row>& batch) { return WriteRows(batch); });  // one status per row
//   absl::Status s = committer.Commit(row);                          // blocks until written
//   committer.CommitAsync(row, [](absl::Status s) { ... });          // on the committer thread
//
// `write` must return exactly one Result per item, in order; it decides what one failing item
// means for its neighbours (PgMafStore: a data error in one row is retried row by row, a lost
// database fails all). Result must be constructible from absl::Status: a full queue (or a
// committer that is stopping) answers kUnavailable at once without calling `write`.
// The destructor writes and answers everything still queued, then joins the thread.
#ifndef ONEM2M_COMMON_PG_GROUP_COMMIT_H_
#define ONEM2M_COMMON_PG_GROUP_COMMIT_H_

#include <pthread.h>

#include <algorithm>
#include <cstdint>
#include <deque>
#include <functional>
#include <optional>
#include <thread>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "common/pg/linger.h"

namespace onem2m {
namespace pg {

struct GroupCommitOptions {
  int max_batch = 256;      // items per `write` call
  int max_pending = 20000;  // queued items beyond which a commit fails fast with kUnavailable
  const char* thread_name = "pg-commit";  // as top -H and perf show it (at most 15 bytes)
  LingerOptions linger;  // under load, wait a little for a larger batch (common/pg/linger.h)
  // The kUnavailable message of a commit refused because max_pending are queued.
  const char* queue_full_message = "too many writes waiting for the database";
};

struct GroupCommitStats {
  int64_t items = 0;    // items written (answered by `write`)
  int64_t batches = 0;  // `write` calls
  int64_t largest = 0;  // most items in one batch
  int64_t queued = 0;   // items waiting now (not yet taken by the committer)
};

template <typename Item, typename Result>
class GroupCommitter {
 public:
  using Write = std::function<std::vector<Result>(std::vector<Item>& batch)>;
  using Done = std::function<void(Result)>;

  GroupCommitter(GroupCommitOptions options, Write write)
      : options_(Sanitise(options)), write_(std::move(write)), thread_([this] { Loop(); }) {}

  ~GroupCommitter() {
    {
      absl::MutexLock lock(&mu_);
      stopping_ = true;
    }
    thread_.join();
  }

  GroupCommitter(const GroupCommitter&) = delete;
  GroupCommitter& operator=(const GroupCommitter&) = delete;

  // CommitAsync queues `item`; `done` runs once with its result, on the committer thread (or here
  // when the queue is full).
  void CommitAsync(Item item, Done done) {
    {
      absl::MutexLock lock(&mu_);
      if (!stopping_ && static_cast<int>(queue_.size()) < options_.max_pending) {
        queue_.push_back(Pending{std::move(item), std::move(done)});
        return;
      }
    }
    done(Result(absl::UnavailableError(options_.queue_full_message)));
  }

  // Commit queues `item` and waits for its result.
  Result Commit(Item item) {
    absl::Notification written;
    std::optional<Result> result;
    CommitAsync(std::move(item), [&](Result r) {
      result.emplace(std::move(r));
      written.Notify();
    });
    written.WaitForNotification();
    return *std::move(result);
  }

  GroupCommitStats stats() const {
    absl::MutexLock lock(&mu_);
    GroupCommitStats s = stats_;
    s.queued = static_cast<int64_t>(queue_.size());
    return s;
  }

 private:
  struct Pending {
    Item item;
    Done done;
  };

  static GroupCommitOptions Sanitise(GroupCommitOptions o) {
    o.max_batch = std::max(1, o.max_batch);
    o.max_pending = std::max(1, o.max_pending);
    return o;
  }

  void Loop() {
    pthread_setname_np(pthread_self(), options_.thread_name);
    size_t previous_batch = 0;
    for (;;) {
      std::vector<Item> items;
      std::vector<Done> dones;
      {
        absl::MutexLock lock(&mu_);
        auto ready = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
          return !queue_.empty() || stopping_;
        };
        mu_.Await(absl::Condition(&ready));
        Linger(
            mu_, options_.linger, previous_batch,
            [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return queue_.size(); },
            [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return stopping_; });
        if (queue_.empty()) return;  // stopping, and everything queued has been answered
        const size_t n = std::min(queue_.size(), static_cast<size_t>(options_.max_batch));
        items.reserve(n);
        dones.reserve(n);
        for (size_t i = 0; i < n; ++i) {
          items.push_back(std::move(queue_.front().item));
          dones.push_back(std::move(queue_.front().done));
          queue_.pop_front();
        }
      }
      previous_batch = items.size();
      std::vector<Result> results = write_(items);
      if (results.size() != items.size()) {
        // A broken `write` must not leave callers waiting forever.
        results.assign(items.size(),
                       Result(absl::InternalError("group commit: wrong number of results")));
      }
      {
        absl::MutexLock lock(&mu_);
        ++stats_.batches;
        stats_.items += static_cast<int64_t>(items.size());
        stats_.largest = std::max<int64_t>(stats_.largest, static_cast<int64_t>(items.size()));
      }
      for (size_t i = 0; i < dones.size(); ++i) dones[i](std::move(results[i]));
    }
  }

  const GroupCommitOptions options_;
  const Write write_;
  mutable absl::Mutex mu_;
  std::deque<Pending> queue_ ABSL_GUARDED_BY(mu_);
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  GroupCommitStats stats_ ABSL_GUARDED_BY(mu_);
  std::thread thread_;  // last: starts after every other member is ready
};

}  // namespace pg
}  // namespace onem2m

#endif  // ONEM2M_COMMON_PG_GROUP_COMMIT_H_

// File: common/handoff_table.h
//
// HandoffTable passes a value from one thread to a later step on another, by key: an asynchronous
// PSK lookup (answered on a store or flight thread) leaves the row it read, and the session
// factory on the I/O thread takes it after the handshake, sparing a second read. Bounded, oldest
// out, because a failed handshake never comes back for its value; a missed Take only costs that
// second read.
//
//   HandoffTable<Enrolee> recent(8192);
//   recent.Put(kpm_id, enrolee);                       // lookup thread
//   std::optional<Enrolee> e = recent.Take(kpm_id);    // I/O thread, once
#ifndef ONEM2M_COMMON_HANDOFF_TABLE_H_
#define ONEM2M_COMMON_HANDOFF_TABLE_H_

#include <cstddef>
#include <deque>
#include <optional>
#include <string>
#include <utility>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"

namespace onem2m {

template <typename V>
class HandoffTable {
 public:
  explicit HandoffTable(size_t capacity) : capacity_(capacity == 0 ? 1 : capacity) {}

  void Put(absl::string_view key, V value) {
    absl::MutexLock lock(&mu_);
    auto [it, inserted] = values_.insert_or_assign(std::string(key), std::move(value));
    if (inserted) order_.push_back(it->first);
    while (values_.size() > capacity_ && !order_.empty()) {
      values_.erase(order_.front());  // a key already taken is simply gone
      order_.pop_front();
    }
    // Keys taken early leave stale entries in order_; keep it from growing without bound.
    if (order_.size() > 2 * capacity_) Compact();
  }

  std::optional<V> Take(absl::string_view key) {
    absl::MutexLock lock(&mu_);
    auto it = values_.find(key);
    if (it == values_.end()) return std::nullopt;
    V v = std::move(it->second);
    values_.erase(it);
    return v;
  }

  size_t size() const {
    absl::MutexLock lock(&mu_);
    return values_.size();
  }

 private:
  void Compact() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    std::deque<std::string> live;
    for (std::string& k : order_) {
      if (values_.contains(k)) live.push_back(std::move(k));
    }
    order_.swap(live);
  }

  const size_t capacity_;
  mutable absl::Mutex mu_;
  absl::flat_hash_map<std::string, V> values_ ABSL_GUARDED_BY(mu_);
  std::deque<std::string> order_ ABSL_GUARDED_BY(mu_);  // insertion order, for eviction
};

}  // namespace onem2m

#endif  // ONEM2M_COMMON_HANDOFF_TABLE_H_

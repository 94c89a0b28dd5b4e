// File: common/pg/batch_read.h
//
// The step of a batched point reader (AsyncBatchReader): read the distinct keys of a batch of
// waiting requests with one fetch, then answer each request with its row, nullopt when there is
// none, or the fetch's error.
#ifndef ONEM2M_COMMON_PG_BATCH_READ_H_
#define ONEM2M_COMMON_PG_BATCH_READ_H_

#include <deque>
#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace onem2m {
namespace pg {

// BatchFetch fills `found` with the rows that exist among `keys` (keys are distinct).
template <typename Value>
using BatchFetch = std::function<absl::Status(const std::vector<std::string>& keys,
                                              absl::flat_hash_map<std::string, Value>* found)>;

template <typename Value>
using ReadDone = std::function<void(absl::StatusOr<std::optional<Value>>)>;

template <typename Value>
struct PendingRead {
  std::string key;
  ReadDone<Value> done;
};

// TakeBatch moves up to `max_batch` requests from the front of `queue` into a batch.
template <typename Value>
std::vector<PendingRead<Value>> TakeBatch(std::deque<PendingRead<Value>>& queue, int max_batch) {
  std::vector<PendingRead<Value>> batch;
  while (!queue.empty() && static_cast<int>(batch.size()) < max_batch) {
    batch.push_back(std::move(queue.front()));
    queue.pop_front();
  }
  return batch;
}

// ReadBatch reads and answers `batch`; returns how many distinct keys it read.
template <typename Value>
size_t ReadBatch(const BatchFetch<Value>& fetch, std::vector<PendingRead<Value>>& batch) {
  std::vector<std::string> keys;
  absl::flat_hash_map<absl::string_view, int> askers;  // requests per key
  for (const PendingRead<Value>& r : batch) {
    if (askers[r.key]++ == 0) keys.push_back(r.key);
  }
  absl::flat_hash_map<std::string, Value> found;
  const absl::Status status = fetch(keys, &found);
  for (PendingRead<Value>& r : batch) {
    if (!status.ok()) {
      r.done(status);
      continue;
    }
    auto it = found.find(r.key);
    if (it == found.end()) {
      r.done(std::optional<Value>());
    } else if (--askers[r.key] == 0) {
      r.done(std::optional<Value>(std::move(it->second)));  // the last asker takes the row
    } else {
      r.done(std::optional<Value>(it->second));
    }
  }
  return keys.size();
}

}  // namespace pg
}  // namespace onem2m

#endif  // ONEM2M_COMMON_PG_BATCH_READ_H_

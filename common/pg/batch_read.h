// File: common/pg/batch_read.h
//
// Batched point reads by key: read the distinct keys of a batch with one fetch, then answer each
// place with its row, nullopt when there is none, or the fetch's error. ReadEach answers a list of
// keys (PgEnroleeStore::GetEnrolmentsByKeIds); ReadBatch answers waiting requests
// (AsyncBatchReader).
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
#include "absl/types/span.h"

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

// ReadEach reads `keys` (repeats allowed) with one fetch of the distinct ones and answers every
// place: out[i] is keys[i]'s row, nullopt when there is none, or the fetch's error. The last place
// asking for a row takes it; earlier ones get copies. `*distinct`, when set, receives how many
// distinct keys were read. No keys: no fetch.
template <typename Value>
std::vector<absl::StatusOr<std::optional<Value>>> ReadEach(const BatchFetch<Value>& fetch,
                                                           absl::Span<const absl::string_view> keys,
                                                           size_t* distinct = nullptr) {
  std::vector<std::string> unique;
  absl::flat_hash_map<absl::string_view, int> askers;  // places per key
  for (absl::string_view k : keys) {
    if (askers[k]++ == 0) unique.emplace_back(k);
  }
  if (distinct != nullptr) *distinct = unique.size();
  absl::flat_hash_map<std::string, Value> found;
  const absl::Status status = unique.empty() ? absl::OkStatus() : fetch(unique, &found);
  std::vector<absl::StatusOr<std::optional<Value>>> out;
  out.reserve(keys.size());
  for (absl::string_view k : keys) {
    if (!status.ok()) {
      out.push_back(status);
      continue;
    }
    auto it = found.find(k);
    if (it == found.end()) {
      out.push_back(std::optional<Value>());
    } else if (--askers[k] == 0) {
      out.push_back(std::optional<Value>(std::move(it->second)));
    } else {
      out.push_back(std::optional<Value>(it->second));
    }
  }
  return out;
}

// ReadBatch reads and answers `batch`; returns how many distinct keys it read.
template <typename Value>
size_t ReadBatch(const BatchFetch<Value>& fetch, std::vector<PendingRead<Value>>& batch) {
  std::vector<absl::string_view> keys;
  keys.reserve(batch.size());
  for (const PendingRead<Value>& r : batch) keys.push_back(r.key);
  size_t distinct = 0;
  std::vector<absl::StatusOr<std::optional<Value>>> answers = ReadEach(fetch, keys, &distinct);
  for (size_t i = 0; i < batch.size(); ++i) batch[i].done(std::move(answers[i]));
  return distinct;
}

}  // namespace pg
}  // namespace onem2m

#endif  // ONEM2M_COMMON_PG_BATCH_READ_H_

// File: common/kek/reseal_rows.h
//
// ResealRows is the part of a store's RewrapBatch (KEK rotation, docs/operations.md "Rotate the
// key-encryption key (KEK)") that every store shares: for each row read under an old KEK version,
// re-seal it (outside any lock or transaction) and write it back only if it still holds the blob
// that was read, counting rows re-sealed and rows lost to a concurrent writer. The MEF and MAF
// stores differ only in how they read the batch and update one row.
//
//   std::vector<kek::PendingRow<SealedColumn, SealedKey>> batch = ...;  // read by the store
//   absl::StatusOr<kek::RewrapCounts> n = kek::ResealRows(batch, reseal,
//       [&](const auto& row, const SealedKey& fresh) -> absl::StatusOr<bool> {
//         return /* updated only if the row still holds row.old */;
//       });
#ifndef ONEM2M_COMMON_KEK_RESEAL_ROWS_H_
#define ONEM2M_COMMON_KEK_RESEAL_ROWS_H_

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"

namespace onem2m {
namespace kek {

// PendingRow is one row read for re-sealing: its column, its id (the blob's associated data) and
// its sealed value as read.
template <typename Column, typename Sealed>
struct PendingRow {
  Column column;
  std::string id;
  Sealed old;
};

// RewrapCounts: rows re-sealed by this batch, and rows skipped because a concurrent writer changed
// them between the read and the update (the next batch picks them up if still under an old
// version).
struct RewrapCounts {
  int64_t rewrapped = 0;
  int64_t raced = 0;
};

// ResealRows calls `reseal(column, id, old)` -> absl::StatusOr<Sealed> for each row, then
// `update(row, fresh)` -> absl::StatusOr<bool> (true if the row still held `row.old` and now holds
// `fresh`). The first error of either is returned; rows already updated stay updated.
template <typename Column, typename Sealed, typename Reseal, typename Update>
absl::StatusOr<RewrapCounts> ResealRows(const std::vector<PendingRow<Column, Sealed>>& rows,
                                        const Reseal& reseal, const Update& update) {
  RewrapCounts counts;
  for (const PendingRow<Column, Sealed>& row : rows) {
    absl::StatusOr<Sealed> fresh = reseal(row.column, row.id, row.old);
    if (!fresh.ok()) return fresh.status();
    absl::StatusOr<bool> updated = update(row, *std::move(fresh));
    if (!updated.ok()) return updated.status();
    if (*updated) {
      ++counts.rewrapped;
    } else {
      ++counts.raced;
    }
  }
  return counts;
}

}  // namespace kek
}  // namespace onem2m

#endif  // ONEM2M_COMMON_KEK_RESEAL_ROWS_H_

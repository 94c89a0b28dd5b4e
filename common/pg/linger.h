// File: common/pg/linger.h
//
// Linger lets a batching thread (a group commit) wait a little for more work before it
// goes to the database with a small batch, as PostgreSQL's own commit_delay does for WAL flushes.
// A statement costs PostgreSQL a fixed part (executor start-up, a wake-up, for a write the commit's
// WAL flush) plus a part per row; under load the batches that form by themselves hold 2 to 4 items,
// so the fixed part dominates (docs/performance.md, "Stop 25"). Waiting up to `wait` for `items`
// items makes fewer, larger statements.
//
// It only lingers under load: after a small batch (LingerOptions::after) the next goes at once, so
// a lone request on an idle service never waits. The longest extra wait is `wait` per batch.
#ifndef ONEM2M_COMMON_PG_LINGER_H_
#define ONEM2M_COMMON_PG_LINGER_H_

#include <algorithm>
#include <cstddef>
#include <functional>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace onem2m::pg {

struct LingerOptions {
  absl::Duration wait = absl::ZeroDuration();  // the longest a batch waits; zero: never linger
  int items = 1;                               // a batch this large goes at once
  // gap: the batch also goes when no new item has arrived for this long (zero: no such rule), so
  // a trickle of requests (few clients) is not held for the whole `wait`.
  absl::Duration gap = absl::ZeroDuration();
  // after: it lingers only after a batch of at least this many items, the sign of a queue that
  // fills by itself; below that (an idle or lightly loaded service) every batch goes at once.
  int after = 2;
  // busy, when set and true as a linger starts, turns the gap rule off for that linger: the
  // service holds so many sessions that more items will come even if none came for `gap` (on slow
  // cores they arrive less often than `gap` under load). Called with the queue's mutex held.
  std::function<bool()> busy;
};

// WriteLinger is what the MEF and MAF stores use for their group commits unless told otherwise
// (--pg_write_linger, --pg_write_linger_items): after a batch of 4 or more rows, the next waits up
// to 3 ms, or for 32 rows, or until 400 us pass without a new row. Measured in
// docs/performance.md, "Linger: how much, and for whom", against 4 to 64 concurrent clients.
inline LingerOptions WriteLinger() {
  return {absl::Milliseconds(3), /*items=*/32, /*gap=*/absl::Microseconds(400), /*after=*/4};
}

// Linger is called by the batching thread with `mu` held, once its queue holds something; `queued`
// reads the queue's length (with `mu` held). It returns at once unless the options ask to linger,
// the previous batch held at least `after` items and the queue holds fewer than `items`; otherwise
// it waits (releasing `mu`) until the queue holds `items`, `stopping()`, no item arrived for `gap`,
// or `wait` has passed.
template <typename Queued, typename Stopping>
void Linger(absl::Mutex& mu, const LingerOptions& options, size_t previous_batch, Queued queued,
            Stopping stopping) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu) {
  const size_t items = static_cast<size_t>(options.items);
  if (options.wait <= absl::ZeroDuration() ||
      previous_batch < static_cast<size_t>(std::max(1, options.after)) || queued() >= items)
    return;
  const absl::Time deadline = absl::Now() + options.wait;
  const absl::Duration gap = options.busy && options.busy() ? absl::ZeroDuration() : options.gap;
  for (;;) {
    const size_t before = queued();
    auto moved = [&]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu) {
      return queued() >= items || stopping() || (gap > absl::ZeroDuration() && queued() != before);
    };
    absl::Time until = deadline;
    if (gap > absl::ZeroDuration()) until = std::min(until, absl::Now() + gap);
    const bool woke = mu.AwaitWithDeadline(absl::Condition(&moved), until);
    if (!woke) {
      // Timed out: the whole linger, or a gap without arrivals.
      return;
    }
    if (queued() >= items || stopping() || absl::Now() >= deadline) return;
  }
}

}  // namespace onem2m::pg

#endif  // ONEM2M_COMMON_PG_LINGER_H_

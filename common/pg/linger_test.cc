#include "common/pg/linger.h"

#include <functional>
#include <thread>

#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "gtest/gtest.h"

namespace onem2m::pg {
namespace {

// A queue as the batching threads keep one: items counted under a mutex.
struct Queue {
  explicit Queue(size_t n) : items(n) {}
  absl::Mutex mu;
  size_t items ABSL_GUARDED_BY(mu);
  bool stopping ABSL_GUARDED_BY(mu) = false;
};

// ChangeLater runs `change` on `q`, under its mutex, after `after`, on a thread of its own.
std::thread ChangeLater(Queue& q, absl::Duration after, std::function<void(Queue&)> change) {
  return std::thread([&q, after, change = std::move(change)] {
    absl::SleepFor(after);
    absl::MutexLock lock(&q.mu);
    change(q);
  });
}

// LingerFor runs Linger on `q` and returns how long it waited.
absl::Duration LingerFor(Queue& q, const LingerOptions& o, size_t previous_batch) {
  const absl::Time start = absl::Now();
  absl::MutexLock lock(&q.mu);
  Linger(
      q.mu, o, previous_batch, [&]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(q.mu) { return q.items; },
      [&]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(q.mu) { return q.stopping; });
  return absl::Now() - start;
}

TEST(LingerTest, AfterALoneItemTheNextGoesAtOnce) {
  Queue q(1);
  // An idle service: the previous batch held one item, so nobody waits for company.
  EXPECT_LT(LingerFor(q, {absl::Seconds(5), 8}, /*previous_batch=*/1), absl::Seconds(1));
  EXPECT_LT(LingerFor(q, {absl::Seconds(5), 8}, /*previous_batch=*/0), absl::Seconds(1));
}

TEST(LingerTest, ZeroWaitOrAFullBatchNeverWaits) {
  Queue q(8);
  EXPECT_LT(LingerFor(q, {absl::Seconds(5), 8}, /*previous_batch=*/4), absl::Seconds(1));
  {
    absl::MutexLock lock(&q.mu);
    q.items = 1;
  }
  EXPECT_LT(LingerFor(q, {absl::ZeroDuration(), 8}, /*previous_batch=*/4), absl::Seconds(1));
}

TEST(LingerTest, UnderLoadASmallBatchWaitsAtMostTheLinger) {
  Queue q(2);
  const absl::Duration waited = LingerFor(q, {absl::Milliseconds(50), 8}, /*previous_batch=*/3);
  EXPECT_GE(waited, absl::Milliseconds(50));
  EXPECT_LT(waited, absl::Seconds(5));
}

TEST(LingerTest, ABatchThatFillsUpGoesBeforeTheLingerEnds) {
  Queue q(2);
  std::thread producer =
      ChangeLater(q, absl::Milliseconds(20),
                  [](Queue& queue) ABSL_NO_THREAD_SAFETY_ANALYSIS { queue.items = 8; });
  const absl::Duration waited = LingerFor(q, {absl::Seconds(30), 8}, /*previous_batch=*/3);
  producer.join();
  EXPECT_GE(waited, absl::Milliseconds(15));
  EXPECT_LT(waited, absl::Seconds(10));  // woken by the eighth item, not by the 30 s linger
}

TEST(LingerTest, WithAGapItGoesOnceItemsStopArriving) {
  Queue q(2);
  // Items keep coming for about 60 ms, then stop: the batch goes one gap after the last, long
  // before the 30 s linger ends.
  std::thread producer([&] {
    for (int i = 0; i < 3; ++i) {
      absl::SleepFor(absl::Milliseconds(20));
      absl::MutexLock lock(&q.mu);
      ++q.items;
    }
  });
  const absl::Duration waited =
      LingerFor(q, {absl::Seconds(30), 100, absl::Milliseconds(200)}, /*previous_batch=*/3);
  producer.join();
  EXPECT_GE(waited, absl::Milliseconds(200));
  EXPECT_LT(waited, absl::Seconds(10));
  absl::MutexLock lock(&q.mu);
  EXPECT_EQ(q.items, 5u);
}

TEST(LingerTest, ABusyServiceWaitsPastTheGap) {
  Queue q(2);
  int asked = 0;
  LingerOptions o{absl::Milliseconds(300), 100, absl::Milliseconds(20), /*after=*/2, [&] {
                    ++asked;
                    return true;
                  }};
  // No item comes: a busy service still waits the whole linger, the gap does not end it.
  EXPECT_GE(LingerFor(q, o, /*previous_batch=*/3), absl::Milliseconds(300));
  EXPECT_EQ(asked, 1);
  // Not busy: the gap ends it as before.
  o.busy = [] { return false; };
  const absl::Duration waited = LingerFor(q, o, /*previous_batch=*/3);
  EXPECT_GE(waited, absl::Milliseconds(20));
  EXPECT_LT(waited, absl::Milliseconds(250));
  // Never asked when it would not linger anyway (a lone previous item).
  o.busy = [&] {
    ++asked;
    return true;
  };
  EXPECT_LT(LingerFor(q, o, /*previous_batch=*/1), absl::Milliseconds(100));
  EXPECT_EQ(asked, 1);
}

TEST(LingerTest, StoppingEndsTheWait) {
  Queue q(1);
  std::thread stopper =
      ChangeLater(q, absl::Milliseconds(20),
                  [](Queue& queue) ABSL_NO_THREAD_SAFETY_ANALYSIS { queue.stopping = true; });
  const absl::Duration waited = LingerFor(q, {absl::Seconds(30), 8}, /*previous_batch=*/3);
  stopper.join();
  EXPECT_LT(waited, absl::Seconds(10));
}

TEST(LingerTest, TheServicesDefaultLingersBrieflyForABatchOfRows) {
  const LingerOptions o = WriteLinger();
  EXPECT_GT(o.wait, absl::ZeroDuration());
  EXPECT_LE(o.wait, absl::Milliseconds(5));  // a bound on what any write can be held
  EXPECT_GT(o.items, 1);
  EXPECT_GT(o.gap, absl::ZeroDuration());
  EXPECT_LT(o.gap, o.wait);
  EXPECT_GE(o.after, 2);  // an idle service's lone writes never wait
}

TEST(LingerTest, ItLingersOnlyAfterABatchOfAtLeastAfterItems) {
  Queue q(1);
  LingerOptions o{absl::Milliseconds(50), 8, absl::ZeroDuration(), /*after=*/4};
  EXPECT_LT(LingerFor(q, o, /*previous_batch=*/3), absl::Milliseconds(40));
  EXPECT_GE(LingerFor(q, o, /*previous_batch=*/4), absl::Milliseconds(50));
}

}  // namespace
}  // namespace onem2m::pg

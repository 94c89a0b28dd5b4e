#include "common/pg/read_coalescer.h"

#include <atomic>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "gtest/gtest.h"

namespace onem2m {
namespace pg {
namespace {

TEST(ReadCoalescerTest, UncontendedReadIsABatchOfOne) {
  std::vector<std::vector<std::string>> calls;
  ReadCoalescer<int> c({}, [&](const std::vector<std::string>& keys,
                               absl::flat_hash_map<std::string, int>* found) {
    calls.push_back(keys);
    for (const std::string& k : keys) {
      if (k != "missing") (*found)[k] = static_cast<int>(k.size());
    }
    return absl::OkStatus();
  });
  absl::StatusOr<std::optional<int>> got = c.Get("abc");
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(**got, 3);
  absl::StatusOr<std::optional<int>> none = c.Get("missing");
  ASSERT_TRUE(none.ok());
  EXPECT_FALSE(none->has_value());
  ASSERT_EQ(calls.size(), 2u);
  EXPECT_EQ(calls[0], std::vector<std::string>{"abc"});
}

// While one batch is blocked, readers queue up; they are served together by the next batch, each
// with its own row, and a duplicated key is fetched once.
TEST(ReadCoalescerTest, QueuedReadsShareOneBatchAndEachGetsItsOwnRow) {
  absl::Notification first_entered, release_first;
  std::atomic<int> calls{0};
  std::vector<size_t> batch_sizes;
  absl::Mutex sizes_mu;
  ReadCoalescer<std::string> c(
      {/*max_batch=*/64, /*max_concurrent=*/1},
      [&](const std::vector<std::string>& keys,
          absl::flat_hash_map<std::string, std::string>* found) {
        if (calls.fetch_add(1) == 0) {
          first_entered.Notify();
          release_first.WaitForNotification();
        }
        {
          absl::MutexLock l(&sizes_mu);
          batch_sizes.push_back(keys.size());
        }
        for (const std::string& k : keys) (*found)[k] = "row-" + k;
        return absl::OkStatus();
      });
  std::thread blocker([&] { EXPECT_EQ(**c.Get("first"), "row-first"); });
  first_entered.WaitForNotification();
  std::vector<std::thread> readers;
  std::atomic<int> right{0};
  for (int i = 0; i < 10; ++i) {
    readers.emplace_back([&, i] {
      const std::string key = i == 9 ? "k0" : absl::StrCat("k", i);  // k0 asked twice
      absl::StatusOr<std::optional<std::string>> r = c.Get(key);
      if (r.ok() && r->has_value() && **r == "row-" + key) ++right;
    });
  }
  // Let every reader queue behind the blocked batch.
  while (c.stats().reads < 11) absl::SleepFor(absl::Milliseconds(1));
  release_first.Notify();
  blocker.join();
  for (auto& t : readers) t.join();
  EXPECT_EQ(right.load(), 10);
  EXPECT_EQ(calls.load(), 2);
  ASSERT_EQ(batch_sizes.size(), 2u);
  EXPECT_EQ(batch_sizes[1], 9u);  // ten readers, nine distinct keys
}

TEST(ReadCoalescerTest, BatchesAreCappedAndRunConcurrentlyUpToTheLimit) {
  std::atomic<int> running{0}, peak{0};
  std::atomic<size_t> biggest{0};
  ReadCoalescer<int> c({/*max_batch=*/4, /*max_concurrent=*/2},
                       [&](const std::vector<std::string>& keys,
                           absl::flat_hash_map<std::string, int>* found) {
                         int now = ++running;
                         int p = peak.load();
                         while (now > p && !peak.compare_exchange_weak(p, now)) {
                         }
                         size_t b = biggest.load();
                         while (keys.size() > b && !biggest.compare_exchange_weak(b, keys.size())) {
                         }
                         absl::SleepFor(absl::Milliseconds(2));
                         for (const std::string& k : keys) (*found)[k] = 1;
                         --running;
                         return absl::OkStatus();
                       });
  std::vector<std::thread> readers;
  std::atomic<int> ok{0};
  for (int i = 0; i < 40; ++i) {
    readers.emplace_back([&, i] {
      for (int j = 0; j < 5; ++j) {
        if (c.Get(absl::StrCat(i, "/", j)).ok()) ++ok;
      }
    });
  }
  for (auto& t : readers) t.join();
  EXPECT_EQ(ok.load(), 200);
  EXPECT_LE(peak.load(), 2);
  EXPECT_LE(biggest.load(), 4u);
  EXPECT_LT(c.stats().batches, 200);  // some coalescing happened
}

TEST(ReadCoalescerTest, ABatchErrorReachesEveryCallerInIt) {
  absl::Notification entered, release;
  std::atomic<int> calls{0};
  std::atomic<bool> database_down{true};
  ReadCoalescer<int> c({64, 1}, [&](const std::vector<std::string>&,
                                    absl::flat_hash_map<std::string, int>*) {
    if (calls.fetch_add(1) == 0) {
      entered.Notify();
      release.WaitForNotification();
      return absl::OkStatus();
    }
    if (database_down) return absl::UnavailableError("database down");
    return absl::OkStatus();
  });
  std::thread first([&] { EXPECT_TRUE(c.Get("a").ok()); });
  entered.WaitForNotification();
  std::vector<std::thread> readers;
  std::atomic<int> unavailable{0};
  for (int i = 0; i < 5; ++i) {
    readers.emplace_back([&, i] {
      if (c.Get(absl::StrCat("b", i)).status().code() == absl::StatusCode::kUnavailable) {
        ++unavailable;
      }
    });
  }
  while (c.stats().reads < 6) absl::SleepFor(absl::Milliseconds(1));
  release.Notify();
  first.join();
  for (auto& t : readers) t.join();
  EXPECT_EQ(unavailable.load(), 5);
  // The next read is a new batch: the error is not remembered.
  database_down = false;
  EXPECT_TRUE(c.Get("later").ok());
}

}  // namespace
}  // namespace pg
}  // namespace onem2m

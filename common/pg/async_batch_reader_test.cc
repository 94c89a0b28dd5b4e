#include "common/pg/async_batch_reader.h"

#include <atomic>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "common/testing/wait_for.h"
#include "gtest/gtest.h"

namespace onem2m {
namespace pg {
namespace {

using ::onem2m::testing::WaitFor;

TEST(AsyncBatchReaderTest, QueuedReadsAreAnsweredTogetherEachWithItsOwnRow) {
  absl::Notification entered, release;
  std::atomic<int> calls{0};
  std::vector<size_t> sizes;
  absl::Mutex mu;
  {
    AsyncBatchReader<std::string> reader(
        {1, 64, 1000}, [&](const std::vector<std::string>& keys,
                           absl::flat_hash_map<std::string, std::string>* found) {
          if (calls.fetch_add(1) == 0) {
            entered.Notify();
            release.WaitForNotification();
          }
          {
            absl::MutexLock l(&mu);
            sizes.push_back(keys.size());
          }
          for (const std::string& k : keys) {
            if (k != "missing") (*found)[k] = "row-" + k;
          }
          return absl::OkStatus();
        });
    std::atomic<int> right{0}, absent{0};
    reader.Get("first", [&](absl::StatusOr<std::optional<std::string>> r) {
      if (r.ok() && r->has_value() && **r == "row-first") ++right;
    });
    entered.WaitForNotification();
    for (int i = 0; i < 10; ++i) {
      const std::string key = i == 9 ? "k0" : absl::StrCat("k", i);
      reader.Get(key, [&, key](absl::StatusOr<std::optional<std::string>> r) {
        if (r.ok() && r->has_value() && **r == "row-" + key) ++right;
      });
    }
    reader.Get("missing", [&](absl::StatusOr<std::optional<std::string>> r) {
      if (r.ok() && !r->has_value()) ++absent;
    });
    release.Notify();
    EXPECT_TRUE(WaitFor([&] { return right.load() + absent.load() >= 12; }));
    EXPECT_EQ(right.load(), 11);
    EXPECT_EQ(absent.load(), 1);
  }
  EXPECT_EQ(calls.load(), 2);
  ASSERT_EQ(sizes.size(), 2u);
  EXPECT_EQ(sizes[1], 10u);  // eleven requests, ten distinct keys (k0 twice)
}

TEST(AsyncBatchReaderTest, ErrorsReachTheBatchAndAFullQueueFailsFast) {
  absl::Notification entered, release;
  std::atomic<int> calls{0};
  AsyncBatchReader<int> reader({1, 64, /*max_pending=*/2},
                               [&](const std::vector<std::string>&,
                                   absl::flat_hash_map<std::string, int>*) {
                                 if (calls.fetch_add(1) == 0) {
                                   entered.Notify();
                                   release.WaitForNotification();
                                   return absl::OkStatus();
                                 }
                                 return absl::UnavailableError("database down");
                               });
  reader.Get("a", [](absl::StatusOr<std::optional<int>>) {});
  entered.WaitForNotification();
  std::atomic<int> unavailable{0};
  auto count = [&](absl::StatusOr<std::optional<int>> r) {
    if (r.status().code() == absl::StatusCode::kUnavailable) ++unavailable;
  };
  reader.Get("b", count);
  reader.Get("c", count);
  reader.Get("d", count);  // queue full: answered at once
  EXPECT_EQ(unavailable.load(), 1);
  release.Notify();
  EXPECT_TRUE(WaitFor([&] { return unavailable.load() >= 3; }));
  EXPECT_EQ(unavailable.load(), 3);
}

}  // namespace
}  // namespace pg
}  // namespace onem2m

#include "common/pg/combining_reader.h"

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

TEST(CombiningReaderTest, AnUncontendedCallerReadsAndIsAnsweredOnItsOwnThread) {
  CombiningReader<int> reader({}, [](const std::vector<std::string>& keys,
                                     absl::flat_hash_map<std::string, int>* found) {
    for (const std::string& k : keys) {
      if (k != "missing") (*found)[k] = static_cast<int>(k.size());
    }
    return absl::OkStatus();
  });
  std::optional<int> got;
  bool absent = false;
  reader.Get("abc", [&](absl::StatusOr<std::optional<int>> r) { got = **r; });
  reader.Get("missing", [&](absl::StatusOr<std::optional<int>> r) { absent = r.ok() && !*r; });
  EXPECT_EQ(got, 3);  // answered before Get returned
  EXPECT_TRUE(absent);
  EXPECT_EQ(reader.stats().batches, 2);
}

// While the combiner waits on the database, other callers queue and return at once; the combiner
// then answers them all in one more read, on its own thread.
TEST(CombiningReaderTest, QueuedCallersReturnAtOnceAndTheCombinerAnswersThem) {
  absl::Notification entered, release;
  std::atomic<int> calls{0};
  std::vector<size_t> sizes;
  CombiningReader<std::string> reader(
      {128, 1000}, [&](const std::vector<std::string>& keys,
                          absl::flat_hash_map<std::string, std::string>* found) {
        if (calls.fetch_add(1) == 0) {
          entered.Notify();
          release.WaitForNotification();
        }
        sizes.push_back(keys.size());
        for (const std::string& k : keys) (*found)[k] = "row-" + k;
        return absl::OkStatus();
      });
  std::thread::id combiner_thread, answered_on;
  std::thread combiner([&] {
    combiner_thread = std::this_thread::get_id();
    reader.Get("first", [](absl::StatusOr<std::optional<std::string>>) {});
  });
  entered.WaitForNotification();
  std::atomic<int> right{0};
  for (int i = 0; i < 10; ++i) {
    const std::string key = i == 9 ? "k0" : absl::StrCat("k", i);
    reader.Get(key, [&, key](absl::StatusOr<std::optional<std::string>> r) {
      if (r.ok() && r->has_value() && **r == "row-" + key) ++right;
      answered_on = std::this_thread::get_id();
    });
  }
  EXPECT_EQ(right.load(), 0);  // queued, not answered: Get returned without waiting
  release.Notify();
  combiner.join();
  EXPECT_EQ(right.load(), 10);
  EXPECT_EQ(answered_on, combiner_thread);
  ASSERT_EQ(sizes.size(), 2u);
  EXPECT_EQ(sizes[1], 9u);  // ten callers, nine distinct keys
}

TEST(CombiningReaderTest, ErrorsReachTheBatchAndAFullQueueFailsFast) {
  absl::Notification entered, release;
  std::atomic<int> calls{0};
  CombiningReader<int> reader({64, /*max_pending=*/2},
                              [&](const std::vector<std::string>&,
                                  absl::flat_hash_map<std::string, int>*) {
                                if (calls.fetch_add(1) == 0) {
                                  entered.Notify();
                                  release.WaitForNotification();
                                  return absl::OkStatus();
                                }
                                return absl::UnavailableError("database down");
                              });
  std::thread combiner([&] { reader.Get("a", [](absl::StatusOr<std::optional<int>>) {}); });
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
  combiner.join();
  EXPECT_EQ(unavailable.load(), 3);
}

}  // namespace
}  // namespace pg
}  // namespace onem2m

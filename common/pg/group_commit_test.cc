#include "common/pg/group_commit.h"

#include <atomic>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/notification.h"
#include "common/testing/wait_for.h"
#include "gtest/gtest.h"

namespace onem2m {
namespace pg {
namespace {

using ::onem2m::testing::WaitFor;
using Committer = GroupCommitter<int, absl::StatusOr<std::string>>;

// Blocker holds the committer inside its first `write` until released, so later items queue up
// and must be written together.
struct Blocker {
  absl::Notification entered, release;
  std::atomic<int> calls{0};
  void MaybeBlock() {
    if (calls.fetch_add(1) == 0) {
      entered.Notify();
      release.WaitForNotification();
    }
  }
};

TEST(GroupCommitterTest, ConcurrentWritersShareBatchesAndEachGetsItsOwnResult) {
  Blocker blocker;
  std::vector<size_t> sizes;
  absl::Mutex mu;
  Committer committer({/*max_batch=*/1000, /*max_pending=*/1000}, [&](std::vector<int>& batch) {
    blocker.MaybeBlock();
    {
      absl::MutexLock l(&mu);
      sizes.push_back(batch.size());
    }
    std::vector<absl::StatusOr<std::string>> out;
    for (int v : batch) out.push_back(absl::StrCat("row-", v));
    return out;
  });
  std::thread first([&] { EXPECT_EQ(*committer.Commit(-1), "row--1"); });
  blocker.entered.WaitForNotification();
  constexpr int kWriters = 16, kEach = 20;
  std::atomic<int> right{0};
  std::vector<std::thread> writers;
  for (int w = 0; w < kWriters; ++w) {
    writers.emplace_back([&, w] {
      for (int i = 0; i < kEach; ++i) {
        const int v = w * 1000 + i;
        absl::StatusOr<std::string> r = committer.Commit(v);
        if (r.ok() && *r == absl::StrCat("row-", v)) ++right;
      }
    });
  }
  // Every writer is waiting on its first item before the committer may go on.
  ASSERT_TRUE(WaitFor([&] { return committer.stats().queued == kWriters; }));
  blocker.release.Notify();
  for (std::thread& t : writers) t.join();
  first.join();
  EXPECT_EQ(right.load(), kWriters * kEach);
  const GroupCommitStats stats = committer.stats();
  EXPECT_EQ(stats.items, kWriters * kEach + 1);
  // Writers wait for their answer before sending the next item, so a batch holds at most one
  // item per writer, and the items queued behind the blocked batch went together.
  EXPECT_LT(stats.batches, stats.items);
  EXPECT_LE(stats.largest, kWriters);
  EXPECT_GT(stats.largest, 1);
}

TEST(GroupCommitterTest, AFailingItemFailsOnlyItself) {
  Blocker blocker;
  Committer committer({1000, 1000}, [&](std::vector<int>& batch) {
    blocker.MaybeBlock();
    std::vector<absl::StatusOr<std::string>> out;
    for (int v : batch) {
      if (v == 7) {
        out.push_back(absl::AlreadyExistsError("duplicate"));
      } else {
        out.push_back(absl::StrCat("row-", v));
      }
    }
    return out;
  });
  std::thread first([&] { EXPECT_TRUE(committer.Commit(0).ok()); });
  blocker.entered.WaitForNotification();
  std::vector<absl::StatusOr<std::string>> results(10, absl::UnknownError("unset"));
  std::vector<std::thread> writers;
  for (int v = 1; v <= 10; ++v) {
    writers.emplace_back([&, v] { results[v - 1] = committer.Commit(v); });
  }
  blocker.release.Notify();
  for (std::thread& t : writers) t.join();
  first.join();
  for (int v = 1; v <= 10; ++v) {
    if (v == 7) {
      EXPECT_EQ(results[v - 1].status().code(), absl::StatusCode::kAlreadyExists);
    } else {
      ASSERT_TRUE(results[v - 1].ok()) << results[v - 1].status();
      EXPECT_EQ(*results[v - 1], absl::StrCat("row-", v));
    }
  }
}

TEST(GroupCommitterTest, ABatchThatFailsAsAWholeFailsEveryItemInIt) {
  Committer committer({1000, 1000}, [](std::vector<int>& batch) {
    // What a store does when the database is gone: everyone in the batch hears it.
    return std::vector<absl::StatusOr<std::string>>(batch.size(),
                                                     absl::UnavailableError("database down"));
  });
  std::vector<std::thread> writers;
  std::atomic<int> unavailable{0};
  for (int v = 0; v < 8; ++v) {
    writers.emplace_back([&, v] {
      if (committer.Commit(v).status().code() == absl::StatusCode::kUnavailable) ++unavailable;
    });
  }
  for (std::thread& t : writers) t.join();
  EXPECT_EQ(unavailable.load(), 8);
}

TEST(GroupCommitterTest, BatchesAreCappedAtMaxBatch) {
  Blocker blocker;
  std::vector<size_t> sizes;
  absl::Mutex mu;
  Committer committer({/*max_batch=*/3, 1000}, [&](std::vector<int>& batch) {
    blocker.MaybeBlock();
    absl::MutexLock l(&mu);
    sizes.push_back(batch.size());
    return std::vector<absl::StatusOr<std::string>>(batch.size(), std::string("ok"));
  });
  std::atomic<int> answered{0};
  committer.CommitAsync(0, [&](absl::StatusOr<std::string>) { ++answered; });
  blocker.entered.WaitForNotification();
  for (int v = 1; v <= 7; ++v) {
    committer.CommitAsync(v, [&](absl::StatusOr<std::string>) { ++answered; });
  }
  blocker.release.Notify();
  ASSERT_TRUE(WaitFor([&] { return answered.load() == 8; }));
  absl::MutexLock l(&mu);
  EXPECT_EQ(sizes, (std::vector<size_t>{1, 3, 3, 1}));
}

TEST(GroupCommitterTest, AFullQueueAnswersUnavailableAtOnce) {
  Blocker blocker;
  GroupCommitOptions o{1000, /*max_pending=*/2};
  o.queue_full_message = "store: too many rows waiting";
  Committer committer(o, [&](std::vector<int>& batch) {
    blocker.MaybeBlock();
    return std::vector<absl::StatusOr<std::string>>(batch.size(), std::string("ok"));
  });
  std::atomic<int> ok{0};
  committer.CommitAsync(0, [&](absl::StatusOr<std::string> r) { ok += r.ok(); });
  blocker.entered.WaitForNotification();  // item 0 left the queue
  committer.CommitAsync(1, [&](absl::StatusOr<std::string> r) { ok += r.ok(); });
  committer.CommitAsync(2, [&](absl::StatusOr<std::string> r) { ok += r.ok(); });
  absl::StatusOr<std::string> refused = absl::UnknownError("unset");
  committer.CommitAsync(3, [&](absl::StatusOr<std::string> r) { refused = std::move(r); });
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kUnavailable);  // answered synchronously
  EXPECT_EQ(refused.status().message(), "store: too many rows waiting");  // the owner's words
  blocker.release.Notify();
  EXPECT_TRUE(WaitFor([&] { return ok.load() == 3; }));
}

TEST(GroupCommitterTest, DestructorWritesAndAnswersEverythingQueued) {
  Blocker blocker;
  std::atomic<int> written{0}, answered{0};
  {
    Committer committer({2, 1000}, [&](std::vector<int>& batch) {
      blocker.MaybeBlock();
      written += static_cast<int>(batch.size());
      return std::vector<absl::StatusOr<std::string>>(batch.size(), std::string("ok"));
    });
    for (int v = 0; v < 5; ++v) {
      committer.CommitAsync(v, [&](absl::StatusOr<std::string> r) { answered += r.ok(); });
    }
    blocker.entered.WaitForNotification();
    blocker.release.Notify();
  }
  EXPECT_EQ(written.load(), 5);
  EXPECT_EQ(answered.load(), 5);
}

TEST(GroupCommitterTest, AWriteReturningTheWrongCountFailsItsBatchInsteadOfHanging) {
  Committer committer({1000, 1000}, [](std::vector<int>&) {
    return std::vector<absl::StatusOr<std::string>>();
  });
  EXPECT_EQ(committer.Commit(1).status().code(), absl::StatusCode::kInternal);
}

}  // namespace
}  // namespace pg
}  // namespace onem2m

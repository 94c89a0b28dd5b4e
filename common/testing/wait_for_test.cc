#include "common/testing/wait_for.h"

#include <atomic>
#include <thread>

#include "absl/synchronization/notification.h"
#include "gtest/gtest.h"

namespace onem2m::testing {
namespace {

TEST(WaitForTest, ReturnsTrueOnceAnotherThreadMakesTheConditionHold) {
  std::atomic<bool> done{false};
  absl::Notification go;
  std::thread t([&] {
    go.WaitForNotification();
    done = true;
  });
  go.Notify();
  EXPECT_TRUE(WaitFor([&] { return done.load(); }));
  t.join();
}

TEST(WaitForTest, ReturnsFalseWhenTheConditionNeverHolds) {
  int checks = 0;
  EXPECT_FALSE(WaitFor(
      [&] {
        ++checks;
        return false;
      },
      absl::Milliseconds(20), absl::Milliseconds(1)));
  EXPECT_GE(checks, 2);
}

TEST(WaitForTest, ChecksOnceWhenTheConditionAlreadyHolds) {
  int checks = 0;
  EXPECT_TRUE(WaitFor([&] {
    ++checks;
    return true;
  }));
  EXPECT_EQ(checks, 1);
}

}  // namespace
}  // namespace onem2m::testing

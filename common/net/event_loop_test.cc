#include "common/net/event_loop.h"

#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <functional>
#include <thread>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "gtest/gtest.h"

namespace onem2m::net {
namespace {

TEST(EventLoopTest, PostFromAnotherThreadRunsOnLoop) {
  EventLoop loop;
  ASSERT_TRUE(loop.ok());
  std::atomic<int> ran{0};
  std::thread th([&] { loop.Run(); });
  loop.Post([&] {
    ran = 1;
    loop.Stop();
  });
  th.join();
  EXPECT_EQ(ran.load(), 1);
}

// A chain of tasks each posted by the one before, on the loop thread: such a Post writes no
// wake-up, so the loop must run them without waiting (were one left waiting for the 1 s epoll
// timeout, the chain would take 1000 s and the test time out).
TEST(EventLoopTest, PostsFromTheLoopThreadRunWithoutAWakeUp) {
  EventLoop loop;
  int left = 1000;
  std::function<void()> step = [&] {
    if (--left == 0) {
      loop.Stop();
      return;
    }
    loop.Post(step);
  };
  loop.Post(step);
  loop.Run();
  EXPECT_EQ(left, 0);
}

// Ping-pong with another thread, which posts each task only after the previous one ran: every
// such Post must wake the loop (a wake-up lost to the one-write-per-burst rule would leave a task
// waiting for the 1 s timeout, 2000 times over). Then a burst from four threads: each task once.
TEST(EventLoopTest, PostsFromOtherThreadsAlwaysWakeTheLoop) {
  EventLoop loop;
  std::thread th([&] { loop.Run(); });
  absl::Mutex mu;
  int ran = 0;
  struct Progress {
    int* ran;
    int want;
  };
  for (int i = 1; i <= 2000; ++i) {
    loop.Post([&] {
      absl::MutexLock l(&mu);
      ++ran;
    });
    Progress p{&ran, i};
    absl::MutexLock l(&mu);
    mu.Await(absl::Condition(
        +[](Progress* p) { return *p->ran >= p->want; }, &p));
  }
  {
    absl::MutexLock l(&mu);
    EXPECT_EQ(ran, 2000);
  }
  std::atomic<int> burst{0};
  std::vector<std::thread> posters;
  for (int t = 0; t < 4; ++t) {
    posters.emplace_back([&] {
      for (int i = 0; i < 5000; ++i) loop.Post([&] { burst.fetch_add(1); });
    });
  }
  for (auto& p : posters) p.join();
  loop.Post([&] { loop.Stop(); });
  th.join();
  EXPECT_EQ(burst.load(), 20000);
}

TEST(EventLoopTest, TimersFireInOrderAndCancelledOnesDoNot) {
  EventLoop loop;
  std::vector<int> order;
  loop.RunAfter(absl::Milliseconds(30), [&] { order.push_back(2); });
  loop.RunAfter(absl::Milliseconds(10), [&] { order.push_back(1); });
  TimerId cancelled = loop.RunAfter(absl::Milliseconds(20), [&] { order.push_back(99); });
  loop.Cancel(cancelled);
  loop.RunAfter(absl::Milliseconds(50), [&] { loop.Stop(); });
  loop.Run();
  EXPECT_EQ(order, (std::vector<int>{1, 2}));
}

TEST(EventLoopTest, ReadinessCallbackSeesData) {
  int sv[2];
  ASSERT_EQ(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv), 0);
  EventLoop loop;
  std::string got;
  ASSERT_TRUE(loop.Watch(sv[0], EPOLLIN,
                         [&](uint32_t) {
                           char buf[16];
                           ssize_t n = read(sv[0], buf, sizeof(buf));
                           if (n > 0) got.assign(buf, n);
                           loop.Unwatch(sv[0]);
                           loop.Stop();
                         })
                  .ok());
  ASSERT_EQ(write(sv[1], "ping", 4), 4);
  loop.Run();
  EXPECT_EQ(got, "ping");
  close(sv[0]);
  close(sv[1]);
}

}  // namespace
}  // namespace onem2m::net

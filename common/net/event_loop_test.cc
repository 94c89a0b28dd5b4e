#include "common/net/event_loop.h"

#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <thread>

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

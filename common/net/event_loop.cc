#include "common/net/event_loop.h"

#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <utility>

#include "absl/strings/str_cat.h"

namespace onem2m::net {

EventLoop::EventLoop() : now_(absl::Now()) {
  epoll_fd_ = epoll_create1(EPOLL_CLOEXEC);
  wake_fd_ = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (epoll_fd_ >= 0 && wake_fd_ >= 0) {
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.fd = wake_fd_;
    epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, wake_fd_, &ev);
  }
}

EventLoop::~EventLoop() {
  if (wake_fd_ >= 0) close(wake_fd_);
  if (epoll_fd_ >= 0) close(epoll_fd_);
}

absl::Status EventLoop::Watch(int fd, uint32_t events, FdCallback callback) {
  epoll_event ev{};
  ev.events = events;
  ev.data.fd = fd;
  if (epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, fd, &ev) != 0) {
    return absl::InternalError(absl::StrCat("epoll_ctl(ADD): ", std::strerror(errno)));
  }
  callbacks_[fd] = std::make_shared<FdCallback>(std::move(callback));
  return absl::OkStatus();
}

absl::Status EventLoop::Rearm(int fd, uint32_t events) {
  epoll_event ev{};
  ev.events = events;
  ev.data.fd = fd;
  if (epoll_ctl(epoll_fd_, EPOLL_CTL_MOD, fd, &ev) != 0) {
    return absl::InternalError(absl::StrCat("epoll_ctl(MOD): ", std::strerror(errno)));
  }
  return absl::OkStatus();
}

void EventLoop::Unwatch(int fd) {
  epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, fd, nullptr);
  callbacks_.erase(fd);
}

TimerId EventLoop::RunAfter(absl::Duration delay, Task task) {
  TimerId id = next_timer_id_++;
  timer_heap_.push(Timer{now_ + delay, id});
  timer_tasks_.emplace(id, std::move(task));
  return id;
}

void EventLoop::Cancel(TimerId id) { timer_tasks_.erase(id); }

void EventLoop::Post(Task task) {
  {
    absl::MutexLock lock(&mu_);
    posted_.push_back(std::move(task));
  }
  uint64_t one = 1;
  ssize_t n = write(wake_fd_, &one, sizeof(one));
  (void)n;  // A full counter already means "wake up".
}

void EventLoop::Stop() {
  {
    absl::MutexLock lock(&mu_);
    stop_ = true;
  }
  uint64_t one = 1;
  ssize_t n = write(wake_fd_, &one, sizeof(one));
  (void)n;
}

void EventLoop::RunPosted() {
  std::vector<Task> tasks;
  {
    absl::MutexLock lock(&mu_);
    tasks.swap(posted_);
  }
  for (Task& t : tasks) t();
}

void EventLoop::RunDueTimers() {
  while (!timer_heap_.empty() && timer_heap_.top().when <= now_) {
    TimerId id = timer_heap_.top().id;
    timer_heap_.pop();
    auto it = timer_tasks_.find(id);
    if (it == timer_tasks_.end()) continue;  // cancelled
    Task task = std::move(it->second);
    timer_tasks_.erase(it);
    task();
  }
  // Drop cancelled timers at the top so they do not shorten the epoll timeout.
  while (!timer_heap_.empty() && !timer_tasks_.contains(timer_heap_.top().id)) timer_heap_.pop();
}

int EventLoop::NextTimeoutMs() {
  if (timer_heap_.empty()) return 1000;
  absl::Duration d = timer_heap_.top().when - absl::Now();
  if (d <= absl::ZeroDuration()) return 0;
  int64_t ms = absl::ToInt64Milliseconds(d) + 1;
  return ms > 1000 ? 1000 : static_cast<int>(ms);
}

void EventLoop::Run() {
  constexpr int kMaxEvents = 256;
  epoll_event events[kMaxEvents];
  for (;;) {
    {
      absl::MutexLock lock(&mu_);
      if (stop_) break;
    }
    int n = epoll_wait(epoll_fd_, events, kMaxEvents, NextTimeoutMs());
    now_ = absl::Now();
    for (int i = 0; i < n; ++i) {
      int fd = events[i].data.fd;
      if (fd == wake_fd_) {
        uint64_t v;
        while (read(wake_fd_, &v, sizeof(v)) > 0) {
        }
        continue;
      }
      auto it = callbacks_.find(fd);
      if (it == callbacks_.end()) continue;
      // Hold a reference: the callback may Unwatch (and so destroy) itself.
      std::shared_ptr<FdCallback> cb = it->second;
      (*cb)(events[i].events);
    }
    RunPosted();
    RunDueTimers();
  }
  RunPosted();
}

}  // namespace onem2m::net

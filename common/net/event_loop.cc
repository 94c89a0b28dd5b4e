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

void EventLoop::Compact() {
  // A table at an eighth of its room or less: rehash(0) shrinks it to fit what it holds.
  auto sparse = [](size_t size, size_t room) { return room > 1024 && size * 8 < room; };
  if (sparse(callbacks_.size(), callbacks_.capacity())) callbacks_.rehash(0);
  if (sparse(timer_tasks_.size(), timer_tasks_.capacity())) timer_tasks_.rehash(0);
  if (timer_heap_.size() > 1024 && timer_tasks_.size() * 8 < timer_heap_.size()) {
    std::vector<Timer> live;
    live.reserve(timer_tasks_.size());
    for (; !timer_heap_.empty(); timer_heap_.pop()) {
      if (timer_tasks_.contains(timer_heap_.top().id)) live.push_back(timer_heap_.top());
    }
    timer_heap_ = decltype(timer_heap_)(std::greater<Timer>(), std::move(live));
  }
}

void EventLoop::Post(Task task) {
  {
    absl::MutexLock lock(&mu_);
    posted_.push_back(std::move(task));
  }
  // On the loop thread: Run() looks at posted_ before it waits, so no wake-up is needed. Elsewhere:
  // one eventfd write until the loop has seen it (wake_pending_), since the loop takes every task
  // queued by then in one RunPosted.
  if (std::this_thread::get_id() == loop_thread_.load(std::memory_order_relaxed)) return;
  if (wake_pending_.exchange(true, std::memory_order_acq_rel)) return;
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
  loop_thread_.store(std::this_thread::get_id(), std::memory_order_relaxed);
  for (;;) {
    bool posted_waiting;
    {
      absl::MutexLock lock(&mu_);
      if (stop_) break;
      posted_waiting = !posted_.empty();  // posted from this thread, which wrote no wake-up
    }
    int n = epoll_wait(epoll_fd_, events, kMaxEvents, posted_waiting ? 0 : NextTimeoutMs());
    now_ = absl::Now();
    for (int i = 0; i < n; ++i) {
      int fd = events[i].data.fd;
      if (fd == wake_fd_) {
        uint64_t v;
        (void)!read(wake_fd_, &v, sizeof(v));  // one read resets an eventfd counter to zero
        // Cleared after the read (a write in between is not lost: its task was queued before its
        // Post saw the flag still set) and before RunPosted takes the queue, so every task
        // queued after this point comes with a write of its own.
        wake_pending_.store(false, std::memory_order_release);
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
  loop_thread_.store(std::thread::id(), std::memory_order_relaxed);
}

}  // namespace onem2m::net

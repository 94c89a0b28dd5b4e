// File: common/net/event_loop.h
//
// EventLoop is a single-threaded epoll reactor: file-descriptor readiness callbacks, one-shot
// timers and tasks posted from other threads. The MEF and MAF run one loop per I/O thread, so
// thousands of connections share a few threads and a slow peer costs a timer and a few kilobytes,
// not a thread.
//
//   EventLoop loop;
//   loop.Watch(fd, EPOLLIN, [&](uint32_t events) { ... });
//   TimerId t = loop.RunAfter(absl::Seconds(5), [&] { CloseIdle(); });
//   std::thread th([&] { loop.Run(); });
//   loop.Post([&] { loop.Stop(); });   // thread-safe
//   th.join();
//
// Thread safety: Post() and Stop() may be called from any thread; everything else only from the
// loop's own thread (or before Run()).
#ifndef ONEM2M_COMMON_NET_EVENT_LOOP_H_
#define ONEM2M_COMMON_NET_EVENT_LOOP_H_

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <queue>
#include <thread>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace onem2m::net {

using TimerId = uint64_t;

class EventLoop {
 public:
  using FdCallback = std::function<void(uint32_t epoll_events)>;
  using Task = std::function<void()>;

  EventLoop();
  ~EventLoop();
  EventLoop(const EventLoop&) = delete;
  EventLoop& operator=(const EventLoop&) = delete;

  // ok returns false if the epoll or eventfd descriptors could not be created.
  bool ok() const { return epoll_fd_ >= 0 && wake_fd_ >= 0; }

  // Watch registers `fd` for `events` (EPOLLIN, EPOLLOUT, ...). The callback runs on the loop
  // thread. The loop does not own `fd`.
  absl::Status Watch(int fd, uint32_t events, FdCallback callback);
  // Rearm changes the events watched for `fd`.
  absl::Status Rearm(int fd, uint32_t events);
  // Unwatch forgets `fd`; safe to call from inside its own callback.
  void Unwatch(int fd);

  // RunAfter schedules `task` once after `delay`. Returns an id for Cancel.
  TimerId RunAfter(absl::Duration delay, Task task);
  // Cancel drops a pending timer; a no-op if it already ran.
  void Cancel(TimerId id);

  // Post queues `task` to run on the loop thread. Thread-safe. From the loop thread itself it
  // costs no wake-up (the loop runs posted tasks before it waits again); from other threads one
  // eventfd write wakes the loop for every task posted until it runs them.
  void Post(Task task);

  // Run processes events until Stop(). Returns after the last task ran.
  void Run();
  // Stop makes Run() return. Thread-safe.
  void Stop();

  // Compact gives back the capacity of the fd and timer tables (and drops cancelled timers still
  // queued) once they hold far fewer entries than they have room for, as after a flood of
  // connections closed: their arrays would otherwise stay resident at the flood's size. Loop
  // thread only, outside fd callbacks and timers (from a posted task).
  void Compact();

  // Now is the loop's cached clock, refreshed once per iteration.
  absl::Time Now() const { return now_; }

 private:
  struct Timer {
    absl::Time when;
    TimerId id;
    bool operator>(const Timer& o) const { return when > o.when || (when == o.when && id > o.id); }
  };

  void RunPosted();
  void RunDueTimers();
  int NextTimeoutMs();

  int epoll_fd_ = -1;
  int wake_fd_ = -1;
  absl::Time now_;
  absl::flat_hash_map<int, std::shared_ptr<FdCallback>> callbacks_;
  std::priority_queue<Timer, std::vector<Timer>, std::greater<Timer>> timer_heap_;
  absl::flat_hash_map<TimerId, Task> timer_tasks_;
  TimerId next_timer_id_ = 1;

  // The thread inside Run(), so Post can tell when it needs no wake-up.
  std::atomic<std::thread::id> loop_thread_{};
  // Set by the Post that wrote the eventfd, cleared by the loop when it sees the wake-up: the
  // Posts in between need not write again (one write per burst, not one per task).
  std::atomic<bool> wake_pending_{false};

  absl::Mutex mu_;
  std::vector<Task> posted_ ABSL_GUARDED_BY(mu_);
  bool stop_ ABSL_GUARDED_BY(mu_) = false;
};

}  // namespace onem2m::net

#endif  // ONEM2M_COMMON_NET_EVENT_LOOP_H_

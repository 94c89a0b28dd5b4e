// File: services/common/open_sessions.h
//
// OpenSessions lets a store's group commit, made before the TLS/DTLS server, read how many
// sessions that server holds: the linger ignores its gap while the count is high
// (pg::LingerOptions::busy, docs/operations.md "Scale"). Attach once the server runs; detach
// before it is destroyed (the mutex makes sure no read is under way once Attach(nullptr) returns).
//
//   auto sessions = std::make_shared<OpenSessions>();
//   store_options.writes.linger.busy = LingerBusyAt(sessions, kLingerBusySessions);
//   ... start the server; sessions->Attach([s] { return s->open_sessions(); });
//   ... sessions->Attach(nullptr) before the server goes.
#ifndef ONEM2M_SERVICES_COMMON_OPEN_SESSIONS_H_
#define ONEM2M_SERVICES_COMMON_OPEN_SESSIONS_H_

#include <functional>
#include <memory>
#include <utility>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"

namespace onem2m::services {

class OpenSessions {
 public:
  void Attach(std::function<int()> count) {
    absl::MutexLock lock(&mu_);
    count_ = std::move(count);
  }
  int Get() const {
    absl::MutexLock lock(&mu_);
    return count_ ? count_() : 0;
  }

 private:
  mutable absl::Mutex mu_;
  std::function<int()> count_ ABSL_GUARDED_BY(mu_);
};

// The services' default for --pg_write_linger_busy_sessions: with 64 concurrent clients on two
// slow cores the linger's gap ended most waits; with 8 a longer wait cost throughput
// (docs/performance.md, "Stop 32").
inline constexpr int kLingerBusySessions = 32;

// LingerBusyAt returns a pg::LingerOptions::busy that holds while `sessions` counts at least `at`.
inline std::function<bool()> LingerBusyAt(std::shared_ptr<const OpenSessions> sessions, int at) {
  return [sessions = std::move(sessions), at] { return sessions->Get() >= at; };
}

}  // namespace onem2m::services

#endif  // ONEM2M_SERVICES_COMMON_OPEN_SESSIONS_H_

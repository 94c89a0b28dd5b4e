// File: common/psk_server/capacity_guard.h
//
// CapacityGuard bounds what one PskServer process may hold, whatever the number of sources: at
// most `max_sessions` open sessions (TLS connections plus DTLS sessions, all I/O threads), and a
// memory budget on the process's heap. Past either, new connections and new DTLS sessions are
// refused before any TLS state is made for them (HandshakeOutcome::kOverCapacity); sessions
// already open are never touched, so a flood cannot evict working devices.
//
// The memory reading is sampled, not taken per connection: the bytes malloc has handed out, live
// (common/allocator/allocator.h: glibc's mallinfo2 or jemalloc's stats.allocated; not the heap's
// free pages, which would keep the server refusing after a flood until trimmed) at most every
// `sample_interval`, or the resident size from /proc/self/statm when a preloaded allocator says
// nothing (tcmalloc through LD_PRELOAD, say).
//
//   CapacityGuard guard(10000, 320 << 20);
//   if (guard.Admit(open_now) != CapacityGuard::Verdict::kAdmit) { close(fd); count it; }
//
// Thread-safe: every I/O thread shares one guard.
#ifndef ONEM2M_COMMON_PSK_SERVER_CAPACITY_GUARD_H_
#define ONEM2M_COMMON_PSK_SERVER_CAPACITY_GUARD_H_

#include <atomic>
#include <cstdint>

#include "absl/time/time.h"

namespace onem2m::server {

class CapacityGuard {
 public:
  enum class Verdict { kAdmit, kTooManySessions, kOverMemoryBudget };

  // `max_sessions` <= 0 and `memory_budget_bytes` <= 0 disable their check.
  CapacityGuard(int max_sessions, int64_t memory_budget_bytes,
                absl::Duration sample_interval = absl::Milliseconds(100));

  // Admit says whether one more session may open while `open_sessions` are open. Refusals are
  // counted and logged (one warning per 10 s at most, with the number refused since).
  Verdict Admit(int open_sessions);

  // refused returns the sessions refused so far.
  int64_t refused() const { return refused_.load(std::memory_order_relaxed); }

  // HeapBytesInUse returns the allocator's live bytes (allocator::LiveHeapBytes) and the buffer
  // pool's, or the resident size when the allocator reports nothing. Not sampled: call sparingly.
  static int64_t HeapBytesInUse();

 private:
  int64_t SampledBytes();
  void Warn(Verdict verdict, int open_sessions);

  const int max_sessions_;
  const int64_t budget_bytes_;
  const int64_t sample_ns_;
  std::atomic<int64_t> next_sample_ns_{0};
  std::atomic<int64_t> last_bytes_{0};
  std::atomic<int64_t> refused_{0};
  std::atomic<int64_t> next_warn_ns_{0};
  std::atomic<int64_t> unwarned_{0};
};

}  // namespace onem2m::server

#endif  // ONEM2M_COMMON_PSK_SERVER_CAPACITY_GUARD_H_

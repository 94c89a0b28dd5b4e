#include "common/psk_server/capacity_guard.h"

#include <fcntl.h>
#include <unistd.h>

#include <string>

#include "absl/time/clock.h"
#include "common/allocator/allocator.h"
#include "common/log/logger.h"
#include "common/tls/buffer_pool.h"

namespace onem2m::server {
namespace {

int64_t ResidentBytes() {
  int fd = open("/proc/self/statm", O_RDONLY | O_CLOEXEC);
  if (fd < 0) return 0;
  char buf[128];
  ssize_t n = read(fd, buf, sizeof(buf) - 1);
  close(fd);
  if (n <= 0) return 0;
  buf[n] = '\0';
  long long pages = 0, resident = 0;  // NOLINT(runtime/int)
  if (sscanf(buf, "%lld %lld", &pages, &resident) != 2) return 0;
  return static_cast<int64_t>(resident) * sysconf(_SC_PAGESIZE);
}

}  // namespace

CapacityGuard::CapacityGuard(int max_sessions, int64_t memory_budget_bytes,
                             absl::Duration sample_interval)
    : max_sessions_(max_sessions),
      budget_bytes_(memory_budget_bytes),
      sample_ns_(absl::ToInt64Nanoseconds(sample_interval)) {}

int64_t CapacityGuard::HeapBytesInUse() {
  // OpenSSL's large buffers are apart from malloc when the buffer pool is installed.
  const int64_t in_use = allocator::LiveHeapBytes();
  return in_use > 0 ? in_use + tls::buffer_pool::BytesInUse() : ResidentBytes();
}

int64_t CapacityGuard::SampledBytes() {
  const int64_t now = absl::GetCurrentTimeNanos();
  int64_t next = next_sample_ns_.load(std::memory_order_relaxed);
  // One thread refreshes the reading per interval; the others use the last one.
  if (now >= next && next_sample_ns_.compare_exchange_strong(next, now + sample_ns_)) {
    last_bytes_.store(HeapBytesInUse(), std::memory_order_relaxed);
  }
  return last_bytes_.load(std::memory_order_relaxed);
}

CapacityGuard::Verdict CapacityGuard::Admit(int open_sessions) {
  Verdict v = Verdict::kAdmit;
  if (max_sessions_ > 0 && open_sessions >= max_sessions_) {
    v = Verdict::kTooManySessions;
  } else if (budget_bytes_ > 0 && SampledBytes() >= budget_bytes_) {
    v = Verdict::kOverMemoryBudget;
  }
  if (v != Verdict::kAdmit) {
    refused_.fetch_add(1, std::memory_order_relaxed);
    Warn(v, open_sessions);
  }
  return v;
}

void CapacityGuard::Warn(Verdict verdict, int open_sessions) {
  constexpr int64_t kWarnEveryNs = 10'000'000'000;  // 10 s
  const int64_t now = absl::GetCurrentTimeNanos();
  int64_t next = next_warn_ns_.load(std::memory_order_relaxed);
  if (now < next || !next_warn_ns_.compare_exchange_strong(next, now + kWarnEveryNs)) {
    unwarned_.fetch_add(1, std::memory_order_relaxed);
    return;
  }
  const int64_t more = unwarned_.exchange(0, std::memory_order_relaxed);
  Log(Level::kWarning, "over_capacity",
      {{"limit", verdict == Verdict::kTooManySessions ? "max_sessions" : "memory_budget_bytes"},
       {"open_sessions", std::to_string(open_sessions)},
       {"max_sessions", std::to_string(max_sessions_)},
       {"heap_bytes", std::to_string(last_bytes_.load(std::memory_order_relaxed))},
       {"memory_budget_bytes", std::to_string(budget_bytes_)},
       {"also_refused_since_last_warning", std::to_string(more)},
       {"effect", "new connections closed before any TLS state; open sessions unaffected"}});
}

}  // namespace onem2m::server

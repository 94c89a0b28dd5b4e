#include "common/psk_server/heap_trimmer.h"

#include <malloc.h>

#include <algorithm>

namespace onem2m::server {

bool HeapTrimmer::Tick() {
  const int now = open_();
  peak_ = std::max(peak_, now);
  const int drop = peak_ - now;
  if (drop < kMinDrop || drop < peak_ / 10) return false;
  // Freed session memory sits in the arenas of the I/O threads; malloc_trim walks every arena.
  malloc_trim(0);
  ++trims_;
  peak_ = now;
  return true;
}

void HeapTrimmer::Start(absl::Duration interval) {
  thread_ = std::thread([this, interval] {
    absl::MutexLock lock(&mu_);
    for (;;) {
      if (mu_.AwaitWithTimeout(absl::Condition(&stop_), interval)) return;
      mu_.Unlock();
      Tick();
      mu_.Lock();
    }
  });
}

void HeapTrimmer::Stop() {
  {
    absl::MutexLock lock(&mu_);
    stop_ = true;
  }
  if (thread_.joinable()) thread_.join();
}

}  // namespace onem2m::server

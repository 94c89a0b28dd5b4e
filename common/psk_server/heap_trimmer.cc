#include "common/psk_server/heap_trimmer.h"

#include <pthread.h>

#include <algorithm>

#include "common/allocator/allocator.h"
#include "common/tls/buffer_pool.h"

namespace onem2m::server {
namespace {

// Trim gives back malloc's free pages and those of OpenSSL's buffer pool (common/tls/buffer_pool.h).
void TrimAll() {
  allocator::ReleaseFreeMemory();
  tls::buffer_pool::Trim();
}

}  // namespace

bool HeapTrimmer::Tick() {
  const int now = open_();
  peak_ = std::max(peak_, now);
  if (peak_since_last_) peak_ = std::max(peak_, peak_since_last_());
  if (follow_up_) {
    // Once more on the tick after a trim, unless sessions came back: a flood's sessions close over
    // more than one tick, and what they free after the first trim (the graveyard, OpenSSL's
    // per-session leftovers) would otherwise stay resident (measured: +5-9% after a TCP-only
    // flood of 10,000 with a single trim).
    follow_up_ = false;
    if (now <= trimmed_at_) {
      TrimAll();
      ++trims_;
      return true;
    }
  }
  const int drop = peak_ - now;
  if (drop < kMinDrop || drop < peak_ / 10) return false;
  // Freed session memory sits in the allocator's free lists (glibc: the I/O threads' arenas).
  TrimAll();
  ++trims_;
  peak_ = trimmed_at_ = now;
  follow_up_ = true;
  return true;
}

void HeapTrimmer::Start(absl::Duration interval) {
  thread_ = std::thread([this, interval] {
    pthread_setname_np(pthread_self(), "heap-trimmer");
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

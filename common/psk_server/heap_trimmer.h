// File: common/psk_server/heap_trimmer.h
//
// HeapTrimmer gives memory back to the system after a flood of sessions. malloc keeps freed
// memory (glibc in its arenas, jemalloc as dirty pages until they decay); a burst of ten thousand
// sessions that then closes would leave the process's resident size at its peak for good
// (measured with glibc: several hundred MiB after repeated floods). allocator::ReleaseFreeMemory
// returns the free pages (glibc: malloc_trim(0); jemalloc: a purge of every arena), so once the
// number of open sessions has fallen well below its peak since the last trim, the trimmer calls it.
//
// Tick holds the decision and is called by a PskServer's background thread every few seconds
// (Start/Stop); tests call it directly.
//
// Thread safety: Tick from one thread at a time; Start/Stop from the owner.
#ifndef ONEM2M_COMMON_PSK_SERVER_HEAP_TRIMMER_H_
#define ONEM2M_COMMON_PSK_SERVER_HEAP_TRIMMER_H_

#include <cstdint>
#include <functional>
#include <thread>

#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace onem2m::server {

class HeapTrimmer {
 public:
  // `open_sessions` reads the current count (any thread).
  // `peak_since_last` (optional) returns the most sessions open at once since its last call, so
  // that a flood opened and closed between two ticks still counts.
  explicit HeapTrimmer(std::function<int()> open_sessions,
                       std::function<int()> peak_since_last = nullptr)
      : open_(std::move(open_sessions)), peak_since_last_(std::move(peak_since_last)) {}
  ~HeapTrimmer() { Stop(); }

  // Tick trims when the open sessions fell by at least a tenth of their peak since the last trim
  // (and by at least kMinDrop, so a quiet server does not trim for every few sessions closed),
  // and once more on the tick after such a trim unless the sessions rose again. Returns true if it
  // trimmed.
  bool Tick();

  // Start runs Tick every `interval` on a thread of its own until Stop.
  void Start(absl::Duration interval);
  void Stop();

  int64_t trims() const { return trims_; }

  static constexpr int kMinDrop = 64;

 private:
  std::function<int()> open_;
  std::function<int()> peak_since_last_;
  int peak_ = 0;
  int64_t trims_ = 0;
  bool follow_up_ = false;  // the last Tick trimmed for a drop
  int trimmed_at_ = 0;      // open sessions at that trim
  absl::Mutex mu_;
  bool stop_ ABSL_GUARDED_BY(mu_) = false;
  std::thread thread_;
};

}  // namespace onem2m::server

#endif  // ONEM2M_COMMON_PSK_SERVER_HEAP_TRIMMER_H_

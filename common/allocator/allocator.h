// File: common/allocator/allocator.h
//
// The process's malloc as the servers' memory controls see it: how many bytes are live (the
// memory budget, common/psk_server/capacity_guard.h) and giving free pages back to the system
// after a flood (common/psk_server/heap_trimmer.h).
//
// The MAF's binaries link jemalloc (//common/allocator:jemalloc; docs/operations.md,
// "Allocator"); the others keep glibc's malloc. Which one serves is found at run time, not at
// build time: a process with jemalloc loaded (linked, or through LD_PRELOAD) has its `mallctl`,
// which this file declares weak.
//
//   if (allocator::LiveHeapBytes() > budget) refuse();
//   allocator::ReleaseFreeMemory();   // after the sessions of a flood have closed
#ifndef ONEM2M_COMMON_ALLOCATOR_ALLOCATOR_H_
#define ONEM2M_COMMON_ALLOCATOR_ALLOCATOR_H_

#include <cstdint>

#include "absl/strings/string_view.h"

namespace onem2m::allocator {

enum class Kind { kGlibc, kJemalloc };

// Current returns the allocator serving malloc in this process.
Kind Current();

// Name returns "jemalloc" or "glibc", for start-up logs.
absl::string_view Name();

// LiveHeapBytes returns the bytes malloc has handed out and not had back (jemalloc's
// stats.allocated, refreshed; glibc's mallinfo2 uordblks + hblkhd), or 0 when the allocator does
// not say (another one preloaded). Free pages the allocator keeps are not counted, so the figure
// falls as soon as a flood's sessions close.
int64_t LiveHeapBytes();

// ReleaseFreeMemory gives the allocator's free pages back to the system at once (jemalloc: purge
// every arena; glibc: malloc_trim(0), which walks every arena). It can take milliseconds with a
// large heap: call it from a background thread.
void ReleaseFreeMemory();

}  // namespace onem2m::allocator

#endif  // ONEM2M_COMMON_ALLOCATOR_ALLOCATOR_H_

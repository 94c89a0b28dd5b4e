#include "common/allocator/allocator.h"

#include <malloc.h>

#include <cstddef>
#include <cstdint>

// jemalloc's control interface (jemalloc/jemalloc.h), weak: null unless jemalloc is loaded, so a
// binary without it links and runs on glibc's malloc.
extern "C" int mallctl(const char* name, void* oldp, size_t* oldlenp, void* newp, size_t newlen)
    __attribute__((weak));

namespace onem2m::allocator {
namespace {

// "arena.<i>.purge" with i = MALLCTL_ARENAS_ALL (4096) purges every arena.
constexpr char kPurgeAllArenas[] = "arena.4096.purge";

}  // namespace

Kind Current() { return mallctl != nullptr ? Kind::kJemalloc : Kind::kGlibc; }

absl::string_view Name() { return Current() == Kind::kJemalloc ? "jemalloc" : "glibc"; }

int64_t LiveHeapBytes() {
  if (Current() == Kind::kJemalloc) {
    // jemalloc's statistics are a snapshot taken when the epoch advances.
    uint64_t epoch = 1;
    size_t len = sizeof(epoch);
    if (mallctl("epoch", &epoch, &len, &epoch, len) != 0) return 0;
    size_t allocated = 0;
    len = sizeof(allocated);
    if (mallctl("stats.allocated", &allocated, &len, nullptr, 0) != 0) return 0;
    return static_cast<int64_t>(allocated);
  }
  struct mallinfo2 mi = mallinfo2();
  // uordblks: bytes in use from the main and thread arenas; hblkhd: large blocks mmapped apart.
  return static_cast<int64_t>(mi.uordblks + mi.hblkhd);
}

void ReleaseFreeMemory() {
  if (Current() == Kind::kJemalloc) {
    mallctl(kPurgeAllArenas, nullptr, nullptr, nullptr, 0);
    return;
  }
  malloc_trim(0);
}

}  // namespace onem2m::allocator

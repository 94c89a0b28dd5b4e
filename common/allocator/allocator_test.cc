// The same checks run twice: allocator_test on glibc's malloc, allocator_jemalloc_test linked
// with jemalloc (:jemalloc); each expects its own allocator (ONEM2M_EXPECT_JEMALLOC).
#include "common/allocator/allocator.h"

#include <cstdlib>
#include <cstring>
#include <memory>
#include <vector>

#include "gtest/gtest.h"

#ifdef ONEM2M_EXPECT_JEMALLOC
extern "C" int mallctl(const char* name, void* oldp, size_t* oldlenp, void* newp, size_t newlen);
#endif

namespace onem2m::allocator {
namespace {

#ifdef ONEM2M_EXPECT_JEMALLOC
constexpr Kind kExpected = Kind::kJemalloc;

// jemalloc_conf.cc's settings reached jemalloc: its background thread gives an idle server's
// free pages back.
TEST(AllocatorTest, JemallocRunsItsBackgroundThread) {
  bool on = false;
  size_t len = sizeof(on);
  ASSERT_EQ(mallctl("opt.background_thread", &on, &len, nullptr, 0), 0);
  EXPECT_TRUE(on);
}
#else
constexpr Kind kExpected = Kind::kGlibc;
#endif

TEST(AllocatorTest, FindsTheAllocatorThisBinaryLinks) {
  EXPECT_EQ(Current(), kExpected);
  EXPECT_EQ(Name(), kExpected == Kind::kJemalloc ? "jemalloc" : "glibc");
}

TEST(AllocatorTest, LiveBytesFollowAllocationsAndFrees) {
  constexpr size_t kBlock = 4096;
  constexpr int kBlocks = 4096;  // 16 MiB: far above the noise of other threads' allocations
  const int64_t before = LiveHeapBytes();
  ASSERT_GT(before, 0);
  std::vector<void*> blocks;
  for (int i = 0; i < kBlocks; ++i) {
    void* p = std::malloc(kBlock);
    ASSERT_NE(p, nullptr);
    std::memset(p, 1, kBlock);
    blocks.push_back(p);
  }
  const int64_t held = LiveHeapBytes();
  EXPECT_GE(held - before, static_cast<int64_t>(kBlock) * kBlocks * 9 / 10);
  for (void* p : blocks) std::free(p);
  const int64_t after = LiveHeapBytes();
  EXPECT_LE(after - before, static_cast<int64_t>(kBlock) * kBlocks / 10);
}

TEST(AllocatorTest, ReleaseFreeMemoryLeavesLiveMemoryAlone) {
  auto keep = std::make_unique<char[]>(1 << 20);
  std::memset(keep.get(), 7, 1 << 20);
  {
    std::vector<std::unique_ptr<char[]>> flood;
    for (int i = 0; i < 1024; ++i) flood.push_back(std::make_unique<char[]>(8192));
  }
  const int64_t live = LiveHeapBytes();
  ReleaseFreeMemory();
  EXPECT_EQ(keep[0], 7);
  EXPECT_EQ(keep[(1 << 20) - 1], 7);
  EXPECT_LE(LiveHeapBytes(), live + (64 << 10));
}

}  // namespace
}  // namespace onem2m::allocator

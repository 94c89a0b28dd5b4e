#include "common/tls/buffer_pool.h"

#include <malloc.h>
#include <openssl/crypto.h>
#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <vector>

namespace onem2m::tls::buffer_pool {
namespace {

constexpr size_t kPage = 4096;
// Address space reserved per size class: 1 GiB holds 43,690 handshake message buffers (6 pages),
// more than --max_sessions allows; a full class falls back to malloc.
constexpr size_t kClassBytes = size_t{1} << 30;

struct SizeClass {
  std::mutex mu;
  char* begin = nullptr;
  char* next = nullptr;  // bump pointer: slots below it have been handed out at least once
  char* end = nullptr;
  std::vector<char*> free;  // guarded by mu
};

struct Pool {
  char* base = nullptr;
  SizeClass classes[kMaxPages + 1];  // index: pages per slot; 0 unused
  std::atomic<int64_t> in_use{0};
};

Pool* pool = nullptr;  // set once by Install, before any OpenSSL allocation

// PagesFor returns the size class of an allocation of `n` bytes, or 0 for malloc: exactly one page
// (the buffer BIO's buffers) or more than two pages (the handshake message buffer, record
// buffers), not the SSL object in between.
size_t PagesFor(size_t n) {
  if (n == kPage) return 1;
  if (n <= 2 * kPage) return 0;
  const size_t pages = (n + kPage - 1) / kPage;
  return pages <= kMaxPages ? pages : 0;
}

// ClassOf returns the pages per slot of the pool's `p`, or 0 if `p` is not from the pool.
size_t ClassOf(const void* p) {
  const char* c = static_cast<const char*>(p);
  if (pool == nullptr || c < pool->base || c >= pool->base + (kMaxPages + 1) * kClassBytes) {
    return 0;
  }
  return static_cast<size_t>(c - pool->base) / kClassBytes;
}

void* Take(size_t pages) {
  SizeClass& sc = pool->classes[pages];
  const size_t size = pages * kPage;
  char* slot = nullptr;
  {
    std::lock_guard<std::mutex> lock(sc.mu);
    if (!sc.free.empty()) {
      slot = sc.free.back();
      sc.free.pop_back();
    } else if (sc.next + size <= sc.end) {
      slot = sc.next;
      sc.next += size;
    }
  }
  if (slot != nullptr) pool->in_use.fetch_add(static_cast<int64_t>(size));
  return slot;
}

void Give(void* p, size_t pages) {
  SizeClass& sc = pool->classes[pages];
  pool->in_use.fetch_sub(static_cast<int64_t>(pages * kPage));
  std::lock_guard<std::mutex> lock(sc.mu);
  sc.free.push_back(static_cast<char*>(p));
}

void* Allocate(size_t n, const char* /*file*/, int /*line*/) {
  if (const size_t pages = PagesFor(n); pages != 0) {
    if (void* p = Take(pages)) return p;
  }
  return malloc(n);
}

void Free(void* p, const char* /*file*/, int /*line*/) {
  if (p == nullptr) return;
  if (const size_t pages = ClassOf(p); pages != 0) {
    Give(p, pages);
    return;
  }
  free(p);
}

void* Reallocate(void* p, size_t n, const char* file, int line) {
  if (p == nullptr) return Allocate(n, file, line);
  if (n == 0) {
    Free(p, file, line);
    return nullptr;
  }
  const size_t from = ClassOf(p);
  const size_t to = PagesFor(n);
  if (from == 0 && to == 0) return realloc(p, n);
  if (from != 0 && from == to) return p;
  void* q = Allocate(n, file, line);
  if (q == nullptr) return nullptr;  // p stays valid, as realloc's contract says
  const size_t old_size = from != 0 ? from * kPage : malloc_usable_size(p);
  memcpy(q, p, std::min(old_size, n));
  Free(p, file, line);
  return q;
}

}  // namespace

bool Install() {
  if (pool != nullptr) return true;
  const size_t total = (kMaxPages + 1) * kClassBytes;
  void* base = mmap(nullptr, total, PROT_READ | PROT_WRITE,
                    MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (base == MAP_FAILED) return false;
  auto* made = new Pool;
  made->base = static_cast<char*>(base);
  for (size_t pages = 1; pages <= kMaxPages; ++pages) {
    SizeClass& sc = made->classes[pages];
    sc.begin = sc.next = made->base + pages * kClassBytes;
    sc.end = sc.begin + kClassBytes - kClassBytes % (pages * kPage);
  }
  pool = made;
  if (!CRYPTO_set_mem_functions(&Allocate, &Reallocate, &Free)) {
    pool = nullptr;
    munmap(base, total);
    delete made;
    return false;
  }
  return true;
}

Outcome InstallUnlessDisabled() {
  const char* env = std::getenv("ONEM2M_OPENSSL_BUFFER_POOL");
  if (env != nullptr && std::strcmp(env, "off") == 0) return Outcome::kDisabled;
  return Install() ? Outcome::kInstalled : Outcome::kFailed;
}

bool Installed() { return pool != nullptr; }

int64_t BytesInUse() { return pool == nullptr ? 0 : pool->in_use.load(); }

int64_t Trim() {
  if (pool == nullptr) return 0;
  int64_t released = 0;
  for (size_t pages = 1; pages <= kMaxPages; ++pages) {
    SizeClass& sc = pool->classes[pages];
    std::vector<char*> slots;
    {
      std::lock_guard<std::mutex> lock(sc.mu);
      slots.swap(sc.free);
    }
    if (slots.empty()) continue;
    // Released slots are taken lowest first from now on, so that use stays packed at the start
    // of the range; neighbouring slots go back in one call.
    std::sort(slots.begin(), slots.end(), std::greater<char*>());
    const size_t size = pages * kPage;
    for (size_t i = 0; i < slots.size();) {
      size_t j = i + 1;
      while (j < slots.size() && slots[j] + size == slots[j - 1]) ++j;
      char* from = slots[j - 1];
      const size_t len = (j - i) * size;
      if (madvise(from, len, MADV_DONTNEED) == 0) released += static_cast<int64_t>(len);
      i = j;
    }
    std::lock_guard<std::mutex> lock(sc.mu);
    sc.free.insert(sc.free.begin(), slots.begin(), slots.end());
  }
  return released;
}

}  // namespace onem2m::tls::buffer_pool

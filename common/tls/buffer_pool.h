// File: common/tls/buffer_pool.h
//
// BufferPool places OpenSSL's large buffers on whole pages of their own, so that the pages a
// buffer never writes are never resident. A half-open TLS session (the server answered the
// ClientHello and waits) holds OpenSSL's handshake message buffer (21.3 KiB, of which 16 KiB are
// zero-filled and the rest unused) and the flight buffer BIO's two 4 KiB buffers (the read one
// is never used by the SSL, the write one holds one flight of a few hundred bytes). In glibc's
// heap those unused bytes share pages with their neighbours and are resident all the same
// (docs/operations.md "Memory per session"); on pages of their own they cost nothing.
//
// Install routes OpenSSL's allocations (CRYPTO_set_mem_functions) of exactly one page or of more
// than two pages, up to kMaxPages, to the pool, and everything else to malloc: in between is the
// 7.5 KiB SSL object, which every idle session keeps and which is zero-filled whole, so rounding it
// to two pages would only add to an idle session. Each size class (a number of pages) has its own
// reserved address range (MAP_NORESERVE: only touched pages count), a bump pointer and a list of
// free slots; freeing a slot only lists it. Trim (called with malloc_trim by the HeapTrimmer after
// a flood) gives the free slots' pages back (MADV_DONTNEED), which also makes a later buffer's
// unused pages non-resident again.
//
// Install must run before OpenSSL allocates anything (first thing in main); it returns false
// otherwise, and OpenSSL then keeps using malloc. Thread safety: all functions, any thread.
#ifndef ONEM2M_COMMON_TLS_BUFFER_POOL_H_
#define ONEM2M_COMMON_TLS_BUFFER_POOL_H_

#include <cstddef>
#include <cstdint>

namespace onem2m::tls::buffer_pool {

// Largest buffer placed in the pool, in pages; larger ones go to malloc.
inline constexpr size_t kMaxPages = 16;

// Install makes OpenSSL allocate through the pool; false if OpenSSL has allocated already or the
// address ranges cannot be reserved.
bool Install();

// InstallUnlessDisabled is what a server's main calls first: Install, unless the environment
// variable ONEM2M_OPENSSL_BUFFER_POOL is "off" (to compare memory with and without the pool; flags
// are read only after OpenSSL has allocated).
enum class Outcome { kInstalled, kDisabled, kFailed };
Outcome InstallUnlessDisabled();

// Installed reports whether Install succeeded in this process.
bool Installed();

// BytesInUse is the size of the slots in use (whole pages), for the memory budget.
int64_t BytesInUse();

// Trim returns the free slots' pages to the system; returns the bytes released.
int64_t Trim();

}  // namespace onem2m::tls::buffer_pool

#endif  // ONEM2M_COMMON_TLS_BUFFER_POOL_H_

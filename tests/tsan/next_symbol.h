// NextSymbol: the lookup both TSan shims (absl_sync_annotations.cc, grpc_cq_annotations.cc) use to
// reach the real library function they wrap.
#ifndef ONEM2M_TESTS_TSAN_NEXT_SYMBOL_H_
#define ONEM2M_TESTS_TSAN_NEXT_SYMBOL_H_

#include <dlfcn.h>

#include <cstdio>
#include <cstdlib>

namespace onem2m::tsan {

// NextSymbol returns the next definition of `name` after the calling shim's (dlsym(RTLD_NEXT)),
// aborting with `shim` named if there is none: a shim without its real function cannot work.
template <typename Fn>
Fn NextSymbol(const char* name, const char* shim) {
  void* sym = dlsym(RTLD_NEXT, name);
  if (sym == nullptr) {
    std::fprintf(stderr, "tsan %s shim: no symbol %s\n", shim, name);
    std::abort();
  }
  return reinterpret_cast<Fn>(sym);
}

}  // namespace onem2m::tsan

#endif  // ONEM2M_TESTS_TSAN_NEXT_SYMBOL_H_

// File: common/psk_server/source_limiter.h
//
// SourceLimiter caps how many connections (TLS) or sessions (DTLS) one source address may hold at
// once, so a single host cannot exhaust a listener's slots or memory. The port is ignored: a
// client opening many sockets from one address still counts once per socket against one budget.
//
//   SourceLimiter limiter(64);
//   if (!limiter.TryAcquire(addr.HostString())) { close(fd); return; }
//   ...
//   limiter.Release(addr.HostString());
//
// Thread-safe: every I/O thread shares one limiter.
#ifndef ONEM2M_COMMON_PSK_SERVER_SOURCE_LIMITER_H_
#define ONEM2M_COMMON_PSK_SERVER_SOURCE_LIMITER_H_

#include <string>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"

namespace onem2m::server {

class SourceLimiter {
 public:
  // `per_source` <= 0 disables the cap.
  explicit SourceLimiter(int per_source) : per_source_(per_source) {}

  // TryAcquire takes one slot for `source`; false when it already holds `per_source`.
  bool TryAcquire(absl::string_view source);
  // Release returns a slot taken by TryAcquire.
  void Release(absl::string_view source);
  // Held returns the slots `source` holds now.
  int Held(absl::string_view source);

 private:
  const int per_source_;
  absl::Mutex mu_;
  absl::flat_hash_map<std::string, int> held_ ABSL_GUARDED_BY(mu_);
};

}  // namespace onem2m::server

#endif  // ONEM2M_COMMON_PSK_SERVER_SOURCE_LIMITER_H_

#include "common/psk_server/source_limiter.h"

namespace onem2m::server {

bool SourceLimiter::TryAcquire(absl::string_view source) {
  absl::MutexLock lock(&mu_);
  int& n = held_[source];
  if (per_source_ > 0 && n >= per_source_) {
    if (n == 0) held_.erase(source);
    return false;
  }
  ++n;
  return true;
}

void SourceLimiter::Release(absl::string_view source) {
  absl::MutexLock lock(&mu_);
  auto it = held_.find(source);
  if (it == held_.end()) return;
  if (--it->second <= 0) held_.erase(it);
}

int SourceLimiter::Held(absl::string_view source) {
  absl::MutexLock lock(&mu_);
  auto it = held_.find(source);
  return it == held_.end() ? 0 : it->second;
}

}  // namespace onem2m::server

#include "common/testing/wait_for.h"

#include <algorithm>

#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"

namespace onem2m::testing {

bool WaitFor(const std::function<bool()>& condition, absl::Duration timeout, absl::Duration poll) {
  const absl::Time until = absl::Now() + timeout;
  // A condition variable nobody signals: each wait is one poll interval, cut short by nothing.
  absl::Mutex mu;
  absl::CondVar never;
  absl::MutexLock lock(&mu);
  while (!condition()) {
    const absl::Time now = absl::Now();
    if (now >= until) return condition();
    never.WaitWithDeadline(&mu, std::min(now + poll, until));
  }
  return true;
}

}  // namespace onem2m::testing

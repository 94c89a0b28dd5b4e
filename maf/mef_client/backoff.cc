#include "maf/mef_client/backoff.h"

#include <algorithm>
#include <cmath>

#include "absl/random/random.h"

namespace onem2m::maf {

absl::Duration Backoff::Delay(int attempt) const {
  thread_local absl::BitGen gen;
  const double factor = std::pow(multiplier, std::min(attempt, 60));
  absl::Duration d = std::min(initial * factor, max);
  const double j = std::clamp(jitter, 0.0, 1.0);
  return d * absl::Uniform(gen, 1.0 - j, 1.0);
}

}  // namespace onem2m::maf

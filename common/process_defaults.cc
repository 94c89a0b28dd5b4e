#include "common/process_defaults.h"

#include "absl/synchronization/mutex.h"

namespace onem2m {

void ApplyProcessDefaults() {
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);
}

}  // namespace onem2m

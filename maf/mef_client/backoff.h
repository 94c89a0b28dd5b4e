// File: maf/mef_client/backoff.h
//
// Backoff is jittered exponential backoff for the MAF's calls to its MEFs: the n-th wait is
// uniform in [(1 - jitter) * d, d] with d = min(initial * multiplier^n, max).
//
//   onem2m::maf::Backoff b{absl::Milliseconds(50), absl::Seconds(2), 2.0, 0.5};
//   absl::Duration wait = b.Delay(attempt);
#ifndef ONEM2M_MAF_MEF_CLIENT_BACKOFF_H_
#define ONEM2M_MAF_MEF_CLIENT_BACKOFF_H_

#include "absl/time/time.h"

namespace onem2m::maf {

struct Backoff {
  absl::Duration initial = absl::Milliseconds(50);
  absl::Duration max = absl::Seconds(2);
  double multiplier = 2.0;
  double jitter = 0.5;

  // Delay returns the wait before retry number `attempt` (0-based).
  absl::Duration Delay(int attempt) const;
};

}  // namespace onem2m::maf

#endif  // ONEM2M_MAF_MEF_CLIENT_BACKOFF_H_

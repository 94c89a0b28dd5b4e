// File: common/time/clock.h
//
// Clock is the one time source injected into code whose behaviour depends on the time (expiry,
// breakers, cache lifetimes), so tests can control it with FakeClock
// (common/time/testing/fake_clock.h) instead of sleeping.
//
//   class Breaker {
//    public:
//     explicit Breaker(const Clock* clock = Clock::Real()) : clock_(clock) {}
//     bool Open() const { return clock_->Now() < open_until_; }
//   };
#ifndef ONEM2M_COMMON_TIME_CLOCK_H_
#define ONEM2M_COMMON_TIME_CLOCK_H_

#include "absl/time/time.h"

namespace onem2m {

class Clock {
 public:
  virtual ~Clock() = default;

  // Now returns the current time. Thread-safe.
  virtual absl::Time Now() const = 0;

  // Real returns the process's wall clock (absl::Now). Never null; lives for the whole process.
  static const Clock* Real();
};

}  // namespace onem2m

#endif  // ONEM2M_COMMON_TIME_CLOCK_H_

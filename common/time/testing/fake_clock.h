// File: common/time/testing/fake_clock.h
//
// FakeClock is the Clock of tests: it stands still until the test moves it. Thread-safe, so a
// test may advance it while the code under test reads it on other threads.
//
//   FakeClock clock(absl::FromUnixSeconds(1700000000));
//   KpmResolver resolver(&store, &envelope, &clock);
//   clock.Advance(absl::Minutes(2));  // the enrolee's not_after has passed
#ifndef ONEM2M_COMMON_TIME_TESTING_FAKE_CLOCK_H_
#define ONEM2M_COMMON_TIME_TESTING_FAKE_CLOCK_H_

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "common/time/clock.h"

namespace onem2m {

class FakeClock final : public Clock {
 public:
  explicit FakeClock(absl::Time start = absl::FromUnixSeconds(1700000000)) : now_(start) {}

  absl::Time Now() const override {
    absl::MutexLock lock(&mu_);
    return now_;
  }
  // Advance moves the clock forward by `d` (or back, for a negative `d`).
  void Advance(absl::Duration d) {
    absl::MutexLock lock(&mu_);
    now_ += d;
  }
  // Set moves the clock to `t`.
  void Set(absl::Time t) {
    absl::MutexLock lock(&mu_);
    now_ = t;
  }

 private:
  mutable absl::Mutex mu_;
  absl::Time now_ ABSL_GUARDED_BY(mu_);
};

}  // namespace onem2m

#endif  // ONEM2M_COMMON_TIME_TESTING_FAKE_CLOCK_H_

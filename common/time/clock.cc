#include "common/time/clock.h"

#include "absl/time/clock.h"

namespace onem2m {
namespace {

class RealClock final : public Clock {
 public:
  absl::Time Now() const override { return absl::Now(); }
};

}  // namespace

const Clock* Clock::Real() {
  static const RealClock* clock = new RealClock();  // never destroyed: used until exit
  return clock;
}

}  // namespace onem2m

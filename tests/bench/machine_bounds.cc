#include "tests/bench/machine_bounds.h"

#include <string>

#include "absl/strings/str_format.h"

namespace onem2m::bench {

const char* Met(bool met) { return met ? "MET" : "NOT MET"; }

double RateAllowed(int cores, double cpu_us_per_op) {
  if (cores <= 0 || cpu_us_per_op <= 0) return 0;
  return cores * 1e6 / cpu_us_per_op;
}

double RateForP99(int clients, double p99_ms) {
  if (clients <= 0 || p99_ms <= 0) return 0;
  return clients * 1e3 / p99_ms;
}

std::string RateReach(double target_rate, double allowed_rate) {
  if (allowed_rate <= 0) return "not judged (no CPU figures for the bound)";
  return absl::StrFormat(
      "at most %.0f/s on this machine whatever the server adds: %.0f/s is %s", allowed_rate,
      target_rate,
      target_rate <= allowed_rate ? "not ruled out by this bound" : "beyond this machine");
}

std::string P99Reach(double p99_target_ms, int clients, double bare_rate, double allowed_rate) {
  const double needed = RateForP99(clients, p99_target_ms);
  if (needed <= 0) return "not judged";
  if (allowed_rate <= 0) {
    return absl::StrFormat(
        "a p99 of %.0f ms at %d clients needs at least %.0f/s; the bare server reached %.0f/s "
        "(no CPU figures for the machine's bound)",
        p99_target_ms, clients, needed, bare_rate);
  }
  const bool beyond = needed > allowed_rate;
  return absl::StrFormat(
      "a p99 of %.0f ms at %d clients needs at least %.0f/s (Little's law: mean latency = clients "
      "/ rate); the bare server reached %.0f/s and this machine allows at most %.0f/s: %s",
      p99_target_ms, clients, needed, bare_rate, allowed_rate,
      beyond ? "beyond this machine for any server doing the bare server's work"
             : (needed > bare_rate ? "not reached even by the bare server in this run"
                                   : "within reach"));
}

}  // namespace onem2m::bench

// File: tests/bench/machine_bounds.h
//
// What a throughput or latency target asks of the machine, beside what the machine can give, so
// that a missed target says whether the service or the machine fell short. Both bounds come from
// figures the load generators measure in the same run (load_kit.h, the CPU split of a phase):
//
//   - Rate. Every operation costs the machine at least the generator's own CPU for it (the
//     simulated device runs on the same cores) plus what the bare OpenSSL server spends on the
//     same handshake. On `cores` cores that allows at most cores x 1e6 / (generator_us + bare_us)
//     operations per second, whatever the service does beyond the bare server.
//   - p99, by Little's law. `clients` closed-loop clients that start their next operation as soon
//     as one ends keep `clients` operations in flight, so the mean latency is clients / rate. A
//     p99 at or under T needs a mean at or under T (unless more than 1 % of operations are slower
//     than T), so a rate of at least clients / T.
//
//   double most = bench::RateAllowed(2, 578 + 401);             // 2043 /s
//   std::string line = bench::P99Reach(25, 64, 2015, most);     // needs 2560 /s: beyond ...
#ifndef ONEM2M_TESTS_BENCH_MACHINE_BOUNDS_H_
#define ONEM2M_TESTS_BENCH_MACHINE_BOUNDS_H_

#include <string>

namespace onem2m::bench {

// Met is the word the generators print for a target: "MET" or "NOT MET".
const char* Met(bool met);

// RateAllowed is the operations per second `cores` cores allow at `cpu_us_per_op` microseconds of
// CPU per operation; 0 when either is not positive (nothing measured).
double RateAllowed(int cores, double cpu_us_per_op);

// RateForP99 is the least rate at which `clients` closed-loop clients see a mean latency of at
// most `p99_ms` (Little's law); 0 when either is not positive.
double RateForP99(int clients, double p99_ms);

// RateReach says whether `target_rate` is above `allowed_rate` (RateAllowed of the generator's and
// the bare server's CPU per operation), with the figures: "at most 1927/s on this machine whatever
// the server adds: 2500/s is beyond this machine". A bound counts only part of an operation's cost,
// so a target under it is "not ruled out", never "reachable".
std::string RateReach(double target_rate, double allowed_rate);

// P99Reach says whether a p99 of `p99_target_ms` at `clients` clients is within this machine's
// reach: it needs RateForP99(clients, p99_target_ms), against the rate the bare server reached
// (`bare_rate`) and the one the machine allows any server (`allowed_rate`).
std::string P99Reach(double p99_target_ms, int clients, double bare_rate, double allowed_rate);

}  // namespace onem2m::bench

#endif  // ONEM2M_TESTS_BENCH_MACHINE_BOUNDS_H_

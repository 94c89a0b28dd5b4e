// File: common/testing/machine_cpu.h
//
// The whole machine's CPU time, for the load generators and benchmarks that report what an
// operation costs the machine (tests/bench/load_kit.h, mef/credential/fetch_benchmark_harness.h),
// and the share of it the hypervisor gave to other guests meanwhile.
//
//   const MachineCpu before = ReadMachineCpu();
//   ... the phase ...
//   const MachineCpu after = ReadMachineCpu();
//   double busy_seconds = after.busy - before.busy;
//   double steal = StealShare(before, after);  // 0.2: a fifth of the CPU time went elsewhere
#ifndef ONEM2M_COMMON_TESTING_MACHINE_CPU_H_
#define ONEM2M_COMMON_TESTING_MACHINE_CPU_H_

namespace onem2m::testing {

// MachineCpu is this machine's CPU time since boot (/proc/stat's "cpu" line, in seconds): `busy`
// is every process and the kernel (user, nice, system, irq, softirq; not idle, iowait or steal),
// `steal` the time the hypervisor gave this virtual machine's CPUs to other guests, `all` every
// column. Steal is in no process's CPU figure: it shows as a lower rate at the same CPU per
// operation, which is why the same binaries run slower in one hour than the next on a shared host.
struct MachineCpu {
  double busy = 0;
  double steal = 0;
  double all = 0;
};

// ReadMachineCpu reads /proc/stat; all zero when it cannot.
MachineCpu ReadMachineCpu();

// StealShare is the stolen part of the CPU time that passed between two readings (0 when none
// passed).
double StealShare(const MachineCpu& before, const MachineCpu& after);

}  // namespace onem2m::testing

#endif  // ONEM2M_COMMON_TESTING_MACHINE_CPU_H_

#include "common/testing/machine_cpu.h"

#include <unistd.h>

#include <fstream>
#include <string>

namespace onem2m::testing {

MachineCpu ReadMachineCpu() {
  std::ifstream f("/proc/stat");
  std::string cpu;
  double user = 0, nice = 0, system = 0, idle = 0, iowait = 0, irq = 0, softirq = 0, steal = 0;
  if (!(f >> cpu >> user >> nice >> system >> idle >> iowait >> irq >> softirq >> steal) ||
      cpu != "cpu") {
    return {};
  }
  const double tick = sysconf(_SC_CLK_TCK);
  MachineCpu m;
  m.busy = (user + nice + system + irq + softirq) / tick;
  m.steal = steal / tick;
  m.all = (user + nice + system + idle + iowait + irq + softirq + steal) / tick;
  return m;
}

double StealShare(const MachineCpu& before, const MachineCpu& after) {
  if (after.all <= before.all) return 0;
  return (after.steal - before.steal) / (after.all - before.all);
}

}  // namespace onem2m::testing

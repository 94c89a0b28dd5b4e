// File: common/ops/process_metrics.h
//
// ProcessMetrics exports the standard Prometheus process series, read from /proc/self at each
// scrape (so dashboards and alerts written for any Prometheus client work unchanged):
//   process_resident_memory_bytes   resident set size (/proc/self/stat field rss x page size)
//   process_virtual_memory_bytes    virtual memory size
//   process_cpu_seconds_total       user + system CPU time (counter)
//   process_open_fds                entries of /proc/self/fd
//   process_max_fds                 RLIMIT_NOFILE soft limit
//   process_start_time_seconds      start time, seconds since the Unix epoch
//
//   ProcessMetrics process(*registry);
//   ops.AddScrapeHook([&process] { process.Refresh(); });
//
// Thread safety: Refresh may be called from any thread, one call at a time (OpsServer runs its
// scrape hooks one scrape at a time).
#ifndef ONEM2M_COMMON_OPS_PROCESS_METRICS_H_
#define ONEM2M_COMMON_OPS_PROCESS_METRICS_H_

#include <prometheus/counter.h>
#include <prometheus/gauge.h>
#include <prometheus/registry.h>

#include <string>

#include "absl/status/status.h"

namespace onem2m::ops {

// ProcStat is what ProcessMetrics takes from /proc/<pid>/stat.
struct ProcStat {
  double cpu_seconds = 0;       // utime + stime
  double start_after_boot = 0;  // starttime, seconds after boot
  double virtual_bytes = 0;     // vsize
  double resident_bytes = 0;    // rss pages x page size
};

// ParseProcStat parses the text of /proc/<pid>/stat (proc(5)); `ticks_per_second` is
// sysconf(_SC_CLK_TCK) and `page_size` sysconf(_SC_PAGESIZE). The command name may hold spaces and
// parentheses, so fields are counted from the last ')'.
absl::Status ParseProcStat(const std::string& text, long ticks_per_second, long page_size,
                           ProcStat* out);

// ParseBootTime returns the "btime" line of /proc/stat (seconds since the epoch), or an error.
absl::Status ParseBootTime(const std::string& text, double* out_btime);

class ProcessMetrics {
 public:
  explicit ProcessMetrics(prometheus::Registry& registry);

  // Refresh re-reads /proc/self. A read that fails leaves the previous values.
  void Refresh();

 private:
  prometheus::Gauge& resident_;
  prometheus::Gauge& virtual_;
  prometheus::Counter& cpu_;
  prometheus::Gauge& open_fds_;
  prometheus::Gauge& max_fds_;
  prometheus::Gauge& start_time_;
  double cpu_reported_ = 0;  // what cpu_ holds: counters only grow, so Refresh adds the difference
};

}  // namespace onem2m::ops

#endif  // ONEM2M_COMMON_OPS_PROCESS_METRICS_H_

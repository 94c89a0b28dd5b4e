#include "common/ops/process_metrics.h"

#include <dirent.h>
#include <sys/resource.h>
#include <unistd.h>

#include <fstream>
#include <sstream>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

namespace onem2m::ops {
namespace {

bool ReadFile(const char* path, std::string* out) {
  std::ifstream in(path);
  if (!in) return false;
  std::ostringstream s;
  s << in.rdbuf();
  *out = s.str();
  return true;
}

int CountOpenFds() {
  DIR* dir = opendir("/proc/self/fd");
  if (dir == nullptr) return -1;
  int n = 0;
  while (dirent* e = readdir(dir)) {
    if (e->d_name[0] != '.') ++n;
  }
  closedir(dir);
  return n - 1;  // opendir's own descriptor is listed too
}

}  // namespace

absl::Status ParseProcStat(const std::string& text, long ticks_per_second, long page_size,
                           ProcStat* out) {
  const size_t close = text.rfind(')');
  if (close == std::string::npos) return absl::InvalidArgumentError("no ')' in stat");
  // After "pid (comm)" the fields are numbered from 3 (state) in proc(5).
  std::vector<absl::string_view> f =
      absl::StrSplit(absl::string_view(text).substr(close + 1), ' ', absl::SkipWhitespace());
  constexpr size_t kFirst = 3;
  auto field = [&](size_t number, double* v) {
    return number - kFirst < f.size() && absl::SimpleAtod(f[number - kFirst], v);
  };
  double utime, stime, starttime, vsize, rss;
  if (!field(14, &utime) || !field(15, &stime) || !field(22, &starttime) || !field(23, &vsize) ||
      !field(24, &rss)) {
    return absl::InvalidArgumentError("short or malformed stat");
  }
  if (ticks_per_second <= 0) return absl::InvalidArgumentError("bad clock tick rate");
  out->cpu_seconds = (utime + stime) / ticks_per_second;
  out->start_after_boot = starttime / ticks_per_second;
  out->virtual_bytes = vsize;
  out->resident_bytes = rss * page_size;
  return absl::OkStatus();
}

absl::Status ParseBootTime(const std::string& text, double* out_btime) {
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    if (absl::ConsumePrefix(&line, "btime ") && absl::SimpleAtod(line, out_btime)) {
      return absl::OkStatus();
    }
  }
  return absl::NotFoundError("no btime in /proc/stat");
}

ProcessMetrics::ProcessMetrics(prometheus::Registry& registry)
    : resident_(prometheus::BuildGauge()
                    .Name("process_resident_memory_bytes")
                    .Help("Resident memory size in bytes.")
                    .Register(registry)
                    .Add({})),
      virtual_(prometheus::BuildGauge()
                   .Name("process_virtual_memory_bytes")
                   .Help("Virtual memory size in bytes.")
                   .Register(registry)
                   .Add({})),
      cpu_(prometheus::BuildCounter()
               .Name("process_cpu_seconds_total")
               .Help("Total user and system CPU time spent in seconds.")
               .Register(registry)
               .Add({})),
      open_fds_(prometheus::BuildGauge()
                    .Name("process_open_fds")
                    .Help("Number of open file descriptors.")
                    .Register(registry)
                    .Add({})),
      max_fds_(prometheus::BuildGauge()
                   .Name("process_max_fds")
                   .Help("Maximum number of open file descriptors (soft limit).")
                   .Register(registry)
                   .Add({})),
      start_time_(prometheus::BuildGauge()
                      .Name("process_start_time_seconds")
                      .Help("Start time of the process since the Unix epoch in seconds.")
                      .Register(registry)
                      .Add({})) {
  Refresh();
}

void ProcessMetrics::Refresh() {
  std::string stat_text;
  ProcStat stat;
  if (ReadFile("/proc/self/stat", &stat_text) &&
      ParseProcStat(stat_text, sysconf(_SC_CLK_TCK), sysconf(_SC_PAGESIZE), &stat).ok()) {
    resident_.Set(stat.resident_bytes);
    virtual_.Set(stat.virtual_bytes);
    if (stat.cpu_seconds > cpu_reported_) {
      cpu_.Increment(stat.cpu_seconds - cpu_reported_);
      cpu_reported_ = stat.cpu_seconds;
    }
    std::string proc_stat;
    double btime = 0;
    if (start_time_.Value() == 0 && ReadFile("/proc/stat", &proc_stat) &&
        ParseBootTime(proc_stat, &btime).ok()) {
      start_time_.Set(btime + stat.start_after_boot);
    }
  }
  const int fds = CountOpenFds();
  if (fds >= 0) open_fds_.Set(fds);
  rlimit limit;
  if (getrlimit(RLIMIT_NOFILE, &limit) == 0) max_fds_.Set(static_cast<double>(limit.rlim_cur));
}

}  // namespace onem2m::ops

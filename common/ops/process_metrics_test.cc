#include "common/ops/process_metrics.h"

#include <fcntl.h>
#include <prometheus/text_serializer.h>
#include <unistd.h>

#include <ctime>

#include "gtest/gtest.h"

namespace onem2m::ops {
namespace {

const prometheus::MetricFamily* Find(const std::vector<prometheus::MetricFamily>& families,
                                     const std::string& name) {
  for (const auto& f : families) {
    if (f.name == name) return &f;
  }
  return nullptr;
}

double Value(const std::vector<prometheus::MetricFamily>& families, const std::string& name) {
  const prometheus::MetricFamily* f = Find(families, name);
  if (f == nullptr || f->metric.size() != 1) return -1;
  const prometheus::ClientMetric& m = f->metric[0];
  return f->type == prometheus::MetricType::Counter ? m.counter.value : m.gauge.value;
}

TEST(ParseProcStatTest, CountsFieldsFromTheLastParenthesis) {
  // A command name with spaces and ')' must not shift the fields (proc(5)).
  const std::string stat =
      "4242 (a) b (c) S 1 4242 4242 0 -1 4194560 100 0 0 0 250 50 0 0 20 0 7 0 12345 104857600 "
      "2560 18446744073709551615 1 1 0 0 0 0 0 0 0 0 0 0 17 1 0 0 0 0 0";
  ProcStat s;
  ASSERT_TRUE(ParseProcStat(stat, 100, 4096, &s).ok());
  EXPECT_DOUBLE_EQ(s.cpu_seconds, 3.0);  // (250 + 50) / 100
  EXPECT_DOUBLE_EQ(s.start_after_boot, 123.45);
  EXPECT_DOUBLE_EQ(s.virtual_bytes, 104857600);
  EXPECT_DOUBLE_EQ(s.resident_bytes, 2560.0 * 4096);
}

TEST(ParseProcStatTest, ShortOrGarbledStatFails) {
  ProcStat s;
  EXPECT_FALSE(ParseProcStat("4242 (a) S 1 2 3", 100, 4096, &s).ok());
  EXPECT_FALSE(ParseProcStat("no parenthesis", 100, 4096, &s).ok());
}

TEST(ParseBootTimeTest, ReadsBtime) {
  double btime = 0;
  ASSERT_TRUE(ParseBootTime("cpu  1 2 3\nintr 5\nbtime 1700000000\nprocesses 9\n", &btime).ok());
  EXPECT_DOUBLE_EQ(btime, 1700000000);
  EXPECT_FALSE(ParseBootTime("cpu 1\n", &btime).ok());
}

TEST(ProcessMetricsTest, ExportsThisProcess) {
  prometheus::Registry registry;
  ProcessMetrics metrics(registry);
  auto families = registry.Collect();
  EXPECT_GT(Value(families, "process_resident_memory_bytes"), 1 << 20);
  EXPECT_GT(Value(families, "process_virtual_memory_bytes"), 1 << 20);
  EXPECT_GT(Value(families, "process_max_fds"), 0);
  ASSERT_NE(Find(families, "process_cpu_seconds_total"), nullptr);
  EXPECT_EQ(Find(families, "process_cpu_seconds_total")->type, prometheus::MetricType::Counter);
  // The process started before now and after 2020.
  const double start = Value(families, "process_start_time_seconds");
  EXPECT_LE(start, static_cast<double>(time(nullptr)) + 1);
  EXPECT_GT(start, 1577836800);

  const double fds = Value(families, "process_open_fds");
  EXPECT_GE(fds, 3);  // stdin, stdout, stderr at least
  int extra[4];
  for (int& fd : extra) fd = open("/dev/null", O_RDONLY);
  metrics.Refresh();
  EXPECT_EQ(Value(registry.Collect(), "process_open_fds"), fds + 4);
  for (int fd : extra) close(fd);
}

TEST(ProcessMetricsTest, CpuCounterGrowsWithWork) {
  prometheus::Registry registry;
  ProcessMetrics metrics(registry);
  const double before = Value(registry.Collect(), "process_cpu_seconds_total");
  // Burn CPU until the kernel's tick-granular count moves (bounded by the counter, not a clock).
  volatile unsigned long x = 0;
  double after = before;
  for (int round = 0; round < 1000 && after <= before; ++round) {
    for (int i = 0; i < 10000000; ++i) x = x + i;
    metrics.Refresh();
    after = Value(registry.Collect(), "process_cpu_seconds_total");
  }
  EXPECT_GT(after, before);
}

}  // namespace
}  // namespace onem2m::ops

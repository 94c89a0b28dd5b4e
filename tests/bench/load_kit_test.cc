#include "tests/bench/load_kit.h"

#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <map>
#include <vector>

#include "gtest/gtest.h"

namespace onem2m::bench {
namespace {

// A child that has exited and been reaped: its /proc entry is gone, as a postgres backend's is
// when it exits while PostgresCpu walks /proc.
pid_t GonePid() {
  const pid_t pid = fork();
  if (pid == 0) _exit(0);
  int status = 0;
  waitpid(pid, &status, 0);
  return pid;
}

TEST(ProcCpuSecondsTest, ReadsThisProcess) {
  volatile double sink = 0;
  for (int i = 0; i < 20000000; ++i) sink = sink + i;  // some CPU, so the figure is not 0
  EXPECT_GT(ProcCpuSeconds(getpid()), 0.0);
}

TEST(ProcCpuSecondsTest, GoneProcessIsZeroNotAnException) {
  EXPECT_EQ(ProcCpuSeconds(GonePid()), 0.0);
}

TEST(ProcStatusKbTest, ReadsThisProcessAndMissesGoneOnes) {
  EXPECT_GT(ProcStatusKb(getpid(), "VmRSS:"), 0);
  EXPECT_EQ(ProcStatusKb(getpid(), "NoSuchField:"), -1);
  EXPECT_EQ(ProcStatusKb(GonePid(), "VmRSS:"), -1);
}

TEST(PostgresCpuTest, FindsProcessesNamedPostgresAndNothingElse) {
  int ready[2];
  ASSERT_EQ(pipe(ready), 0);
  const pid_t child = fork();
  if (child == 0) {
    prctl(PR_SET_NAME, "postgres");
    volatile double sink = 0;
    for (int i = 0; i < 20000000; ++i) sink = sink + i;
    (void)!write(ready[1], "x", 1);
    for (;;) pause();
  }
  char c;
  ASSERT_EQ(read(ready[0], &c, 1), 1);
  const std::map<pid_t, double> found = PostgresCpu();
  kill(child, SIGKILL);
  waitpid(child, nullptr, 0);
  close(ready[0]);
  close(ready[1]);
  ASSERT_EQ(found.count(child), 1u);
  EXPECT_GT(found.at(child), 0.0);
  EXPECT_EQ(found.count(getpid()), 0u);
}

LoadResult Finished(int64_t ok, double seconds) {
  LoadResult r;
  r.ok = ok;
  r.seconds = seconds;
  return r;
}

TEST(RateTest, IsOperationsPerSecond) {
  EXPECT_DOUBLE_EQ(Rate(Finished(3000, 2.0)), 1500.0);
  EXPECT_DOUBLE_EQ(Rate(Finished(3000, 0.0)), 0.0);
}

TEST(MedianRoundTest, IsTheRoundWithTheMiddleRate) {
  std::vector<LoadResult> rounds = {Finished(300, 1), Finished(100, 1), Finished(200, 1)};
  EXPECT_EQ(MedianRound(rounds).ok, 200);
  // Sorted by rate in place, as mef_load's targets read the median round again afterwards.
  EXPECT_EQ(rounds[0].ok, 100);
  EXPECT_EQ(rounds[2].ok, 300);
  std::vector<LoadResult> even = {Finished(400, 1), Finished(100, 1), Finished(300, 1),
                                  Finished(200, 1)};
  EXPECT_EQ(MedianRound(even).ok, 200);  // the lower middle
}

TEST(MedianTest, IsTheMiddleValueOrTheLowerMiddle) {
  EXPECT_DOUBLE_EQ(Median({0.9, 0.7, 0.8}), 0.8);
  EXPECT_DOUBLE_EQ(Median({0.9, 0.6, 0.8, 0.7}), 0.7);
  EXPECT_DOUBLE_EQ(Median({}), 0.0);
}

}  // namespace
}  // namespace onem2m::bench

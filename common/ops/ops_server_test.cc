#include "common/ops/ops_server.h"

#include <prometheus/counter.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <string>

#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"

#include "common/net/socket_util.h"
#include "common/testing/status_matchers.h"
#include "common/testing/wait_for.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace onem2m::ops {
namespace {

using ::onem2m::testing::IsOk;

std::string Get(int port, const std::string& path) {
  auto addr = net::ParseHostPort("127.0.0.1:" + std::to_string(port));
  auto fd = net::ConnectWithDeadline(*addr, SOCK_STREAM, absl::Now() + absl::Seconds(2));
  if (!fd.ok()) return "";
  std::string req = "GET " + path + " HTTP/1.1\r\nHost: x\r\n\r\n";
  (void)!write(*fd, req.data(), req.size());
  std::string out;
  char buf[4096];
  ssize_t n;
  while ((n = read(*fd, buf, sizeof(buf))) > 0) out.append(buf, n);
  close(*fd);
  return out;
}

// WaitFor polls `path` until its answer contains `want` (checks run in the background, so a
// change shows within one check interval).
bool WaitFor(int port, const std::string& path, const std::string& want) {
  return testing::WaitFor([&] { return Get(port, path).find(want) != std::string::npos; },
                          absl::Seconds(5), absl::Milliseconds(10));
}

OpsOptions Fast() {
  OpsOptions o;
  o.check_interval = absl::Milliseconds(20);
  o.check_timeout = absl::Milliseconds(300);
  return o;
}

TEST(OpsServerTest, HealthReadinessAndMetrics) {
  auto registry = std::make_shared<prometheus::Registry>();
  auto& family = prometheus::BuildCounter().Name("onem2m_test_total").Help("t").Register(*registry);
  family.Add({{"k", "v"}}).Increment();
  OpsServer ops(registry, Fast());
  std::atomic<bool> store_ok{true};
  ops.AddReadinessCheck("store", [&] {
    return store_ok ? absl::OkStatus() : absl::UnavailableError("database down");
  });
  int scrapes = 0;
  ops.AddScrapeHook([&] { ++scrapes; });
  ASSERT_THAT(ops.Start("127.0.0.1:0"), IsOk());
  EXPECT_NE(Get(ops.port(), "/healthz").find("200 OK"), std::string::npos);
  EXPECT_TRUE(WaitFor(ops.port(), "/readyz", "200 OK"));
  store_ok = false;
  EXPECT_TRUE(WaitFor(ops.port(), "/readyz", "store: database down"));
  EXPECT_NE(Get(ops.port(), "/readyz").find("503"), std::string::npos);
  store_ok = true;
  EXPECT_TRUE(WaitFor(ops.port(), "/readyz", "200 OK"));
  ops.SetDraining();
  EXPECT_NE(Get(ops.port(), "/readyz").find("503"), std::string::npos);
  EXPECT_NE(Get(ops.port(), "/metrics").find("onem2m_test_total{k=\"v\"} 1"), std::string::npos);
  EXPECT_EQ(scrapes, 1);
  EXPECT_NE(Get(ops.port(), "/nope").find("404"), std::string::npos);
  ops.Stop();
}

TEST(OpsServerTest, ReadinessSaysStartingUntilStarted) {
  OpsServer ops(std::make_shared<prometheus::Registry>(), Fast());
  ASSERT_THAT(ops.Start("127.0.0.1:0"), IsOk());
  ops.SetStarting("waiting for PostgreSQL (attempt 3)");
  std::string r = Get(ops.port(), "/readyz");
  EXPECT_NE(r.find("503"), std::string::npos) << r;
  EXPECT_NE(r.find("starting: waiting for PostgreSQL (attempt 3)"), std::string::npos) << r;
  EXPECT_NE(Get(ops.port(), "/healthz").find("200 OK"), std::string::npos);
  ops.SetStarted();
  EXPECT_NE(Get(ops.port(), "/readyz").find("200 OK"), std::string::npos);
}

// A check that hangs (a black-holed database) makes /readyz fail after check_timeout, and neither
// /readyz nor /healthz waits for it.
TEST(OpsServerTest, HangingCheckNeverDelaysProbes) {
  OpsServer ops(std::make_shared<prometheus::Registry>(), Fast());
  absl::Notification release;
  std::atomic<bool> hang{false};
  ops.AddReadinessCheck("store", [&] {
    if (hang) release.WaitForNotificationWithTimeout(absl::Seconds(20));
    return absl::OkStatus();
  });
  ASSERT_THAT(ops.Start("127.0.0.1:0"), IsOk());
  EXPECT_TRUE(WaitFor(ops.port(), "/readyz", "200 OK"));
  hang = true;
  EXPECT_TRUE(WaitFor(ops.port(), "/readyz", "store: no answer for"));
  for (const char* path : {"/healthz", "/readyz"}) {
    absl::Time start = absl::Now();
    std::string r = Get(ops.port(), path);
    EXPECT_LT(absl::Now() - start, absl::Milliseconds(200)) << path;
    EXPECT_NE(r.find(std::string(path) == "/healthz" ? "200 OK" : "503"), std::string::npos) << r;
  }
  hang = false;
  release.Notify();
  EXPECT_TRUE(WaitFor(ops.port(), "/readyz", "200 OK"));
  ops.Stop();
}

// RunsOf is onem2m_readiness_check_runs_total{check=`check`,result=`result`} on /metrics.
double RunsOf(int port, const std::string& check, const std::string& result) {
  const std::string series = "onem2m_readiness_check_runs_total{check=\"" + check +
                             "\",result=\"" + result + "\"} ";
  const std::string page = Get(port, "/metrics");
  const size_t at = page.find(series);
  return at == std::string::npos ? -1 : std::stod(page.substr(at + series.size()));
}

// Every run of a check that returns is counted by result, so a failing check shows progress
// (the e2e tests wait on it); a hung one adds nothing until it returns.
TEST(OpsServerTest, CheckRunsAreCountedByResult) {
  OpsServer ops(std::make_shared<prometheus::Registry>(), Fast());
  std::atomic<bool> store_ok{true};
  absl::Notification release;
  std::atomic<bool> hang{false};
  ops.AddReadinessCheck("store", [&] {
    if (hang) release.WaitForNotificationWithTimeout(absl::Seconds(20));
    return store_ok ? absl::OkStatus() : absl::UnavailableError("database down");
  });
  ops.AddReadinessCheck("canary", [] { return absl::OkStatus(); });
  ASSERT_THAT(ops.Start("127.0.0.1:0"), IsOk());
  const int port = ops.port();
  EXPECT_TRUE(testing::WaitFor([&] { return RunsOf(port, "store", "ok") >= 2; }));
  EXPECT_EQ(RunsOf(port, "store", "failed"), 0);
  store_ok = false;
  EXPECT_TRUE(testing::WaitFor([&] { return RunsOf(port, "store", "failed") >= 3; }));
  hang = true;
  EXPECT_TRUE(WaitFor(port, "/readyz", "store: no answer for"));
  const double failed = RunsOf(port, "store", "failed");
  const double ok = RunsOf(port, "store", "ok");
  // While the canary runs three more times, the hung store check adds nothing.
  const double canary = RunsOf(port, "canary", "ok");
  EXPECT_TRUE(testing::WaitFor([&] { return RunsOf(port, "canary", "ok") >= canary + 3; }));
  EXPECT_EQ(RunsOf(port, "store", "failed"), failed);
  EXPECT_EQ(RunsOf(port, "store", "ok"), ok);
  release.Notify();
  EXPECT_TRUE(testing::WaitFor([&] { return RunsOf(port, "store", "failed") > failed; }));
  ops.Stop();
}

// A client that connects and sends nothing holds one serving thread, not the probes.
TEST(OpsServerTest, SilentClientDoesNotBlockLiveness) {
  OpsServer ops(std::make_shared<prometheus::Registry>(), Fast());
  ASSERT_THAT(ops.Start("127.0.0.1:0"), IsOk());
  auto addr = net::ParseHostPort("127.0.0.1:" + std::to_string(ops.port()));
  auto silent = net::ConnectWithDeadline(*addr, SOCK_STREAM, absl::Now() + absl::Seconds(2));
  ASSERT_THAT(silent, IsOk());
  // No pause needed: the silent connection is complete, so it is ahead of the probe's in the
  // listener's accept queue and a serving thread takes it first.
  absl::Time start = absl::Now();
  EXPECT_NE(Get(ops.port(), "/healthz").find("200 OK"), std::string::npos);
  EXPECT_LT(absl::Now() - start, absl::Milliseconds(500));
  close(*silent);
}

}  // namespace
}  // namespace onem2m::ops

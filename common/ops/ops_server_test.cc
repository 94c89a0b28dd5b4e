#include "common/ops/ops_server.h"

#include <prometheus/counter.h>
#include <sys/socket.h>
#include <unistd.h>

#include <string>

#include "common/net/socket_util.h"
#include "gtest/gtest.h"

namespace onem2m::ops {
namespace {

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

TEST(OpsServerTest, HealthReadinessAndMetrics) {
  auto registry = std::make_shared<prometheus::Registry>();
  auto& family = prometheus::BuildCounter().Name("onem2m_test_total").Help("t").Register(*registry);
  family.Add({{"k", "v"}}).Increment();
  OpsServer ops(registry);
  bool store_ok = true;
  ops.AddReadinessCheck("store", [&] {
    return store_ok ? absl::OkStatus() : absl::UnavailableError("database down");
  });
  int scrapes = 0;
  ops.AddScrapeHook([&] { ++scrapes; });
  ASSERT_TRUE(ops.Start("127.0.0.1:0").ok());
  EXPECT_NE(Get(ops.port(), "/healthz").find("200 OK"), std::string::npos);
  EXPECT_NE(Get(ops.port(), "/readyz").find("200 OK"), std::string::npos);
  store_ok = false;
  std::string not_ready = Get(ops.port(), "/readyz");
  EXPECT_NE(not_ready.find("503"), std::string::npos);
  EXPECT_NE(not_ready.find("store: database down"), std::string::npos);
  store_ok = true;
  ops.SetDraining();
  EXPECT_NE(Get(ops.port(), "/readyz").find("503"), std::string::npos);
  EXPECT_NE(Get(ops.port(), "/metrics").find("onem2m_test_total{k=\"v\"} 1"), std::string::npos);
  EXPECT_EQ(scrapes, 1);
  EXPECT_NE(Get(ops.port(), "/nope").find("404"), std::string::npos);
  ops.Stop();
}

}  // namespace
}  // namespace onem2m::ops

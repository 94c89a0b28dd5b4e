// File: common/ops/ops_server.h
//
// OpsServer is the small plain-HTTP admin port every service runs beside its protocol ports:
//   GET /healthz  200 while the process is alive (liveness);
//   GET /readyz   200 only while every readiness check passes and the service is not draining;
//   GET /metrics  Prometheus text exposition of `registry`.
// It serves one short request per connection on its own thread, so a scrape never competes with
// the I/O threads. Bind it to a cluster-internal address; it carries no secrets.
//
//   auto registry = std::make_shared<prometheus::Registry>();
//   OpsServer ops(registry);
//   ops.AddReadinessCheck("store", [&] { return store->CheckHealth(); });
//   absl::Status s = ops.Start("[::]:9090");
//   ...
//   ops.SetDraining();   // SIGTERM: readiness goes false first
#ifndef ONEM2M_COMMON_OPS_OPS_SERVER_H_
#define ONEM2M_COMMON_OPS_OPS_SERVER_H_

#include <prometheus/registry.h>

#include <atomic>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"

namespace onem2m::ops {

class OpsServer {
 public:
  explicit OpsServer(std::shared_ptr<prometheus::Registry> registry);
  ~OpsServer();

  // AddReadinessCheck registers a check run on every /readyz (and so should be cheap).
  void AddReadinessCheck(std::string name, std::function<absl::Status()> check);
  // AddScrapeHook registers a function run before each /metrics collection, to refresh gauges
  // that are read from elsewhere (pool sizes, queue depths).
  void AddScrapeHook(std::function<void()> hook);
  // Start binds `address` ("[::]:9090", port 0 for any) and serves on a thread.
  absl::Status Start(const std::string& address);
  // port returns the bound port.
  int port() const { return port_; }
  // SetDraining makes /readyz fail from now on.
  void SetDraining() { draining_ = true; }
  void Stop();

  // Readiness returns OK or the first failing check's status (named).
  absl::Status Readiness();

 private:
  void Serve();
  std::string Handle(const std::string& method, const std::string& path);

  std::shared_ptr<prometheus::Registry> registry_;
  absl::Mutex mu_;
  std::vector<std::pair<std::string, std::function<absl::Status()>>> checks_ ABSL_GUARDED_BY(mu_);
  std::vector<std::function<void()>> scrape_hooks_ ABSL_GUARDED_BY(mu_);
  std::atomic<bool> draining_{false};
  std::atomic<bool> stop_{false};
  int fd_ = -1;
  int port_ = 0;
  std::thread thread_;
};

}  // namespace onem2m::ops

#endif  // ONEM2M_COMMON_OPS_OPS_SERVER_H_

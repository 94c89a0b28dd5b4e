// File: common/ops/ops_server.h
//
// OpsServer is the small plain-HTTP admin port every service runs beside its protocol ports:
//   GET /healthz  200 while the process is alive (liveness): answered from the process alone,
//                 never waiting on a database or any other check;
//   GET /readyz   200 only while start-up is over, the service is not draining and the last result
//                 of every readiness check is OK. Checks run on background threads (one per check,
//                 every check_interval); /readyz only reads their cached results, and a check that
//                 has not returned within check_timeout counts as failed. So a slow or black-holed
//                 database makes the pod unready quickly but never makes a probe time out;
//   GET /metrics  Prometheus text exposition of `registry`, which also gets
//                 onem2m_readiness_check_runs_total{check,result="ok"|"failed"}: the runs of each
//                 check that returned (a hung one adds nothing until it returns).
// It serves one short request per connection on a few threads of its own (a slow client holds one
// of them for at most two seconds), so a scrape never competes with the I/O threads. Bind it to a
// cluster-internal address; it carries no secrets.
//
//   auto registry = std::make_shared<prometheus::Registry>();
//   OpsServer ops(registry);
//   ops.AddReadinessCheck("store", [&] { return store->CheckHealth(); });
//   absl::Status s = ops.Start("[::]:9090");
//   ...
//   ops.SetStarting("waiting for PostgreSQL");   // shown on /readyz until SetStarted
//   ops.SetStarted();
//   ops.SetDraining();   // SIGTERM: readiness goes false first
#ifndef ONEM2M_COMMON_OPS_OPS_SERVER_H_
#define ONEM2M_COMMON_OPS_OPS_SERVER_H_

#include <prometheus/counter.h>
#include <prometheus/family.h>
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
#include "absl/time/time.h"

namespace onem2m::ops {

struct OpsOptions {
  absl::Duration check_interval = absl::Seconds(1);  // pause between two runs of one check
  absl::Duration check_timeout = absl::Seconds(1);   // a run longer than this counts as failed
  int threads = 3;                                   // threads answering HTTP requests
};

class OpsServer {
 public:
  explicit OpsServer(std::shared_ptr<prometheus::Registry> registry, OpsOptions options = {});
  ~OpsServer();

  // AddReadinessCheck runs `check` on a thread of its own every check_interval from now on (also
  // before Start); /readyz reports its last result. `check` must return eventually (Stop waits for
  // it), but may block for longer than check_timeout.
  void AddReadinessCheck(std::string name, std::function<absl::Status()> check);
  // AddScrapeHook registers a function run before each /metrics collection, to refresh gauges
  // that are read from elsewhere (pool sizes, queue depths).
  void AddScrapeHook(std::function<void()> hook);
  // Start binds `address` ("[::]:9090", port 0 for any) and serves on a thread.
  absl::Status Start(const std::string& address);
  // registry returns the registry /metrics exposes.
  const std::shared_ptr<prometheus::Registry>& registry() const { return registry_; }
  // port returns the bound port.
  int port() const { return port_; }
  // SetStarting makes /readyz fail with "starting: <what>" until SetStarted (start-up steps
  // that wait, e.g. for PostgreSQL, say so here).
  void SetStarting(std::string what);
  void SetStarted();
  // SetDraining makes /readyz fail from now on.
  void SetDraining() { draining_ = true; }
  // Stop stops serving and waits up to `checks_wait` for the check threads to return. It returns
  // false if one is still blocked (e.g. in a query to a black-holed database); that thread is left
  // running, so the caller must not destroy what the check uses (exit the process instead).
  bool Stop(absl::Duration checks_wait = absl::InfiniteDuration());

  // Readiness returns OK or why not: draining, starting, or the first failing check (named).
  // It never runs a check.
  absl::Status Readiness();

 private:
  struct Check {
    std::string name;
    std::function<absl::Status()> fn;
    // Guarded by OpsServer::mu_.
    absl::Status last = absl::UnavailableError("not checked yet");
    bool running = false;
    absl::Time run_started;
    std::thread thread;
    prometheus::Counter* ok_runs = nullptr;  // null without a registry
    prometheus::Counter* failed_runs = nullptr;
  };

  void Serve();
  void RunCheck(Check* check);
  std::string Handle(const std::string& method, const std::string& path);

  std::shared_ptr<prometheus::Registry> registry_;
  const OpsOptions options_;
  prometheus::Family<prometheus::Counter>* check_runs_ = nullptr;  // null without a registry
  absl::Mutex mu_;
  std::vector<std::unique_ptr<Check>> checks_ ABSL_GUARDED_BY(mu_);
  std::string starting_ ABSL_GUARDED_BY(mu_);  // empty: started
  bool checks_stop_ ABSL_GUARDED_BY(mu_) = false;
  int checks_running_ ABSL_GUARDED_BY(mu_) = 0;  // check threads not yet returned
  absl::Mutex scrape_mu_;  // one scrape at a time runs the hooks
  std::vector<std::function<void()>> scrape_hooks_ ABSL_GUARDED_BY(scrape_mu_);
  std::atomic<bool> draining_{false};
  std::atomic<bool> stop_{false};
  int fd_ = -1;
  int port_ = 0;
  std::vector<std::thread> threads_;
};

}  // namespace onem2m::ops

#endif  // ONEM2M_COMMON_OPS_OPS_SERVER_H_

// store_outage_probe: runs the MEF's bootstrap path under load, stops its PostgreSQL, and records
// what operators and devices see (issue 11 item 2). Driven by tests/e2e/store_outage_alert_test.py,
// which evaluates the chart's OneM2MStoreErrors alert expression on the scrapes it writes.
//
// The MEF is wired as mef_server wires it (PgEnroleeStore, mef::BootstrapServer with
// ops::HandshakeMetrics("onem2m_mef") and mef::MefMetrics on one prometheus::Registry); a scrape is
// that registry in the Prometheus text format, as the ops server's /metrics serves it.
// Timeline: devices (--threads of them, single Bootstrap attempts over TLS with their real Kpm) make
// 20 attempts, scrape "up1", 20 more, scrape "up2"; run --stop_pg (a shell command); 4 attempts,
// scrape "down1", 20 more, scrape "down2". The windows are counts of attempts, not pauses, so they
// hold the same traffic however fast the machine is. Each scrape is written to
// --out_dir/<name>.prom with a first line "# time_unix <seconds>". Device outcomes (attempts by
// status code, before and after the stop) go to --out_dir/devices.txt as "phase code count".
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "common/crypto/envelope.h"
#include "common/ops/handshake_metrics.h"
#include "common/process_defaults.h"
#include "common/secret_bytes.h"
#include "enrolee/bootstrap_client.h"
#include "mef/bootstrap/bootstrap_server.h"
#include "mef/metrics/mef_metrics.h"
#include "mef/store/pg_enrolee_store.h"
#include "prometheus/registry.h"
#include "prometheus/text_serializer.h"

ABSL_FLAG(std::string, pg, "", "libpq conninfo of a PostgreSQL this probe may have stopped.");
ABSL_FLAG(std::string, stop_pg, "", "Shell command that stops that PostgreSQL.");
ABSL_FLAG(std::string, out_dir, "", "Where to write the scrapes and devices.txt.");
ABSL_FLAG(int, threads, 4, "Concurrent devices.");

namespace onem2m {
namespace {

constexpr char kFqdn[] = "mef.local";

struct Device {
  std::string kpm_id;
  std::string kpm;
};

bool WriteScrape(prometheus::Registry& registry, const std::string& path) {
  prometheus::TextSerializer serializer;
  std::ofstream out(path);
  out << "# time_unix " << absl::StrFormat("%.6f", absl::ToDoubleSeconds(absl::Now() - absl::UnixEpoch()))
      << "\n"
      << serializer.Serialize(registry.Collect());
  return static_cast<bool>(out);
}

// Load is the devices: --threads threads, each making single Bootstrap attempts with a random
// device's real Kpm, as many in all as the main thread grants, so the traffic in each scrape window
// is a count, not a stretch of time (and nothing spins while PostgreSQL is being stopped).
class Load {
 public:
  // Run lets `n` more attempts start and returns once they all ended (false after a minute).
  bool Run(int n) {
    absl::MutexLock l(&mu_);
    budget_ += n;
    const int until = ended_ + n;
    auto done = [this, until]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return ended_ >= until; };
    if (mu_.AwaitWithTimeout(absl::Condition(&done), absl::Minutes(1))) return true;
    std::fprintf(stderr, "store_outage_probe: %d attempts did not end\n", n);
    return false;
  }
  void SetPhase(int phase) {
    absl::MutexLock l(&mu_);
    phase_ = phase;
  }
  void Stop() {
    absl::MutexLock l(&mu_);
    stop_ = true;
  }
  // RunDevice is one device thread: the next attempt once granted, until Stop.
  void RunDevice(const std::function<absl::Status()>& attempt) {
    absl::MutexLock l(&mu_);
    auto granted = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return budget_ > 0 || stop_; };
    while (true) {
      mu_.Await(absl::Condition(&granted));
      if (stop_) return;
      --budget_;
      const int phase = phase_;
      mu_.Unlock();
      const absl::Status s = attempt();
      mu_.Lock();
      ++outcomes_[{phase, std::string(absl::StatusCodeToString(s.code()))}];
      ++ended_;
    }
  }
  // Outcomes: attempts by (phase, status code name).
  std::map<std::pair<int, std::string>, int> Outcomes() {
    absl::MutexLock l(&mu_);
    return outcomes_;
  }

 private:
  absl::Mutex mu_;
  int budget_ ABSL_GUARDED_BY(mu_) = 0;
  int ended_ ABSL_GUARDED_BY(mu_) = 0;
  int phase_ ABSL_GUARDED_BY(mu_) = 0;  // 0 = PostgreSQL up, 1 = stopped
  bool stop_ ABSL_GUARDED_BY(mu_) = false;
  std::map<std::pair<int, std::string>, int> outcomes_ ABSL_GUARDED_BY(mu_);
};

int Run() {
  const std::string conninfo = absl::GetFlag(FLAGS_pg);
  const std::string out_dir = absl::GetFlag(FLAGS_out_dir);
  if (conninfo.empty() || out_dir.empty() || absl::GetFlag(FLAGS_stop_pg).empty()) {
    std::fprintf(stderr, "store_outage_probe: --pg, --stop_pg and --out_dir are required\n");
    return 2;
  }
  crypto::Envelope envelope(crypto::Keyring::Generate(1));
  mef::PgEnroleeStoreOptions po;
  po.pool.conninfo = conninfo;
  po.pool.max_size = 4;
  po.pool.connect_timeout = absl::Seconds(1);
  po.pool.acquire_timeout = absl::Seconds(1);
  auto store = mef::PgEnroleeStore::Create(po);
  if (!store.ok()) {
    std::fprintf(stderr, "store: %s\n", store.status().ToString().c_str());
    return 2;
  }
  std::vector<Device> devices;
  std::vector<mef::Enrolee> rows;
  for (int i = 0; i < 50; ++i) {
    Device d{absl::StrFormat("outage-%03d", i), std::string(SecretBytes::Random(32).Reveal())};
    mef::Enrolee e;
    e.kpm_id = d.kpm_id;
    e.kpm = mef::SealedKey{*envelope.Seal(SecretBytes::Copy(d.kpm), d.kpm_id), 1};
    e.enrolee_id = "C-" + d.kpm_id;
    e.maf_id = "maf.local";
    rows.push_back(std::move(e));
    devices.push_back(std::move(d));
  }
  if (auto created = (*store)->BulkCreate(rows); !created.ok()) {
    std::fprintf(stderr, "BulkCreate: %s\n", created.status().ToString().c_str());
    return 2;
  }

  prometheus::Registry registry;
  ops::HandshakeMetrics handshake_metrics(registry, "onem2m_mef");
  mef::MefMetrics mef_metrics(registry);
  mef::BootstrapServerOptions o;
  o.mef_fqdn = kFqdn;
  o.tls_listen = {"127.0.0.1:0"};
  o.handshake_timeout = absl::Seconds(3);
  o.io_threads = 1;
  o.max_sessions_per_source = 0;
  auto server = mef::BootstrapServer::Start(o, store->get(), &envelope, &mef_metrics,
                                            &handshake_metrics);
  if (!server.ok()) {
    std::fprintf(stderr, "server: %s\n", server.status().ToString().c_str());
    return 2;
  }
  const int port = (*server)->tls_addresses().at(0).port();

  Load load;
  std::vector<std::thread> threads;
  for (int t = 0; t < absl::GetFlag(FLAGS_threads); ++t) {
    threads.emplace_back([&, t] {
      std::mt19937 rng(t);
      load.RunDevice([&] {
        const Device& d = devices[rng() % devices.size()];
        enrolee::BootstrapOptions b;
        b.mef_host = "127.0.0.1";
        b.mef_port = port;
        b.mef_fqdn = kFqdn;
        b.kpm_id = d.kpm_id;
        b.kpm = SecretBytes::Copy(d.kpm);
        b.attempt_timeout = absl::Seconds(2);
        return enrolee::Bootstrap(b).status();
      });
    });
  }
  bool ok = load.Run(20);
  ok &= WriteScrape(registry, out_dir + "/up1.prom");
  ok &= load.Run(20);
  ok &= WriteScrape(registry, out_dir + "/up2.prom");
  load.SetPhase(1);
  const int rc = std::system(absl::GetFlag(FLAGS_stop_pg).c_str());
  std::fprintf(stderr, "store_outage_probe: --stop_pg exited %d\n", rc);
  ok &= load.Run(4);  // the pool finds out
  ok &= WriteScrape(registry, out_dir + "/down1.prom");
  ok &= load.Run(20);
  ok &= WriteScrape(registry, out_dir + "/down2.prom");
  load.Stop();
  for (std::thread& t : threads) t.join();
  (*server)->Shutdown(absl::Seconds(1));
  std::ofstream dev(out_dir + "/devices.txt");
  for (const auto& [key, n] : load.Outcomes()) {
    dev << (key.first == 0 ? "up" : "down") << " " << key.second << " " << n << "\n";
  }
  return ok && rc == 0 ? 0 : 1;
}

}  // namespace
}  // namespace onem2m

int main(int argc, char** argv) {
  onem2m::ApplyProcessDefaults();
  absl::ParseCommandLine(argc, argv);
  return onem2m::Run();
}

// mef_load: load generator for the MEF's bootstrap path (not a test).
//
// The MEF (PgEnroleeStore + KpmResolver + EnrolmentSessionFactory + PskServer, as in
// services/mef/mef_server.cc, see tests/e2e/in_process_mef.h) runs in a FORKED CHILD process so its
// RSS (VmHWM / VmRSS from /proc/<child>/status) is not mixed with the load generator's. The parent
// creates --enrolees enrolees with BulkCreate in a fresh schema, then runs --concurrency client
// threads over TLS and/or DTLS for --duration, printing a progress line every second, then
// enrolments/s, p50/p99/max latency and failures by cause. With --baseline it also forks a bare
// OpenSSL TLS-PSK server (SSL_CTX + PSK callback, same suite, handshake + SSL_export_keying_material
// + a canned HTTP answer, no store) and drives it with the same raw client code, printing the
// ratio. With --idle_conns=K it opens K TLS sessions that finish the handshake and stay idle and
// prints the MEF child's RSS delta / K.
//
//   eval "$(bash tests/pg/start_pg.sh)"
//   bazel run -c opt //tests/bench:mef_load -- --pg="$ONEM2M_TEST_PG" --enrolees=20000
//       --concurrency=64 --duration=10s --transport=both --baseline --idle_conns=2000
#include <arpa/inet.h>
#include <netinet/in.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "common/crypto/envelope.h"
#include "common/crypto/key_id.h"
#include "common/secret_bytes.h"
#include "common/tls/blocking_client.h"
#include "common/tls/psk_context.h"
#include "enrolee/bootstrap_client.h"
#include "mef/store/pg_enrolee_store.h"
#include "pqxx/pqxx"
#include "tests/e2e/in_process_mef.h"

ABSL_FLAG(std::string, pg, "", "libpq conninfo (default: $ONEM2M_TEST_PG).");
ABSL_FLAG(int, enrolees, 10000, "Enrolees to create (BulkCreate).");
ABSL_FLAG(int, concurrency, 64, "Concurrent simulated Enrolees (threads).");
ABSL_FLAG(absl::Duration, duration, absl::Seconds(10), "Run time per phase.");
ABSL_FLAG(std::string, transport, "both", "tls, dtls or both.");
ABSL_FLAG(bool, baseline, true, "Also run the bare-OpenSSL TLS baseline and print the ratio.");
ABSL_FLAG(int, idle_conns, 0, "If > 0: open this many idle TLS sessions and report RSS per session.");
ABSL_FLAG(int, io_threads, 2, "MEF I/O threads.");
ABSL_FLAG(int, handshake_workers, 0, "MEF handshake workers (0: Kpm lookups on the I/O threads).");
ABSL_FLAG(int, pg_pool_size, 8, "MEF PostgreSQL pool size.");

namespace onem2m {
namespace {

constexpr char kCipher[] = "PSK-AES128-CBC-SHA256";  // 0x00AE, the mandatory suite

long StatusKb(pid_t pid, const char* field) {
  std::ifstream f(absl::StrCat("/proc/", pid, "/status"));
  std::string line;
  while (std::getline(f, line)) {
    if (absl::StartsWith(line, field)) return std::strtol(line.c_str() + strlen(field) + 1, nullptr, 10);
  }
  return -1;
}

// ---- child processes --------------------------------------------------------------------------

// RunMefChild serves until killed; writes "tls_port dtls_port\n" to `out_fd` once listening.
[[noreturn]] void RunMefChild(const pg::PoolOptions& pool, const crypto::Envelope* envelope, int out_fd) {
  auto mef = e2e::StartMef(pool, envelope, absl::Seconds(10), absl::GetFlag(FLAGS_io_threads),
                           absl::GetFlag(FLAGS_pg_pool_size), absl::Minutes(10),
                           absl::GetFlag(FLAGS_handshake_workers));
  std::string ports = mef ? absl::StrCat(mef->tls_port, " ", mef->dtls_port, "\n") : "0 0\n";
  (void)!write(out_fd, ports.data(), ports.size());
  close(out_fd);
  for (;;) pause();
}

const SecretBytes* g_baseline_key = nullptr;

unsigned int BaselinePsk(SSL*, const char*, unsigned char* psk, unsigned int max_len) {
  if (g_baseline_key->size() > max_len) return 0;
  memcpy(psk, g_baseline_key->data(), g_baseline_key->size());
  return g_baseline_key->size();
}

// RunBaselineChild: bare OpenSSL TLS 1.2 PSK server, blocking, 16 threads sharing one listener.
[[noreturn]] void RunBaselineChild(const SecretBytes* key, int out_fd) {
  g_baseline_key = key;
  SSL_CTX* ctx = SSL_CTX_new(TLS_server_method());
  SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
  SSL_CTX_set_max_proto_version(ctx, TLS1_2_VERSION);
  SSL_CTX_set_cipher_list(ctx, kCipher);
  SSL_CTX_set_psk_server_callback(ctx, BaselinePsk);
  SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
  int lfd = socket(AF_INET, SOCK_STREAM, 0);
  int one = 1;
  setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bind(lfd, reinterpret_cast<sockaddr*>(&a), sizeof a);
  listen(lfd, 4096);
  socklen_t len = sizeof a;
  getsockname(lfd, reinterpret_cast<sockaddr*>(&a), &len);
  std::string ports = absl::StrCat(ntohs(a.sin_port), " 0\n");
  (void)!write(out_fd, ports.data(), ports.size());
  close(out_fd);
  std::vector<std::thread> threads;
  for (int t = 0; t < 16; ++t) {
    threads.emplace_back([ctx, lfd] {
      for (;;) {
        int fd = accept(lfd, nullptr, nullptr);
        if (fd < 0) continue;
        SSL* ssl = SSL_new(ctx);
        SSL_set_fd(ssl, fd);
        if (SSL_accept(ssl) == 1) {
          unsigned char km[48];
          const char* label = "EXPORTER-oneM2M-Bootstrap";
          SSL_export_keying_material(ssl, km, 48, label, strlen(label), nullptr, 0, 0);
          char buf[4096];
          std::string req;
          while (req.find("\r\n\r\n") == std::string::npos || !absl::EndsWith(req, "}")) {
            int n = SSL_read(ssl, buf, sizeof buf);
            if (n <= 0) break;
            req.append(buf, n);
          }
          std::string body = absl::StrCat(
              "{\"keId\":\"",
              crypto::HexUpper(absl::string_view(reinterpret_cast<char*>(km), 16)), "@mef.local\"}");
          std::string resp = absl::StrCat("HTTP/1.1 201 Created\r\nX-M2M-RSC: 2001\r\nContent-Type: application/json\r\nContent-Length: ",
                                          body.size(), "\r\n\r\n", body);
          SSL_write(ssl, resp.data(), resp.size());
          SSL_shutdown(ssl);
          OPENSSL_cleanse(km, sizeof km);
        }
        SSL_free(ssl);
        close(fd);
      }
    });
  }
  for (;;) pause();
}

pid_t Spawn(const std::function<void(int)>& child, int* tls_port, int* dtls_port) {
  int p[2];
  if (pipe(p) != 0) return -1;
  pid_t pid = fork();
  if (pid == 0) {
    close(p[0]);
    child(p[1]);
    _exit(0);
  }
  close(p[1]);
  char buf[64] = {0};
  ssize_t n = 0, got = 0;
  while (got < static_cast<ssize_t>(sizeof buf) - 1 && (n = read(p[0], buf + got, sizeof buf - 1 - got)) > 0) {
    got += n;
    if (memchr(buf, '\n', got)) break;
  }
  close(p[0]);
  sscanf(buf, "%d %d", tls_port, dtls_port);
  return pid;
}

// ---- load ---------------------------------------------------------------------------------------

struct Device {
  std::string kpm_id;
  std::string kpm;  // raw bytes (bench only)
};

// RawEnrol is the raw client used for both the MEF and the baseline over TLS: handshake, export,
// POST /enrolment, read the answer, check its keId equals ours.
absl::Status RawEnrol(int port, const Device& d) {
  tls::ClientOptions co;
  co.transport = tls::Transport::kTls;
  co.psk_identity = d.kpm_id;
  co.psk = SecretBytes::Copy(d.kpm);
  co.server_name = e2e::kFqdn;
  auto ctx = tls::PskContext::NewClient(co);
  if (!ctx.ok()) return ctx.status();
  absl::Time deadline = absl::Now() + absl::Seconds(10);
  auto c = tls::BlockingClient::Connect(*ctx, "127.0.0.1", port, deadline);
  if (!c.ok()) return c.status();
  auto km = (*c)->session().Export("EXPORTER-oneM2M-Bootstrap", 48);
  if (!km.ok()) return km.status();
  std::string ke_id = absl::StrCat(crypto::HexUpper(km->Reveal().substr(0, 16)), "@", e2e::kFqdn);
  const std::string body = "{\"enrolment\":{\"type\":\"maf\"}}";
  std::string req = absl::StrCat("POST /enrolment HTTP/1.1\r\nHost: mef.local\r\nX-M2M-RI: b\r\n"
                                 "Content-Type: application/json\r\nContent-Length: ",
                                 body.size(), "\r\n\r\n", body);
  absl::Status w = (*c)->Write(req, deadline);
  if (!w.ok()) return w;
  std::string got;
  while (!absl::StrContains(got, ke_id)) {
    auto r = (*c)->Read(16384, deadline);
    if (!r.ok()) return r.status();
    if (r->empty()) return absl::UnavailableError(absl::StrCat("closed; got: ", got.substr(0, 60)));
    got += *r;
    if (got.find("X-M2M-RSC: 2001") == std::string::npos && got.find("\r\n\r\n") != std::string::npos &&
        got.find("X-M2M-RSC: ") != std::string::npos) {
      size_t p = got.find("X-M2M-RSC: ");
      return absl::FailedPreconditionError(absl::StrCat("RSC ", got.substr(p + 11, 4)));
    }
  }
  (void)(*c)->Close(absl::Now() + absl::Milliseconds(200));
  return absl::OkStatus();
}

struct Result {
  int64_t ok = 0;
  std::map<std::string, int64_t> failures;
  std::vector<double> latencies_ms;
  double seconds = 0;
};

Result RunLoad(const std::string& name, const std::vector<Device>& devices,
               const std::function<absl::Status(const Device&)>& enrol) {
  const int c = absl::GetFlag(FLAGS_concurrency);
  const absl::Duration dur = absl::GetFlag(FLAGS_duration);
  std::atomic<int64_t> next{0}, ok{0}, fail{0};
  std::atomic<bool> stop{false};
  std::mutex mu;
  Result res;
  std::vector<std::thread> threads;
  absl::Time start = absl::Now();
  for (int t = 0; t < c; ++t) {
    threads.emplace_back([&] {
      std::vector<double> lat;
      std::map<std::string, int64_t> fails;
      while (!stop.load(std::memory_order_relaxed)) {
        const Device& d = devices[next.fetch_add(1) % devices.size()];
        absl::Time t0 = absl::Now();
        absl::Status s = enrol(d);
        if (s.ok()) {
          lat.push_back(absl::ToDoubleMilliseconds(absl::Now() - t0));
          ++ok;
        } else {
          ++fail;
          ++fails[std::string(absl::StatusCodeToString(s.code())) + ": " + std::string(s.message().substr(0, 60))];
        }
      }
      std::lock_guard<std::mutex> l(mu);
      res.latencies_ms.insert(res.latencies_ms.end(), lat.begin(), lat.end());
      for (auto& [k, v] : fails) res.failures[k] += v;
    });
  }
  int64_t last = 0;
  for (int sec = 1; absl::Now() - start < dur; ++sec) {
    absl::SleepFor(absl::Seconds(1));
    int64_t o = ok.load();
    std::printf("[%s] t=%ds ok=%lld (+%lld/s) failed=%lld\n", name.c_str(), sec, static_cast<long long>(o),
                static_cast<long long>(o - last), static_cast<long long>(fail.load()));
    std::fflush(stdout);
    last = o;
  }
  stop = true;
  for (auto& t : threads) t.join();
  res.seconds = absl::ToDoubleSeconds(absl::Now() - start);
  res.ok = ok.load();
  return res;
}

double Report(const std::string& name, Result& r) {
  std::sort(r.latencies_ms.begin(), r.latencies_ms.end());
  auto pct = [&](double p) {
    if (r.latencies_ms.empty()) return 0.0;
    return r.latencies_ms[std::min(r.latencies_ms.size() - 1, static_cast<size_t>(p * r.latencies_ms.size()))];
  };
  double rate = r.ok / r.seconds;
  int64_t failed = 0;
  for (auto& [k, v] : r.failures) failed += v;
  std::printf("== %s: %lld ok in %.1f s = %.0f enrolments/s; latency ms p50=%.1f p99=%.1f max=%.1f; failures=%lld\n",
              name.c_str(), static_cast<long long>(r.ok), r.seconds, rate, pct(0.50), pct(0.99),
              r.latencies_ms.empty() ? 0.0 : r.latencies_ms.back(), static_cast<long long>(failed));
  for (auto& [k, v] : r.failures) std::printf("   failure x%lld: %s\n", static_cast<long long>(v), k.c_str());
  std::fflush(stdout);
  return rate;
}

int Main() {
  signal(SIGPIPE, SIG_IGN);
  rlimit rl;
  getrlimit(RLIMIT_NOFILE, &rl);
  rl.rlim_cur = rl.rlim_max;
  setrlimit(RLIMIT_NOFILE, &rl);

  std::string conninfo = absl::GetFlag(FLAGS_pg);
  if (conninfo.empty() && getenv("ONEM2M_TEST_PG")) conninfo = getenv("ONEM2M_TEST_PG");
  if (conninfo.empty()) {
    std::fprintf(stderr, "mef_load: --pg or ONEM2M_TEST_PG required\n");
    return 2;
  }
  crypto::Envelope envelope(crypto::Keyring::Generate(1));
  pg::PoolOptions pool;
  pool.conninfo = conninfo;
  pool.schema = absl::StrCat("bench_", getpid());
  pool.application_name = "mef_load";

  // Build the enrolee list first (no threads before fork).
  const int n = absl::GetFlag(FLAGS_enrolees);
  std::vector<Device> devices;
  std::vector<mef::Enrolee> rows;
  for (int i = 0; i < n; ++i) {
    Device d{absl::StrCat("bench-", i), std::string(SecretBytes::Random(32).Reveal())};
    mef::Enrolee e;
    e.kpm_id = d.kpm_id;
    e.kpm = mef::SealedKey{*envelope.Seal(SecretBytes::Copy(d.kpm), d.kpm_id), 1};
    e.enrolee_id = "C-" + d.kpm_id;
    e.maf_id = "maf.local";
    rows.push_back(std::move(e));
    devices.push_back(std::move(d));
  }
  {
    mef::PgEnroleeStoreOptions po;
    po.pool = pool;
    auto store = mef::PgEnroleeStore::Create(po);
    if (!store.ok()) {
      std::fprintf(stderr, "store: %s\n", store.status().ToString().c_str());
      return 1;
    }
    absl::Time t0 = absl::Now();
    auto st = (*store)->BulkCreate(rows);
    if (!st.ok()) {
      std::fprintf(stderr, "BulkCreate: %s\n", st.status().ToString().c_str());
      return 1;
    }
    std::printf("created %d enrolees in schema %s in %.2f s\n", n, pool.schema.c_str(),
                absl::ToDoubleSeconds(absl::Now() - t0));
  }
  // The store above is destroyed (its committer thread joined) before forking.
  int tls_port = 0, dtls_port = 0;
  pid_t mef_pid = Spawn([&](int fd) { RunMefChild(pool, &envelope, fd); }, &tls_port, &dtls_port);
  if (tls_port == 0) {
    std::fprintf(stderr, "MEF child failed to start\n");
    return 1;
  }
  std::printf("MEF child pid %d tls=%d dtls=%d; RSS at start %ld KiB\n", mef_pid, tls_port, dtls_port,
              StatusKb(mef_pid, "VmRSS:"));

  const std::string tr = absl::GetFlag(FLAGS_transport);
  double mef_tls_raw = 0;
  int64_t mef_ok = 0;  // answered 2001 by the MEF; each must have its row
  if (tr == "tls" || tr == "both") {
    Result r = RunLoad("mef-tls-raw", devices, [&](const Device& d) { return RawEnrol(tls_port, d); });
    mef_tls_raw = Report("MEF TLS (raw client)", r);
    mef_ok += r.ok;
    Result r2 = RunLoad("mef-tls-enrolee", devices, [&](const Device& d) {
      enrolee::BootstrapOptions o;
      o.mef_host = "127.0.0.1";
      o.mef_port = tls_port;
      o.mef_fqdn = e2e::kFqdn;
      o.transport = tls::Transport::kTls;
      o.kpm_id = d.kpm_id;
      o.kpm = SecretBytes::Copy(d.kpm);
      return enrolee::Bootstrap(o).status();
    });
    Report("MEF TLS (enrolee::Bootstrap)", r2);
    mef_ok += r2.ok;
  }
  if (tr == "dtls" || tr == "both") {
    Result r = RunLoad("mef-dtls-enrolee", devices, [&](const Device& d) {
      enrolee::BootstrapOptions o;
      o.mef_host = "127.0.0.1";
      o.mef_port = dtls_port;
      o.mef_fqdn = e2e::kFqdn;
      o.transport = tls::Transport::kDtls;
      o.kpm_id = d.kpm_id;
      o.kpm = SecretBytes::Copy(d.kpm);
      return enrolee::Bootstrap(o).status();
    });
    Report("MEF DTLS (enrolee::Bootstrap)", r);
    mef_ok += r.ok;
  }
  {
    // Durability cross-check: every answered enrolment has its row (rows may exceed answers when
    // a client gave up after the commit).
    pg::PoolOptions o = pool;
    auto p = pg::ConnectionPool::Create(o);
    int64_t rows = -1;
    if (p.ok()) {
      (void)(*p)->Run([&](pqxx::connection& c) {
        pqxx::nontransaction t(c);
        rows = t.exec("SELECT count(*) FROM enrolments")[0][0].as<int64_t>();
        return absl::OkStatus();
      });
    }
    std::printf("durability: %lld enrolments answered as done, %lld rows in PostgreSQL -> %s\n",
                static_cast<long long>(mef_ok), static_cast<long long>(rows),
                rows >= mef_ok ? "OK" : "MISSING ROWS");
  }
  std::printf("MEF child peak RSS (VmHWM) %ld KiB, now (VmRSS) %ld KiB\n", StatusKb(mef_pid, "VmHWM:"),
              StatusKb(mef_pid, "VmRSS:"));

  if (absl::GetFlag(FLAGS_baseline) && (tr == "tls" || tr == "both")) {
    SecretBytes key = SecretBytes::Random(32);
    std::vector<Device> same{{"baseline", std::string(key.Reveal())}};
    int bport = 0, unused = 0;
    pid_t bpid = Spawn([&](int fd) { RunBaselineChild(&key, fd); }, &bport, &unused);
    Result r = RunLoad("baseline-tls", same, [&](const Device& d) { return RawEnrol(bport, d); });
    double base = Report("bare OpenSSL TLS-PSK baseline (raw client)", r);
    std::printf("ratio MEF TLS / baseline = %.2f\n", base > 0 ? mef_tls_raw / base : 0.0);
    kill(bpid, SIGKILL);
    waitpid(bpid, nullptr, 0);
  }

  const int k = absl::GetFlag(FLAGS_idle_conns);
  if (k > 0) {
    long before = StatusKb(mef_pid, "VmRSS:");
    std::vector<std::unique_ptr<tls::BlockingClient>> open;
    open.reserve(k);
    int failed = 0;
    for (int i = 0; i < k; ++i) {
      const Device& d = devices[i % devices.size()];
      tls::ClientOptions co;
      co.psk_identity = d.kpm_id;
      co.psk = SecretBytes::Copy(d.kpm);
      co.server_name = e2e::kFqdn;
      auto ctx = tls::PskContext::NewClient(co);
      auto c = tls::BlockingClient::Connect(*ctx, "127.0.0.1", tls_port, absl::Now() + absl::Seconds(10));
      if (c.ok()) {
        open.push_back(*std::move(c));
      } else {
        ++failed;
      }
    }
    absl::SleepFor(absl::Seconds(2));
    long after = StatusKb(mef_pid, "VmRSS:");
    std::printf("idle: %zu sessions open (%d failed); MEF RSS %ld -> %ld KiB; %.1f KiB per idle session\n",
                open.size(), failed, before, after,
                open.empty() ? 0.0 : static_cast<double>(after - before) / open.size());
    open.clear();
  }
  kill(mef_pid, SIGKILL);
  waitpid(mef_pid, nullptr, 0);
  // Drop the bench schema.
  {
    pg::PoolOptions o = pool;
    o.schema.clear();
    auto p = pg::ConnectionPool::Create(o);
    if (p.ok()) {
      (void)(*p)->Run([&](pqxx::connection& c) {
        pqxx::nontransaction t(c);
        t.exec("DROP SCHEMA IF EXISTS " + pool.schema + " CASCADE");
        return absl::OkStatus();
      });
    }
  }
  return 0;
}

}  // namespace
}  // namespace onem2m

int main(int argc, char** argv) {
  absl::ParseCommandLine(argc, argv);
  return onem2m::Main();
}

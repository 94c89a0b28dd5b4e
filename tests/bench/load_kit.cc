#include "tests/bench/load_kit.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <netinet/in.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <fstream>
#include <mutex>
#include <nlohmann/json.hpp>
#include <sstream>
#include <thread>

#include "absl/flags/flag.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "common/read_file.h"
#include "common/testing/machine_cpu.h"

ABSL_FLAG(std::string, json_out, "",
          "Also write every measured case as JSON to this file (read by tests/bench/report.py).");

namespace onem2m::bench {

namespace {

// The whole of a /proc file, or "" if it cannot be read. A process can exit between finding it and
// reading its file (PostgresCpu walks every postgres backend while the MEF's pool churns), and the
// read then fails with ESRCH: std::filebuf reported that by throwing out of an
// istreambuf_iterator, which ended a maf_load run with "terminate called ... No such process".
std::string ReadProcFile(const std::string& path) {
  absl::StatusOr<std::string> text = ReadFile(path);
  return text.ok() ? *std::move(text) : std::string();
}

}  // namespace

long ProcStatusKb(pid_t pid, const char* field) {
  for (absl::string_view line :
       absl::StrSplit(ReadProcFile(absl::StrCat("/proc/", pid, "/status")), '\n')) {
    if (absl::StartsWith(line, field)) {
      return std::strtol(std::string(line.substr(strlen(field))).c_str(), nullptr, 10);
    }
  }
  return -1;
}

double ProcCpuSeconds(pid_t pid) {
  const std::string s = ReadProcFile(absl::StrCat("/proc/", pid, "/stat"));
  size_t p = s.rfind(')');  // the command may contain spaces; fields follow the last ')'
  if (p == std::string::npos || p + 2 > s.size()) return 0;
  std::vector<absl::string_view> fields =
      absl::StrSplit(absl::string_view(s).substr(p + 2), ' ', absl::SkipEmpty());
  if (fields.size() < 13) return 0;
  // fields[0] is the state (field 3 of stat); utime is field 14, stime field 15.
  double utime = 0, stime = 0;
  if (!absl::SimpleAtod(fields[11], &utime) || !absl::SimpleAtod(fields[12], &stime)) return 0;
  return (utime + stime) / sysconf(_SC_CLK_TCK);
}

std::map<pid_t, double> PostgresCpu() {
  std::map<pid_t, double> out;
  DIR* proc = opendir("/proc");
  if (proc == nullptr) return out;
  while (dirent* e = readdir(proc)) {
    const pid_t pid = static_cast<pid_t>(std::strtol(e->d_name, nullptr, 10));
    if (pid <= 0) continue;
    if (ReadProcFile(absl::StrCat("/proc/", pid, "/comm")) == "postgres\n") {
      out[pid] = ProcCpuSeconds(pid);
    }
  }
  closedir(proc);
  return out;
}

double CpuSince(const std::map<pid_t, double>& before, const std::map<pid_t, double>& now) {
  double total = 0;
  for (const auto& [pid, cpu] : now) {
    auto b = before.find(pid);
    total += b == before.end() ? cpu : std::max(0.0, cpu - b->second);
  }
  return total;
}

pid_t SpawnChild(const std::function<void(int)>& child, std::vector<int>* ports) {
  int p[2];
  if (pipe(p) != 0) return -1;
  std::fflush(stdout);
  pid_t pid = fork();
  if (pid == 0) {
    close(p[0]);
    child(p[1]);
    _exit(0);
  }
  close(p[1]);
  std::string line;
  char c;
  while (read(p[0], &c, 1) == 1 && c != '\n') line += c;
  close(p[0]);
  ports->clear();
  std::istringstream in(line);
  int port;
  while (in >> port) ports->push_back(port);
  return pid;
}

void WritePorts(int fd, std::initializer_list<int> ports) {
  std::string s = absl::StrCat(absl::StrJoin(ports, " "), "\n");
  (void)!write(fd, s.data(), s.size());
  close(fd);
}

double LoadAverage() {
  double one[1] = {0};
  return getloadavg(one, 1) == 1 ? one[0] : -1;
}

LoadResult RunLoad(const std::string& name, const LoadOptions& o,
                   const std::function<absl::Status(int64_t)>& one) {
  std::atomic<int64_t> next{0}, ok{0}, fail{0};
  std::atomic<int> running{o.concurrency};
  std::atomic<bool> stop{false};
  std::mutex mu;
  LoadResult res;
  res.concurrency = o.concurrency;
  res.load_average = LoadAverage();
  std::vector<std::thread> threads;
  const double cpu0 = o.server_pid > 0 ? ProcCpuSeconds(o.server_pid) : 0;
  std::vector<double> other0;
  for (const auto& [part, pid] : o.other_pids) other0.push_back(ProcCpuSeconds(pid));
  const double self0 = ProcCpuSeconds(getpid());
  const std::map<pid_t, double> pg0 = PostgresCpu();
  const testing::MachineCpu machine0 = testing::ReadMachineCpu();
  absl::Time start = absl::Now();
  for (int t = 0; t < o.concurrency; ++t) {
    threads.emplace_back([&] {
      std::vector<double> lat;
      std::map<std::string, int64_t> fails;
      while (!stop.load(std::memory_order_relaxed)) {
        int64_t i = next.fetch_add(1);
        if (o.limit > 0 && i >= o.limit) break;
        absl::Time t0 = absl::Now();
        absl::Status s = one(i);
        if (s.ok()) {
          lat.push_back(absl::ToDoubleMilliseconds(absl::Now() - t0));
          ++ok;
        } else {
          ++fail;
          ++fails[absl::StrCat(absl::StatusCodeToString(s.code()), ": ",
                               s.message().substr(0, 70))];
        }
      }
      std::lock_guard<std::mutex> l(mu);
      res.latencies_ms.insert(res.latencies_ms.end(), lat.begin(), lat.end());
      for (auto& [k, v] : fails) res.failures[k] += v;
      --running;
    });
  }
  int64_t last = 0;
  const absl::Time end = start + o.duration;
  for (int sec = 1; absl::Now() < end && running.load() > 0; ++sec) {
    const absl::Time tick = start + absl::Seconds(sec);
    while (absl::Now() < tick && running.load() > 0) absl::SleepFor(absl::Milliseconds(20));
    int64_t done = ok.load();
    std::printf("[%s] t=%ds ok=%lld (+%lld/s) failed=%lld", name.c_str(), sec,
                static_cast<long long>(done), static_cast<long long>(done - last),
                static_cast<long long>(fail.load()));
    if (o.server_pid > 0) std::printf(" server_rss=%ldKiB", ProcStatusKb(o.server_pid, "VmRSS:"));
    std::printf("\n");
    std::fflush(stdout);
    last = done;
  }
  stop = true;
  for (auto& t : threads) t.join();
  res.seconds = absl::ToDoubleSeconds(absl::Now() - start);
  if (o.server_pid > 0) res.server_cpu = ProcCpuSeconds(o.server_pid) - cpu0;
  const testing::MachineCpu machine1 = testing::ReadMachineCpu();
  res.machine_cpu = machine1.busy - machine0.busy;
  res.steal_share = testing::StealShare(machine0, machine1);
  double parts = 0;
  auto add = [&](const std::string& part, double seconds) {
    res.cpu_split.push_back({part, seconds});
    parts += seconds;
  };
  if (o.server_pid > 0) add(o.server_name, res.server_cpu);
  for (size_t k = 0; k < o.other_pids.size(); ++k) {
    add(o.other_pids[k].first, ProcCpuSeconds(o.other_pids[k].second) - other0[k]);
  }
  add("generator", ProcCpuSeconds(getpid()) - self0);
  add("PostgreSQL", CpuSince(pg0, PostgresCpu()));
  res.cpu_split.push_back({"rest", std::max(0.0, res.machine_cpu - parts)});
  res.ok = ok.load();
  return res;
}

namespace {
// What ReportLoad measured, for WriteJsonReport. The load generators report from one thread.
std::vector<nlohmann::json>& Recorded() {
  static auto* cases = new std::vector<nlohmann::json>();
  return *cases;
}
nlohmann::json& Ratios() {
  static auto* ratios = new nlohmann::json(nlohmann::json::object());
  return *ratios;
}
}  // namespace

void RecordRatio(const std::string& name, double value) { Ratios()[name] = value; }

void WriteJsonReport(const std::string& tool, const std::map<std::string, std::string>& meta) {
  const std::string path = absl::GetFlag(FLAGS_json_out);
  if (path.empty()) return;
  // tests/bench/report.py divides by the cores of the machine that ran the phases, not of the one
  // that draws the report.
  std::map<std::string, std::string> with_cores = meta;
  with_cores.emplace("cores", absl::StrCat(sysconf(_SC_NPROCESSORS_ONLN)));
  nlohmann::json out = {
      {"tool", tool}, {"meta", with_cores}, {"cases", Recorded()}, {"ratios", Ratios()}};
  std::ofstream f(path);
  f << out.dump(2) << "\n";
  if (!f) std::fprintf(stderr, "--json_out %s: write failed\n", path.c_str());
}

double PartUsPerOp(const LoadResult& r, const std::string& part) {
  if (r.ok <= 0) return 0;
  for (const CpuPart& p : r.cpu_split) {
    if (p.name == part) return 1e6 * p.seconds / r.ok;
  }
  return 0;
}

double Rate(const LoadResult& r) { return r.seconds > 0 ? r.ok / r.seconds : 0.0; }

LoadResult& MedianRound(std::vector<LoadResult>& rounds) {
  std::sort(rounds.begin(), rounds.end(),
            [](const LoadResult& a, const LoadResult& b) { return Rate(a) < Rate(b); });
  return rounds[(rounds.size() - 1) / 2];
}

double Median(std::vector<double> values) {
  std::sort(values.begin(), values.end());
  return values.empty() ? 0.0 : values[(values.size() - 1) / 2];
}

double QuantileMs(const LoadResult& r, double q) {
  if (r.latencies_ms.empty()) return 0.0;
  return r.latencies_ms[std::min(r.latencies_ms.size() - 1,
                                 static_cast<size_t>(q * r.latencies_ms.size()))];
}

double ReportLoad(const std::string& name, LoadResult& r, const std::string& unit) {
  std::sort(r.latencies_ms.begin(), r.latencies_ms.end());
  auto pct = [&](double q) { return QuantileMs(r, q); };
  const double rate = Rate(r);
  int64_t failed = 0;
  for (auto& [k, v] : r.failures) failed += v;
  std::printf(
      "== %s: %lld ok in %.1f s = %.0f %s/s; latency ms p50=%.1f p99=%.1f max=%.1f; "
      "failures=%lld",
      name.c_str(), static_cast<long long>(r.ok), r.seconds, rate, unit.c_str(), pct(0.50),
      pct(0.99), r.latencies_ms.empty() ? 0.0 : r.latencies_ms.back(),
      static_cast<long long>(failed));
  if (r.server_cpu > 0) {
    std::printf("; server CPU %.2f s (%.0f us/op)", r.server_cpu,
                r.ok > 0 ? 1e6 * r.server_cpu / r.ok : 0.0);
  }
  std::printf("; load average %.2f\n", r.load_average);
  for (auto& [k, v] : r.failures) {
    std::printf("   failure x%lld: %s\n", static_cast<long long>(v), k.c_str());
  }
  // The machine's whole cost of an operation: what the rate can reach on these cores when the
  // server, its peers, PostgreSQL and the simulated clients all share them.
  nlohmann::json split = nlohmann::json::object();
  const double per_op = r.ok > 0 ? 1e6 / r.ok : 0.0;
  if (r.machine_cpu > 0 && r.ok > 0) {
    std::printf("   machine CPU per op: %.0f us =", r.machine_cpu * per_op);
    const char* sep = " ";
    for (const CpuPart& part : r.cpu_split) {
      std::printf("%s%s %.0f", sep, part.name.c_str(), part.seconds * per_op);
      split[part.name] = part.seconds * per_op;
      sep = " + ";
    }
    const long cores = sysconf(_SC_NPROCESSORS_ONLN);
    std::printf("; %ld cores at this cost: at most %.0f %s/s", cores,
                cores * 1e6 / (r.machine_cpu * per_op), unit.c_str());
    // Time the hypervisor gave to other guests is in no process's CPU: it shows as a lower rate
    // at the same CPU per operation.
    if (r.steal_share >= 0.005) std::printf("; steal %.0f%%", 100 * r.steal_share);
    std::printf("\n");
  }
  std::fflush(stdout);
  Recorded().push_back({{"name", name},
                        {"unit", unit},
                        {"concurrency", r.concurrency},
                        {"ok", r.ok},
                        {"seconds", r.seconds},
                        {"rate", rate},
                        {"p50_ms", pct(0.50)},
                        {"p99_ms", pct(0.99)},
                        {"max_ms", r.latencies_ms.empty() ? 0.0 : r.latencies_ms.back()},
                        {"failures", failed},
                        {"server_cpu_us_per_op", r.ok > 0 ? 1e6 * r.server_cpu / r.ok : 0.0},
                        {"load_average", r.load_average},
                        {"machine_cpu_us_per_op", r.machine_cpu * per_op},
                        {"cpu_split_us_per_op", split},
                        {"steal_share", r.steal_share}});
  return rate;
}

namespace {
const SecretBytes* g_baseline_key = nullptr;

unsigned int BaselinePsk(SSL*, const char*, unsigned char* psk, unsigned int max_len) {
  if (g_baseline_key->size() > max_len) return 0;
  memcpy(psk, g_baseline_key->data(), g_baseline_key->size());
  return static_cast<unsigned int>(g_baseline_key->size());
}
}  // namespace

void RunBareOpenSslServer(const SecretBytes* key, const std::string& cipher, int threads,
                          int out_fd, const std::function<void(SSL*)>& serve) {
  g_baseline_key = key;
  SSL_CTX* ctx = SSL_CTX_new(TLS_server_method());
  SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
  SSL_CTX_set_max_proto_version(ctx, TLS1_2_VERSION);
  SSL_CTX_set_cipher_list(ctx, cipher.c_str());
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
  WritePorts(out_fd, {ntohs(a.sin_port)});
  std::vector<std::thread> workers;
  for (int t = 0; t < threads; ++t) {
    workers.emplace_back([ctx, lfd, &serve] {
      for (;;) {
        int fd = accept(lfd, nullptr, nullptr);
        if (fd < 0) continue;
        SSL* ssl = SSL_new(ctx);
        SSL_set_fd(ssl, fd);
        if (SSL_accept(ssl) == 1) serve(ssl);
        SSL_free(ssl);
        close(fd);
      }
    });
  }
  for (;;) pause();
}

namespace {
unsigned char g_cookie_secret[32];

// The cookie is HMAC-SHA256(secret, peer address), as the MEF's DtlsListener computes it.
int CookieFor(SSL* ssl, unsigned char* out, unsigned int* len) {
  BIO_ADDR* peer = BIO_ADDR_new();
  if (peer == nullptr || BIO_dgram_get_peer(SSL_get_rbio(ssl), peer) <= 0) {
    BIO_ADDR_free(peer);
    return 0;
  }
  unsigned char raw[64];
  size_t raw_len = sizeof(raw);
  unsigned short port = BIO_ADDR_rawport(peer);
  BIO_ADDR_rawaddress(peer, raw, &raw_len);
  memcpy(raw + raw_len, &port, sizeof(port));
  BIO_ADDR_free(peer);
  return HMAC(EVP_sha256(), g_cookie_secret, sizeof(g_cookie_secret), raw, raw_len + sizeof(port),
              out, len) != nullptr;
}

int GenerateCookie(SSL* ssl, unsigned char* cookie, unsigned int* len) {
  return CookieFor(ssl, cookie, len);
}

int VerifyCookie(SSL* ssl, const unsigned char* cookie, unsigned int len) {
  unsigned char want[EVP_MAX_MD_SIZE];
  unsigned int want_len = 0;
  return CookieFor(ssl, want, &want_len) && want_len == len &&
         CRYPTO_memcmp(want, cookie, len) == 0;
}
}  // namespace

void RunBareOpenSslDtlsServer(const SecretBytes* key, const std::string& cipher, int threads,
                              int out_fd, const std::function<void(SSL*)>& serve) {
  g_baseline_key = key;
  RAND_bytes(g_cookie_secret, sizeof(g_cookie_secret));
  SSL_CTX* ctx = SSL_CTX_new(DTLS_server_method());
  SSL_CTX_set_min_proto_version(ctx, DTLS1_2_VERSION);
  SSL_CTX_set_max_proto_version(ctx, DTLS1_2_VERSION);
  SSL_CTX_set_cipher_list(ctx, cipher.c_str());
  SSL_CTX_set_psk_server_callback(ctx, BaselinePsk);
  SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
  SSL_CTX_set_cookie_generate_cb(ctx, GenerateCookie);
  SSL_CTX_set_cookie_verify_cb(ctx, VerifyCookie);
  SSL_CTX_set_read_ahead(ctx, 1);
  auto bound = [](int port) {
    int fd = socket(AF_INET, SOCK_DGRAM, 0);
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = htons(port);
    bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
    return fd;
  };
  int lfd = bound(0);
  sockaddr_in a{};
  socklen_t len = sizeof a;
  getsockname(lfd, reinterpret_cast<sockaddr*>(&a), &len);
  const int port = ntohs(a.sin_port);
  WritePorts(out_fd, {port});
  std::mutex mu;
  std::condition_variable cv;
  std::deque<std::pair<SSL*, int>> ready;
  std::vector<std::thread> workers;
  for (int t = 0; t < threads; ++t) {
    workers.emplace_back([&] {
      for (;;) {
        std::pair<SSL*, int> job;
        {
          std::unique_lock<std::mutex> l(mu);
          cv.wait(l, [&] { return !ready.empty(); });
          job = ready.front();
          ready.pop_front();
        }
        if (SSL_accept(job.first) == 1) serve(job.first);
        SSL_free(job.first);
        close(job.second);
      }
    });
  }
  BIO_ADDR* peer = BIO_ADDR_new();
  for (;;) {
    SSL* ssl = SSL_new(ctx);
    BIO* bio = BIO_new_dgram(lfd, BIO_NOCLOSE);
    SSL_set_bio(ssl, bio, bio);
    SSL_set_options(ssl, SSL_OP_COOKIE_EXCHANGE);
    if (DTLSv1_listen(ssl, peer) <= 0) {
      SSL_free(ssl);
      continue;
    }
    // A socket of the peer's own, connected to it, for the rest of the handshake and the
    // exchange: the kernel prefers a connected socket over the listener for its datagrams.
    int cfd = bound(port);
    sockaddr_in to{};
    to.sin_family = AF_INET;
    to.sin_port = BIO_ADDR_rawport(peer);
    size_t alen = sizeof(to.sin_addr);
    BIO_ADDR_rawaddress(peer, &to.sin_addr, &alen);
    if (connect(cfd, reinterpret_cast<sockaddr*>(&to), sizeof to) != 0) {
      close(cfd);
      SSL_free(ssl);
      continue;
    }
    timeval tv{5, 0};  // a peer that vanishes mid-handshake does not hold a worker for ever
    setsockopt(cfd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    BIO* rbio = SSL_get_rbio(ssl);
    BIO_set_fd(rbio, cfd, BIO_NOCLOSE);
    BIO_ctrl(rbio, BIO_CTRL_DGRAM_SET_CONNECTED, 0, peer);
    {
      std::lock_guard<std::mutex> l(mu);
      ready.emplace_back(ssl, cfd);
    }
    cv.notify_one();
  }
}

}  // namespace onem2m::bench

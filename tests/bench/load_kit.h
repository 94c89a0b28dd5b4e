// File: tests/bench/load_kit.h
//
// What the load generators (mef_load, maf_load) share: forked server children that report their
// ports over a pipe, /proc readings (RSS, CPU) of those children, a closed-loop load runner with a
// progress line and a percentile report, and the bare-OpenSSL PSK server every ratio is measured
// against in the same run.
//
//   std::vector<int> ports;
//   pid_t pid = SpawnChild([&](int fd) { ...; WritePorts(fd, {port}); for (;;) pause(); }, &ports);
//   LoadResult r = RunLoad("mef tls", {64, absl::Seconds(10), pid}, [&](int64_t i) { ... });
//   double rate = ReportLoad("mef tls", r, "enrolments");
#ifndef ONEM2M_TESTS_BENCH_LOAD_KIT_H_
#define ONEM2M_TESTS_BENCH_LOAD_KIT_H_

#include <openssl/ssl.h>
#include <sys/types.h>

#include <cstdint>
#include <functional>
#include <initializer_list>
#include <map>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "common/secret_bytes.h"

namespace onem2m::bench {

// ProcStatusKb reads a "<field> N kB" line of /proc/<pid>/status (e.g. "VmRSS:"), or -1.
long ProcStatusKb(pid_t pid, const char* field);

// ProcCpuSeconds is utime + stime of a process.
double ProcCpuSeconds(pid_t pid);

// PostgresCpu is utime + stime of every live process named "postgres" on this machine (the test
// cluster's backends, and any other cluster's), by pid.
std::map<pid_t, double> PostgresCpu();

// CpuSince is the CPU `now` holds beyond `before`: a process in both counts its difference, a new
// one all of its CPU; one that has exited is not counted (its share falls to the rest).
double CpuSince(const std::map<pid_t, double>& before, const std::map<pid_t, double>& now);

// SpawnChild forks `child(fd)` and waits for the line of ports it writes with WritePorts.
pid_t SpawnChild(const std::function<void(int)>& child, std::vector<int>* ports);

// WritePorts writes "p1 p2 ...\n" to `fd` and closes it.
void WritePorts(int fd, std::initializer_list<int> ports);

struct LoadOptions {
  int concurrency = 64;
  absl::Duration duration = absl::Seconds(10);
  pid_t server_pid = 0;                // > 0: progress shows its RSS, the result its CPU
  std::string server_name = "server";  // the server's name in the CPU split
  int64_t limit = 0;                   // > 0: each index 0..limit-1 is used once, then threads stop
  // Other processes of the run whose CPU the report splits out, e.g. {"MEF", pid}.
  std::vector<std::pair<std::string, pid_t>> other_pids;
};

// CpuPart is one share of the machine's CPU during a phase.
struct CpuPart {
  std::string name;
  double seconds = 0;
};

struct LoadResult {
  int concurrency = 0;
  int64_t ok = 0;
  std::map<std::string, int64_t> failures;  // by cause
  std::vector<double> latencies_ms;
  double seconds = 0;
  double server_cpu = 0;
  // The whole machine's busy CPU during the phase, and its parts: the server, other_pids, the
  // generator itself, PostgreSQL (every "postgres" process), the rest (other processes, kernel
  // threads).
  double machine_cpu = 0;
  std::vector<CpuPart> cpu_split;
  // The hypervisor's share of the machine's CPU time during the phase (common/testing/machine_cpu.h
  // StealShare): a figure from a phase with a large share says more about the host's other guests
  // than about our code.
  double steal_share = 0;
  double load_average = 0;  // the machine's 1-minute load average when the phase started
};

// LoadAverage is the machine's 1-minute load average (the machines are shared: every figure is
// printed with it).
double LoadAverage();

// RunLoad calls `one(i)` from `concurrency` threads (i counts up from 0) for `duration`, printing
// a progress line each second.
LoadResult RunLoad(const std::string& name, const LoadOptions& options,
                   const std::function<absl::Status(int64_t)>& one);

// ReportLoad prints "== name: N ok in S s = R <unit>/s; latency ms p50 p99 max; failures" (and
// server CPU per operation when measured, and the load average at the start), then the machine's
// CPU per operation by part and the rate that cost allows on this machine's cores, and returns the
// rate.
double ReportLoad(const std::string& name, LoadResult& result, const std::string& unit);

// PartUsPerOp is the CPU per completed operation, in microseconds, of the part of r.cpu_split
// named `part` (LoadOptions::server_name, "generator", "PostgreSQL", ...); 0 when the phase has no
// such part or completed nothing.
double PartUsPerOp(const LoadResult& r, const std::string& part);

// Rate is a run's completed operations per second; 0 for a run of no time.
double Rate(const LoadResult& r);

// MedianRound sorts `rounds` (not empty) by Rate and returns the middle one (the lower middle for
// an even count): the round a generator reports for a case run several times.
LoadResult& MedianRound(std::vector<LoadResult>& rounds);

// Median is the middle value (the lower of the two middle ones for an even count); 0 when empty.
// The generators judge a ratio by the median of its rounds, as noise on a shared machine moves
// single rounds both ways.
double Median(std::vector<double> values);

// QuantileMs is the q-quantile (0 to 1) of r's latencies, sorted by ReportLoad; 0 when none.
double QuantileMs(const LoadResult& r, double q);

// Every ReportLoad also records its figures; WriteJsonReport writes them, with `meta` (the run's
// settings, to which it adds "cores", the machine's online CPUs), as one JSON object to the file
// named by --json_out (nothing when the flag is empty).
// tests/bench/report.py reads these files to draw the benchmark report.
//   {"tool": "mef_load", "meta": {...}, "cases": [{"name", "unit", "concurrency", "ok", "seconds",
//    "rate", "p50_ms", "p99_ms", "max_ms", "failures", "server_cpu_us_per_op", "load_average",
//    "machine_cpu_us_per_op", "cpu_split_us_per_op": {"<server_name>", "generator", ...},
//    "steal_share"}, ...],
//    ...],
//    "ratios": {"name": value, ...}}
void RecordRatio(const std::string& name, double value);
void WriteJsonReport(const std::string& tool, const std::map<std::string, std::string>& meta);

// RunBareOpenSslServer is the baseline: a plain OpenSSL TLS 1.2 PSK server (every identity gets
// `key`) with `threads` blocking threads on one loopback listener. After each handshake it calls
// `serve(ssl)` (export keying material, answer a request, ...). Writes its port with WritePorts.
[[noreturn]] void RunBareOpenSslServer(const SecretBytes* key, const std::string& cipher,
                                       int threads, int out_fd,
                                       const std::function<void(SSL*)>& serve);

// RunBareOpenSslDtlsServer is the DTLS baseline: a plain OpenSSL DTLS 1.2 PSK server on one
// loopback UDP port. One thread runs DTLSv1_listen (stateless cookie exchange, HMAC-SHA256 cookies
// as the MEF's) and gives each peer whose cookie returned a socket of its own connected to that
// peer (bound to the same port with SO_REUSEPORT, so the kernel sends the peer's datagrams there);
// `threads` blocking threads finish the handshakes and call `serve(ssl)`. Writes its port with
// WritePorts.
[[noreturn]] void RunBareOpenSslDtlsServer(const SecretBytes* key, const std::string& cipher,
                                           int threads, int out_fd,
                                           const std::function<void(SSL*)>& serve);

}  // namespace onem2m::bench

#endif  // ONEM2M_TESTS_BENCH_LOAD_KIT_H_

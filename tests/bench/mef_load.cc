// mef_load: load generator for the MEF's bootstrap path (not a test).
//
// The MEF (PgEnroleeStore + KpmResolver + EnrolmentSessionFactory + PskServer, as in
// services/mef/mef_server.cc, see tests/e2e/in_process_mef.h) runs in a FORKED CHILD process so its
// RSS (VmHWM / VmRSS from /proc/<child>/status) is not mixed with the load generator's. The parent
// creates --enrolees enrolees with BulkCreate in a fresh schema, then runs --concurrency client
// threads over TLS and/or DTLS for --duration, printing a progress line every second, then
// enrolments/s, p50/p99/max latency and failures by cause. With --baseline it also forks a bare
// OpenSSL TLS-PSK server (SSL_CTX + PSK callback, same suite, handshake +
// SSL_export_keying_material
// + a canned HTTP answer, no store) and drives it with the same raw client code, printing the
// ratio; over DTLS likewise a bare OpenSSL DTLS-PSK server (cookie exchange, export, a canned
// CoAP 2.01) against a raw DTLS client (CoAP POST /enrolment). With --rounds=N the raw-client
// phases run N times, each MEF phase followed by its baseline; each case reports its median round
// and each ratio is the median of the rounds' ratios (docs/performance.md). With --idle_conns=K it
// opens K TLS sessions that finish the handshake and stay idle; with --half_open_conns=K it opens K
// TCP connections that never finish a handshake
// (--half_open_mode=tcp: connect only; partial_hello: a TLS record header and part of a
// ClientHello; tls: a whole ClientHello, the MEF's flight never answered). Each of these phases
// prints the MEF child's RSS before, at peak (all K open) and
// --settle seconds after closing them, and the RSS delta / K ("KiB per idle/half-open session").
// Connections come from 127.0.0.2..127.0.0.251 in turn (no ephemeral-port exhaustion); the MEF
// child has no per-source cap and a --max_sessions of --mef_max_sessions.
//
// With --mef_server=<path> the memory phases (and the load) run against the real mef_server binary
// instead (its own certificates and keyring, the --pg database's default schema), with
// --mef_preload=<lib> as its LD_PRELOAD (another malloc); --transport=none skips the load.
// docs/operations.md "Memory per session" has the figures, the commands and the allocator
// comparison.
//
// Memory figures (issue 11):
//   ulimit -n 20000; bazel run -c opt //tests/bench:mef_load -- --pg="$ONEM2M_TEST_PG"
//       --enrolees=1000 --duration=1s --transport=tls --baseline=false --idle_conns=10000
//       --half_open_conns=10000 --half_open_mode=partial_hello --settle=60
//
//   eval "$(bash tests/pg/start_pg.sh)"
//   bazel run -c opt //tests/bench:mef_load -- --pg="$ONEM2M_TEST_PG" --enrolees=20000
//       --concurrency=64 --duration=10s --transport=both --baseline --idle_conns=2000
//
// With --mef_store=memory the in-process MEF serves over a MemoryEnroleeStore holding the same
// enrolees: the MEF's own ceiling with no database (its phases are named "memory store" and no row
// is checked); docs/performance.md, "Stop 33".
//
// With --kek_compare it only measures TLS enrolments/s with the file keyring and then with a
// PKCS#11 token (SoftHSM2; common/crypto/pkcs11_kek_backend.h), same enrolees and load, and prints
// the ratio:
//   bazel run -c opt //tests/bench:mef_load -- --pg="$ONEM2M_TEST_PG" --kek_compare
//       --enrolees=2000 --concurrency=16 --duration=10s
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "common/crypto/envelope.h"
#include "common/process_defaults.h"
#include "common/secret_bytes.h"
#include "enrolee/bootstrap_client.h"
#include "mef/store/pg_enrolee_store.h"
#include "tests/bench/load_kit.h"
#include "tests/bench/mef_load_flags.h"
#include "tests/bench/mef_load_flood.h"
#include "tests/bench/mef_load_report.h"
#include "tests/bench/mef_load_workload.h"
#include "tests/e2e/in_process_mef.h"
#include "tests/e2e/process_runner.h"
#include "tests/e2e/service_env.h"

namespace onem2m {
namespace mef_load {
namespace {

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
  if (absl::GetFlag(FLAGS_kek_compare)) return RunKekComparison(conninfo);
  // With --mef_server the binary gets a ServiceEnv (certificates, its keyring file) and serves
  // from the database's own schema, so the enrolees are sealed under that keyring and created there
  // (with identities unique to this run).
  const std::string server_bin = absl::GetFlag(FLAGS_mef_server);
  const std::string mef_store = absl::GetFlag(FLAGS_mef_store);
  if (mef_store != "pg" && mef_store != "memory") {
    std::fprintf(stderr, "mef_load: --mef_store is pg or memory\n");
    return 2;
  }
  const bool memory = mef_store == "memory";
  if (memory && !server_bin.empty()) {
    std::fprintf(stderr,
                 "mef_load: --mef_store=memory is for the in-process MEF, not --mef_server\n");
    return 2;
  }
  std::optional<e2e::ServiceEnv> env;
  crypto::Keyring keyring = crypto::Keyring::Generate(1);
  if (!server_bin.empty()) {
    env = e2e::ServiceEnv::Create("mef_load");
    absl::StatusOr<crypto::Keyring> k = crypto::Keyring::LoadFile(env->dir + "/mef.kek");
    if (!k.ok()) {
      std::fprintf(stderr, "keyring: %s\n", k.status().ToString().c_str());
      return 1;
    }
    keyring = *std::move(k);
  }
  crypto::Envelope envelope(keyring);
  pg::PoolOptions pool;
  pool.conninfo = conninfo;
  if (server_bin.empty()) pool.schema = absl::StrCat("bench_", getpid());
  pool.application_name = "mef_load";
  const std::string id_prefix =
      server_bin.empty() ? std::string("bench-") : absl::StrCat("bench-", getpid(), "-");

  // Build the enrolee list first (no threads before fork).
  const int n = absl::GetFlag(FLAGS_enrolees);
  std::vector<Device> devices;
  std::vector<mef::Enrolee> rows;
  for (int i = 0; i < n; ++i) {
    Device d{absl::StrCat(id_prefix, i), std::string(SecretBytes::Random(32).Reveal())};
    mef::Enrolee e;
    e.kpm_id = d.kpm_id;
    e.kpm = mef::SealedKey{*envelope.Seal(SecretBytes::Copy(d.kpm), d.kpm_id), 1};
    e.enrolee_id = "C-" + d.kpm_id;
    e.maf_id = "maf.local";
    rows.push_back(std::move(e));
    devices.push_back(std::move(d));
  }
  // The memory store's child loads `rows` itself; PostgreSQL gets them only when it serves them.
  if (!memory) {
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
  std::vector<int> ports;
  e2e::ChildProcess server_process;
  pid_t mef_pid = 0;
  if (server_bin.empty()) {
    mef_pid = bench::SpawnChild(
        [&](int fd) { RunMefChild(pool, &envelope, fd, memory ? &rows : nullptr); }, &ports);
  } else {
    e2e::MefPorts mp = e2e::MefPorts::Pick();
    std::vector<std::string> argv = env->MefArgv(
        mp, {"--store=pg", "--pg=" + conninfo,
             absl::StrCat("--io_threads=", absl::GetFlag(FLAGS_io_threads)),
             absl::StrCat("--pg_pool_size=", absl::GetFlag(FLAGS_pg_pool_size)),
             absl::StrCat("--max_sessions=", absl::GetFlag(FLAGS_mef_max_sessions)),
             "--max_sessions_per_source=0", "--memory_budget_bytes=0", "--idle_timeout=10m",
             absl::StrCat("--handshake_timeout=",
                          absl::FormatDuration(absl::GetFlag(FLAGS_mef_handshake_timeout)))});
    argv[0] = server_bin;
    for (const std::string& f : absl::GetFlag(FLAGS_mef_server_flags)) argv.push_back(f);
    const std::string log = env->dir + "/mef.log";
    // The child inherits the environment (ChildProcess execs with it): set LD_PRELOAD for it only.
    const std::string preload = absl::GetFlag(FLAGS_mef_preload);
    if (!preload.empty()) setenv("LD_PRELOAD", preload.c_str(), 1);
    absl::Status st = server_process.Start(argv, env->dir + "/mef.out", log);
    if (!preload.empty()) unsetenv("LD_PRELOAD");
    if (st.ok()) st = e2e::WaitReady(server_process, mp.ops, log, "mef_started", absl::Minutes(1));
    if (!st.ok()) {
      std::fprintf(stderr, "mef_server: %s (log: %s)\n", st.ToString().c_str(), log.c_str());
      return 1;
    }
    mef_pid = server_process.pid();
    ports = {mp.tls, mp.dtls};
  }
  const int tls_port = ports.size() == 2 ? ports[0] : 0;
  const int dtls_port = ports.size() == 2 ? ports[1] : 0;
  if (tls_port == 0) {
    std::fprintf(stderr, "MEF child failed to start\n");
    return 1;
  }
  std::printf("MEF child pid %d tls=%d dtls=%d; RSS at start %ld KiB\n", mef_pid, tls_port,
              dtls_port, bench::ProcStatusKb(mef_pid, "VmRSS:"));

  const std::string tr = absl::GetFlag(FLAGS_transport);
  const bool tls_on = tr == "tls" || tr == "both";
  const bool dtls_on = tr == "dtls" || tr == "both";
  const bool baseline = absl::GetFlag(FLAGS_baseline);
  int64_t mef_ok = 0;  // answered 2001 by the MEF; each must have its row

  // The bare servers run for the whole measurement, so that every round can measure the MEF and
  // then its baseline a few seconds apart (the machine's load drifts; a ratio of two phases far
  // apart measures the drift too).
  SecretBytes key = SecretBytes::Random(32);
  std::vector<Device> same{{"baseline", std::string(key.Reveal())}};
  pid_t bare_tls = 0, bare_dtls = 0;
  int bare_tls_port = 0, bare_dtls_port = 0;
  if (baseline && tls_on) {
    std::vector<int> bports;
    bare_tls = bench::SpawnChild([&](int fd) { RunBaselineChild(&key, fd); }, &bports);
    bare_tls_port = bports.empty() ? 0 : bports[0];
    std::printf("bare TLS child pid %d\n", bare_tls);
  }
  if (baseline && dtls_on) {
    std::vector<int> bports;
    bare_dtls = bench::SpawnChild([&](int fd) { RunDtlsBaselineChild(&key, fd); }, &bports);
    bare_dtls_port = bports.empty() ? 0 : bports[0];
    std::printf("bare DTLS child pid %d\n", bare_dtls);
  }

  // Raw-client phases, --rounds times: each case keeps its rounds; reported is the median round.
  // The memory store's phases carry its name (case ids and labels), so no report takes them for
  // the product's.
  const std::string id_suffix = memory ? "-memory" : "";
  const std::string store_note = memory ? ", memory store" : "";
  Series mef_tls{absl::StrCat("MEF TLS (raw client", store_note, ")"), {}},
      base_tls{"bare OpenSSL TLS-PSK baseline (raw client)", {}};
  Series mef_dtls{absl::StrCat("MEF DTLS (raw client", store_note, ")"), {}},
      base_dtls{"bare OpenSSL DTLS-PSK baseline (raw client)", {}};
  std::vector<double> tls_ratios, dtls_ratios;
  const int rounds = std::max(1, absl::GetFlag(FLAGS_rounds));
  for (int round = 0; round < rounds; ++round) {
    const double load = bench::LoadAverage();
    if (tls_on) {
      mef_tls.rounds.push_back(Load("mef-tls-raw" + id_suffix, mef_pid, devices,
                                    [&](const Device& d) { return RawEnrol(tls_port, d); }));
      mef_ok += mef_tls.rounds.back().ok;
      if (bare_tls > 0) {
        base_tls.rounds.push_back(Load("baseline-tls", bare_tls, same, [&](const Device& d) {
          return RawEnrol(bare_tls_port, d);
        }));
        const double b = Rate(base_tls.rounds.back());
        if (b > 0) tls_ratios.push_back(Rate(mef_tls.rounds.back()) / b);
      }
    }
    if (dtls_on) {
      mef_dtls.rounds.push_back(Load("mef-dtls-raw" + id_suffix, mef_pid, devices,
                                     [&](const Device& d) { return RawEnrolDtls(dtls_port, d); }));
      mef_ok += mef_dtls.rounds.back().ok;
      if (bare_dtls > 0) {
        base_dtls.rounds.push_back(Load("baseline-dtls", bare_dtls, same, [&](const Device& d) {
          return RawEnrolDtls(bare_dtls_port, d);
        }));
        const double b = Rate(base_dtls.rounds.back());
        if (b > 0) dtls_ratios.push_back(Rate(mef_dtls.rounds.back()) / b);
      }
    }
    PrintRound(round, rounds, load, {&mef_tls, &base_tls, &mef_dtls, &base_dtls}, tls_ratios,
               dtls_ratios);
  }
  ReportRounds({&mef_tls, &base_tls, &mef_dtls, &base_dtls}, tls_ratios, dtls_ratios);
  PrintTargets("TLS", mef_tls, base_tls, tls_ratios, memory);
  PrintTargets("DTLS", mef_dtls, base_dtls, dtls_ratios, memory);
  for (pid_t b : {bare_tls, bare_dtls}) {
    if (b > 0) {
      kill(b, SIGKILL);
      waitpid(b, nullptr, 0);
    }
  }

  // The device library's own client, once per transport.
  auto library_phase = [&](tls::Transport transport, int port, const std::string& name,
                           const std::string& label) {
    bench::LoadResult r = Load(name + id_suffix, mef_pid, devices, [&](const Device& d) {
      enrolee::BootstrapOptions o;
      o.mef_host = "127.0.0.1";
      o.mef_port = port;
      o.mef_fqdn = e2e::kFqdn;
      o.transport = transport;
      o.kpm_id = d.kpm_id;
      o.kpm = SecretBytes::Copy(d.kpm);
      return enrolee::Bootstrap(o).status();
    });
    bench::ReportLoad(absl::StrCat(label, " (enrolee::Bootstrap", store_note, ")"), r,
                      "enrolments");
    mef_ok += r.ok;
  };
  if (tls_on) library_phase(tls::Transport::kTls, tls_port, "mef-tls-enrolee", "MEF TLS");
  if (dtls_on) library_phase(tls::Transport::kDtls, dtls_port, "mef-dtls-enrolee", "MEF DTLS");
  // Durability cross-check: every answered enrolment has its row (the memory store keeps none).
  if (memory) {
    std::printf("memory store: %lld enrolments answered, none durable (the ceiling case)\n",
                static_cast<long long>(mef_ok));
  } else {
    CheckDurability(pool, mef_ok);
  }
  std::printf("MEF child peak RSS (VmHWM) %ld KiB, now (VmRSS) %ld KiB\n",
              bench::ProcStatusKb(mef_pid, "VmHWM:"), bench::ProcStatusKb(mef_pid, "VmRSS:"));
  if (const int k = absl::GetFlag(FLAGS_idle_conns); k > 0)
    IdlePhase(mef_pid, tls_port, devices, k);
  if (const int k = absl::GetFlag(FLAGS_half_open_conns); k > 0) {
    HalfOpenPhase(mef_pid, tls_port, k, absl::GetFlag(FLAGS_half_open_mode), devices);
  }
  bench::WriteJsonReport("mef_load",
                         {{"concurrency", absl::StrCat(absl::GetFlag(FLAGS_concurrency))},
                          {"duration", absl::FormatDuration(absl::GetFlag(FLAGS_duration))},
                          {"transport", tr},
                          {"mef_store", mef_store}});
  if (!server_bin.empty()) {
    server_process.Stop(absl::Seconds(5));
    return 0;  // its rows stay in the database given with --pg
  }
  kill(mef_pid, SIGKILL);
  waitpid(mef_pid, nullptr, 0);
  DropSchema(pool, pool.schema);
  return 0;
}

}  // namespace
}  // namespace mef_load
}  // namespace onem2m

int main(int argc, char** argv) {
  onem2m::ApplyProcessDefaults();
  absl::ParseCommandLine(argc, argv);
  return onem2m::mef_load::Main();
}

// maf_load: load generator for the MAF handshake (docs/protocol.md 5-7, issue 4 "Benchmarks"); not
// a test.
//
// Processes (forked, so each one's RSS is its own; the parent only generates load):
//   MEF child   EnroleeStore (PgEnroleeStore, or MemoryEnroleeStore with --mef_store=memory) +
//               MefCredentialServiceImpl (EnvelopeKeOpener) on gRPC with mutual TLS (MtlsEnv).
//   MAF child   as services/maf/maf_server.cc: MafStore (PgMafStore, or memory) + KmResolver with
//               one MefCredentialClient (client certificate = MAF-ID "maf.local") +
//               maf::HandshakeServer (TLS, asynchronous PSK lookups, procedures on request
//               workers).
//   baseline    bare OpenSSL TLS 1.2 PSK server (same suite; 16 blocking threads; handshake +
//               SSL_export_keying_material(EXPORTER-oneM2M-Connection, 48), no store).
// The parent writes --devices enrolees and one enrolment each (sealed Ke, as a bootstrap would)
// into the MEF store directly, then runs
//   phase 1 "first contact": each handshake uses a DISTINCT device's KeID (so every one includes
//   the
//           gRPC credential fetch from the MEF) and then does MAF Client Registration (8.8.2.3);
//           stops early when every device has had its first contact;
//   phase 2 "KmID": handshakes (+ export on the MAF side) with the devices' KmIDs, round-robin
//           (--kmid_register adds Client Registration); with --km_cache_ttl=0 every one reads the
//           stored Km from the MAF store (no resolver cache), which is what a device reconnecting
//           after more than 30 s sees;
//   phase 3 "baseline": the same raw client code against the bare OpenSSL server.
// Each phase prints a progress line per second, then rate, p50/p99/max, failures by cause; the end
// prints the targets: (a) first contact >= 1000/s, (b) KmID >= 0.8 x baseline.
//
//   eval "$(bash tests/pg/start_pg.sh)"
//   bazel build -c opt //tests/bench:maf_load
//   bazel-bin/tests/bench/maf_load --pg="$ONEM2M_TEST_PG" --devices=20000 --concurrency=64
//   --duration=10s
#include <arpa/inet.h>
#include <grpcpp/grpcpp.h>
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
#include <functional>
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
#include "common/crypto/key_derivation.h"
#include "common/crypto/key_id.h"
#include "common/grpc/server_threads.h"
#include "common/log/logger.h"
#include "common/pg/pool.h"
#include "common/process_defaults.h"
#include "common/psk_server/psk_server.h"
#include "common/secret_bytes.h"
#include "common/testing/mtls_env.h"
#include "common/tls/blocking_client.h"
#include "common/tls/psk_context.h"
#include "enrolee/maf_client.h"
#include "maf/km_resolver/km_resolver.h"
#include "maf/mef_client/mef_credential_client.h"
#include "maf/server/handshake_server.h"
#include "maf/store/memory_maf_store.h"
#include "maf/store/pg_maf_store.h"
#include "mef/credential/credential_service.h"
#include "mef/credential/envelope_ke_opener.h"
#include "mef/store/memory_enrolee_store.h"
#include "mef/store/pg_enrolee_store.h"
#include "pqxx/pqxx"
#include "tests/bench/load_kit.h"

ABSL_FLAG(std::string, pg, "", "libpq conninfo (default: $ONEM2M_TEST_PG); needed for pg stores.");
ABSL_FLAG(std::string, mef_store, "pg", "MEF store: pg or memory.");
ABSL_FLAG(std::string, maf_store, "pg", "MAF store: pg or memory.");
ABSL_FLAG(int, devices, 20000, "Devices (enrolee + enrolment) pre-bootstrapped at the MEF.");
ABSL_FLAG(int, concurrency, 64, "Concurrent simulated devices (client threads).");
ABSL_FLAG(absl::Duration, duration, absl::Seconds(10),
          "Run time per phase (phase 1 ends early when devices run out).");
ABSL_FLAG(std::string, phases, "first,kmid,baseline",
          "Comma list of phases to run: first, kmid, baseline.");
ABSL_FLAG(bool, kmid_register, false,
          "Phase 2 also does Client Registration after each handshake.");
ABSL_FLAG(std::string, suite, "PSK-AES128-CBC-SHA256",
          "TLS suite (OpenSSL name) for phase 2, 3 and the MafClient.");
ABSL_FLAG(int, io_threads, 2, "MAF PskServer I/O threads (maf_server default 2).");
ABSL_FLAG(int, maf_pg_pool_size, 8, "MAF PostgreSQL pool (maf_server default 8).");
ABSL_FLAG(int, mef_pg_pool_size, 8, "MEF PostgreSQL pool.");
ABSL_FLAG(absl::Duration, fetch_timeout, absl::Seconds(2),
          "MAF Km fetch deadline (maf_server default 2s).");
ABSL_FLAG(absl::Duration, km_cache_ttl, absl::Seconds(30),
          "KmResolver cache_ttl (default as production, 30s).");
ABSL_FLAG(int, baseline_threads, 16, "Threads of the bare OpenSSL server.");

namespace onem2m {
namespace {

constexpr char kMafFqdn[] = "maf.local";
constexpr char kMefFqdn[] = "mef.local";
constexpr char kExporterLabel[] = "EXPORTER-oneM2M-Connection";

struct Device {
  std::string kpm_id;
  std::string enrolee_id;
  std::string ke_id;
  std::string ke;  // raw (bench only)
  std::string km;  // raw (bench only)
  std::string km_id;
};

// ---- children ----------------------------------------------------------------------------------

void WritePort(int fd, int port) { bench::WritePorts(fd, {port}); }

void Populate(mef::EnroleeStore* store, const std::vector<Device>& devices,
              const crypto::Envelope& env, int threads) {
  std::vector<mef::Enrolee> rows;
  rows.reserve(devices.size());
  for (const Device& d : devices) {
    mef::Enrolee e;
    e.kpm_id = d.kpm_id;
    e.kpm = mef::SealedKey{*env.Seal(SecretBytes::Random(32), d.kpm_id),
                           static_cast<int32_t>(env.active_version())};
    e.enrolee_id = d.enrolee_id;
    e.maf_id = kMafFqdn;
    rows.push_back(std::move(e));
  }
  auto bulk = store->BulkCreate(rows);
  if (!bulk.ok()) {
    // MemoryEnroleeStore may not implement it; fall back to one by one.
    for (const auto& e : rows) {
      if (!store->CreateEnrolee(e).ok()) {
        std::fprintf(stderr, "CreateEnrolee failed\n");
        std::abort();
      }
    }
  }
  std::atomic<size_t> next{0};
  std::atomic<int> failed{0};
  std::vector<std::thread> ts;
  for (int t = 0; t < threads; ++t) {
    ts.emplace_back([&] {
      for (size_t i; (i = next.fetch_add(1)) < devices.size();) {
        const Device& d = devices[i];
        mef::Enrolment m;
        m.ke_id = *crypto::KeyId::Parse(d.ke_id);
        m.kpm_id = d.kpm_id;
        m.ke = mef::SealedKey{*env.Seal(SecretBytes::Copy(d.ke), d.ke_id),
                              static_cast<int32_t>(env.active_version())};
        m.enrolee_id = d.enrolee_id;
        m.maf_id = kMafFqdn;
        m.expires_at = absl::Now() + absl::Hours(24);
        m.transport = mef::Transport::kTls;
        m.peer_address = "127.0.0.1:1";
        absl::Status s = store->RecordEnrolment(m);
        if (!s.ok() && failed++ == 0)
          std::fprintf(stderr, "RecordEnrolment: %s\n", s.ToString().c_str());
      }
    });
  }
  for (auto& t : ts) t.join();
  if (failed > 0) {
    std::fprintf(stderr, "%d enrolments failed\n", failed.load());
    std::abort();
  }
}

pg::PoolOptions PoolFor(const std::string& conninfo, const std::string& schema, int size,
                        const char* app) {
  pg::PoolOptions p;
  p.conninfo = conninfo;
  p.schema = schema;
  p.max_size = size;
  p.application_name = app;
  return p;
}

[[noreturn]] void RunMefChild(const std::string& conninfo, const std::string& schema,
                              const crypto::Envelope* envelope, const std::vector<Device>* devices,
                              const ::onem2m::testing::MtlsEnv* mtls, int out_fd) {
  SetLogLevel(Level::kWarning);
  SetAuditPath(
      absl::StrCat(::onem2m::testing::TempDir(), "/maf_load_mef_audit.", getpid(), ".log"));
  std::unique_ptr<mef::EnroleeStore> store;
  if (absl::GetFlag(FLAGS_mef_store) == "memory") {
    auto m = std::make_unique<mef::MemoryEnroleeStore>();
    Populate(m.get(), *devices, *envelope, 1);
    store = std::move(m);
  } else {
    mef::PgEnroleeStoreOptions po;
    po.pool = PoolFor(conninfo, schema, absl::GetFlag(FLAGS_mef_pg_pool_size), "maf_load_mef");
    auto s = mef::PgEnroleeStore::Create(po);
    if (!s.ok()) {
      std::fprintf(stderr, "MEF store: %s\n", s.status().ToString().c_str());
      WritePort(out_fd, 0);
      _exit(1);
    }
    store = *std::move(s);
  }
  auto* opener = new mef::EnvelopeKeOpener(envelope);
  auto service = mef::MefCredentialServiceImpl::Create(store.get(), opener, {});
  if (!service.ok()) {
    WritePort(out_fd, 0);
    _exit(1);
  }
  grpc::ServerBuilder b;
  grpcutil::KeepServerThreads(&b);
  int port = 0;
  b.AddListeningPort("127.0.0.1:0", mtls->ServerCredentials(), &port);
  (*service)->Register(&b);
  std::unique_ptr<grpc::Server> server = b.BuildAndStart();
  if (server) (*service)->Start();
  WritePort(out_fd, server ? port : 0);
  for (;;) pause();
}

[[noreturn]] void RunMafChild(const std::string& conninfo, const std::string& schema, int mef_port,
                              const ::onem2m::testing::MtlsEnv* mtls, int out_fd) {
  SetLogLevel(Level::kWarning);
  SetAuditPath(
      absl::StrCat(::onem2m::testing::TempDir(), "/maf_load_maf_audit.", getpid(), ".log"));
  auto* envelope = new crypto::Envelope(crypto::Keyring::Generate(1));
  std::unique_ptr<maf::MafStore> store;
  if (absl::GetFlag(FLAGS_maf_store) == "memory") {
    store = maf::MemoryMafStore::Create();
  } else {
    maf::PgMafStoreOptions po;
    po.pool = PoolFor(conninfo, schema, absl::GetFlag(FLAGS_maf_pg_pool_size), "maf_load_maf");
    auto s = maf::PgMafStore::Create(std::move(po));
    if (!s.ok()) {
      std::fprintf(stderr, "MAF store: %s\n", s.status().ToString().c_str());
      WritePort(out_fd, 0);
      _exit(1);
    }
    store = *std::move(s);
  }
  maf::KmResolverOptions ko;
  ko.maf_fqdn = kMafFqdn;
  ko.store = store.get();
  ko.envelope = envelope;
  ko.default_timeout = absl::GetFlag(FLAGS_fetch_timeout);
  ko.cache_ttl = absl::GetFlag(FLAGS_km_cache_ttl);
  ko.fetchers[kMefFqdn] =
      std::make_shared<maf::MefCredentialClient>(mtls->Channel(mef_port, kMafFqdn), kMafFqdn);
  auto km_resolver = maf::KmResolver::Create(std::move(ko));
  if (!km_resolver.ok()) {
    WritePort(out_fd, 0);
    _exit(1);
  }
  // As services/maf/maf_server.cc runs it.
  maf::HandshakeServerOptions ho;
  ho.maf_fqdn = kMafFqdn;
  ho.tls_listen = {"127.0.0.1:0"};
  ho.handshake_timeout = absl::Seconds(10);
  ho.fetch_timeout = absl::GetFlag(FLAGS_fetch_timeout);
  ho.io_threads = absl::GetFlag(FLAGS_io_threads);
  ho.max_sessions_per_source = 0;  // every simulated device comes from 127.0.0.1
  auto psk = maf::HandshakeServer::Start(ho, store.get(), envelope, *km_resolver, {}, nullptr);
  if (!psk.ok()) {
    std::fprintf(stderr, "MAF server: %s\n", psk.status().ToString().c_str());
    WritePort(out_fd, 0);
    _exit(1);
  }
  WritePort(out_fd, (*psk)->tls_addresses().at(0).port());
  for (;;) pause();
}

// Bare OpenSSL TLS 1.2 PSK server: handshake + export, then wait for the client's close.
[[noreturn]] void RunBaselineChild(const SecretBytes* key, int out_fd) {
  bench::RunBareOpenSslServer(key, absl::GetFlag(FLAGS_suite),
                              absl::GetFlag(FLAGS_baseline_threads), out_fd, [](SSL* ssl) {
                                unsigned char k[48];
                                SSL_export_keying_material(ssl, k, sizeof k, kExporterLabel,
                                                           strlen(kExporterLabel), nullptr, 0, 0);
                                OPENSSL_cleanse(k, sizeof k);
                                char buf[256];
                                while (SSL_read(ssl, buf, sizeof buf) > 0) {
                                }
                              });
}

// ---- load ---------------------------------------------------------------------------------------

// Load runs `one(i)` with the run's concurrency and duration; `limit` > 0 uses each index once.
bench::LoadResult Load(const std::string& name, pid_t server_pid, int64_t limit,
                       const std::function<absl::Status(int64_t)>& one) {
  bench::LoadOptions o;
  o.concurrency = absl::GetFlag(FLAGS_concurrency);
  o.duration = absl::GetFlag(FLAGS_duration);
  o.server_pid = server_pid;
  o.limit = limit;
  return bench::RunLoad(name, o, one);
}

double Report(const std::string& name, bench::LoadResult& r) {
  return bench::ReportLoad(name, r, "ops");
}

std::vector<tls::CipherSuite> Suites() {
  auto s = tls::FindCipherSuite(tls::Transport::kTls, absl::GetFlag(FLAGS_suite));
  if (!s.ok()) {
    std::fprintf(stderr, "--suite: %s\n", s.status().ToString().c_str());
    std::exit(2);
  }
  return {*s};
}

// RawHandshake: handshake with a prepared context, then close_notify and close (phases 2 and 3).
absl::Status RawHandshake(const std::shared_ptr<const tls::PskContext>& ctx, int port) {
  absl::Time deadline = absl::Now() + absl::Seconds(10);
  auto c = tls::BlockingClient::Connect(ctx, "127.0.0.1", port, deadline);
  if (!c.ok()) return c.status();
  (void)(*c)->Close(absl::Now() + absl::Milliseconds(200));
  return absl::OkStatus();
}

// Contexts builds one client PskContext per device (identity, key) so the timed loop does not pay
// SSL_CTX_new; both the MAF and the baseline phase use contexts built the same way.
std::vector<std::shared_ptr<const tls::PskContext>> Contexts(const std::vector<Device>& devices,
                                                             const SecretBytes* same_key) {
  std::vector<std::shared_ptr<const tls::PskContext>> out;
  out.reserve(devices.size());
  for (const Device& d : devices) {
    tls::ClientOptions co;
    co.transport = tls::Transport::kTls;
    co.cipher_suites = Suites();
    co.psk_identity = d.km_id;
    co.psk = same_key ? SecretBytes::Copy(same_key->Reveal()) : SecretBytes::Copy(d.km);
    co.server_name = kMafFqdn;
    auto ctx = tls::PskContext::NewClient(co);
    if (!ctx.ok()) {
      std::fprintf(stderr, "client ctx: %s\n", ctx.status().ToString().c_str());
      std::exit(1);
    }
    out.push_back(*ctx);
  }
  return out;
}

enrolee::MafClientOptions MafOptions(int port, const Device& d, const std::string& identity) {
  enrolee::MafClientOptions o;
  o.maf_host = "127.0.0.1";
  o.maf_port = port;
  o.maf_fqdn = kMafFqdn;
  o.transport = tls::Transport::kTls;
  o.psk_identity = identity;
  o.psk = SecretBytes::Copy(d.km);
  o.originator = d.enrolee_id;
  o.cipher_suites = Suites();
  o.timeout = absl::Seconds(10);
  return o;
}

void DropSchema(const std::string& conninfo, const std::string& schema) {
  pg::PoolOptions o = PoolFor(conninfo, "", 1, "maf_load");
  auto p = pg::ConnectionPool::Create(o);
  if (!p.ok()) return;
  (void)(*p)->Run([&](pqxx::connection& c) {
    pqxx::nontransaction t(c);
    t.exec("DROP SCHEMA IF EXISTS " + schema + " CASCADE");
    return absl::OkStatus();
  });
}

int64_t CountRows(const std::string& conninfo, const std::string& schema,
                  const std::string& table) {
  pg::PoolOptions o = PoolFor(conninfo, schema, 1, "maf_load");
  auto p = pg::ConnectionPool::Create(o);
  int64_t n = -1;
  if (!p.ok()) return n;
  (void)(*p)->Run([&](pqxx::connection& c) {
    pqxx::nontransaction t(c);
    n = t.exec("SELECT count(*) FROM " + table)[0][0].as<int64_t>();
    return absl::OkStatus();
  });
  return n;
}

int Main() {
  signal(SIGPIPE, SIG_IGN);
  rlimit rl;
  getrlimit(RLIMIT_NOFILE, &rl);
  rl.rlim_cur = rl.rlim_max;
  setrlimit(RLIMIT_NOFILE, &rl);

  std::string conninfo = absl::GetFlag(FLAGS_pg);
  if (conninfo.empty() && getenv("ONEM2M_TEST_PG")) conninfo = getenv("ONEM2M_TEST_PG");
  const bool mef_pg = absl::GetFlag(FLAGS_mef_store) == "pg";
  const bool maf_pg = absl::GetFlag(FLAGS_maf_store) == "pg";
  if ((mef_pg || maf_pg) && conninfo.empty()) {
    std::fprintf(stderr, "maf_load: --pg or ONEM2M_TEST_PG required for pg stores\n");
    return 2;
  }
  const std::string phases = absl::GetFlag(FLAGS_phases);
  if (absl::StrContains(phases, "kmid") && !absl::StrContains(phases, "first")) {
    // The MAF only knows a KmID after that device's first contact (fresh MAF store per run).
    std::fprintf(stderr, "maf_load: phase kmid needs phase first in the same run\n");
    return 2;
  }
  const std::string mef_schema = absl::StrCat("maf_load_mef_", getpid());
  const std::string maf_schema = absl::StrCat("maf_load_maf_", getpid());
  crypto::Envelope envelope(crypto::Keyring::Generate(1));
  std::printf(
      "maf_load: devices=%d concurrency=%d duration=%s mef_store=%s maf_store=%s suite=%s "
      "io_threads=%d km_cache_ttl=%s kmid_register=%d cores=%ld\n",
      absl::GetFlag(FLAGS_devices), absl::GetFlag(FLAGS_concurrency),
      absl::FormatDuration(absl::GetFlag(FLAGS_duration)).c_str(),
      absl::GetFlag(FLAGS_mef_store).c_str(), absl::GetFlag(FLAGS_maf_store).c_str(),
      absl::GetFlag(FLAGS_suite).c_str(), absl::GetFlag(FLAGS_io_threads),
      absl::FormatDuration(absl::GetFlag(FLAGS_km_cache_ttl)).c_str(),
      absl::GetFlag(FLAGS_kmid_register), sysconf(_SC_NPROCESSORS_ONLN));

  // Devices as a bootstrap would leave them: Ke and KeID at the MEF; Km, KmID derived on the
  // device.
  const int n = absl::GetFlag(FLAGS_devices);
  std::vector<Device> devices;
  devices.reserve(n);
  for (int i = 0; i < n; ++i) {
    Device d;
    d.kpm_id = absl::StrCat("bench-", i);
    d.enrolee_id = absl::StrCat("C-bench-", i);
    SecretBytes ke = SecretBytes::Random(crypto::kDerivedKeyLen);
    d.ke = std::string(ke.Reveal());
    d.ke_id = *crypto::FormatKeyId(SecretBytes::Random(16).Reveal(), kMefFqdn);
    auto cred = enrolee::DeriveMafCredential(ke, kMafFqdn, kMafFqdn);
    if (!cred.ok()) {
      std::fprintf(stderr, "derive: %s\n", cred.status().ToString().c_str());
      return 1;
    }
    d.km = std::string(cred->km.Reveal());
    d.km_id = cred->km_id;
    devices.push_back(std::move(d));
  }
  if (mef_pg) {
    mef::PgEnroleeStoreOptions po;
    po.pool = PoolFor(conninfo, mef_schema, 16, "maf_load_setup");
    auto store = mef::PgEnroleeStore::Create(po);
    if (!store.ok()) {
      std::fprintf(stderr, "MEF store: %s\n", store.status().ToString().c_str());
      return 1;
    }
    absl::Time t0 = absl::Now();
    Populate(store->get(), devices, envelope, 64);
    std::printf("MEF store (PostgreSQL schema %s): %d enrolees + enrolments written in %.2f s\n",
                mef_schema.c_str(), n, absl::ToDoubleSeconds(absl::Now() - t0));
  }  // store destroyed (threads joined, connections closed) before forking

  ::onem2m::testing::MtlsEnv mtls(
      ::onem2m::testing::TempDir());  // CA + certificates only; no gRPC yet
  int mef_port = 0;
  std::vector<int> ports;
  pid_t mef_pid = bench::SpawnChild(
      [&](int fd) { RunMefChild(conninfo, mef_schema, &envelope, &devices, &mtls, fd); }, &ports);
  mef_port = ports.empty() ? 0 : ports[0];
  if (mef_port == 0) {
    std::fprintf(stderr, "MEF child failed to start\n");
    return 1;
  }
  int maf_port = 0;
  pid_t maf_pid = bench::SpawnChild(
      [&](int fd) { RunMafChild(conninfo, maf_schema, mef_port, &mtls, fd); }, &ports);
  maf_port = ports.empty() ? 0 : ports[0];
  if (maf_port == 0) {
    std::fprintf(stderr, "MAF child failed to start\n");
    kill(mef_pid, SIGKILL);
    return 1;
  }
  std::printf(
      "MEF child pid %d (gRPC mTLS :%d, RSS %ld KiB); MAF child pid %d (TLS :%d, RSS %ld KiB)\n",
      mef_pid, mef_port, bench::ProcStatusKb(mef_pid, "VmRSS:"), maf_pid, maf_port,
      bench::ProcStatusKb(maf_pid, "VmRSS:"));
  std::fflush(stdout);

  double first_rate = -1, kmid_rate = -1, base_rate = -1;
  int64_t first_ok = 0;
  if (absl::StrContains(phases, "first")) {
    const double mef_cpu0 = bench::ProcCpuSeconds(mef_pid);
    bench::LoadResult r = Load("first-contact", maf_pid, n, [&](int64_t i) -> absl::Status {
      const Device& d = devices[i];
      auto c = enrolee::MafClient::Connect(MafOptions(maf_port, d, d.ke_id));
      if (!c.ok()) return c.status();
      auto reg = (*c)->RegisterClient(d.km_id);
      if (!reg.ok()) return reg.status();
      if (reg->maf_client_id != d.enrolee_id) return absl::DataLossError("wrong MAF Client ID");
      return absl::OkStatus();
    });
    const double mef_cpu = bench::ProcCpuSeconds(mef_pid) - mef_cpu0;
    first_rate =
        Report("phase 1: first contact (KeID handshake + MEF fetch + Client Registration)", r);
    first_ok = r.ok;
    std::printf("   MEF child CPU during phase 1: %.2f s (%.0f us/fetch)\n", mef_cpu,
                r.ok > 0 ? 1e6 * mef_cpu / r.ok : 0.0);
    if (r.ok + static_cast<int64_t>(r.failures.size()) >= n) {
      std::printf(
          "   note: all %d devices used; phase ended early (raise --devices for a full-length "
          "phase)\n",
          n);
    }
    if (maf_pg) {
      std::printf("   MAF store rows: credentials=%lld clients=%lld (answered ok: %lld)\n",
                  static_cast<long long>(CountRows(conninfo, maf_schema, "maf_credentials")),
                  static_cast<long long>(CountRows(conninfo, maf_schema, "maf_clients")),
                  static_cast<long long>(r.ok));
    }
  }
  const int64_t usable =
      first_ok > 0 ? first_ok : n;  // phase 2 uses devices that had first contact
  std::vector<Device> known(devices.begin(), devices.begin() + std::min<int64_t>(usable, n));
  if (absl::StrContains(phases, "kmid")) {
    absl::Time t0 = absl::Now();
    auto ctxs = Contexts(known, nullptr);
    std::printf("   (%zu client contexts built in %.2f s, outside the timed loop)\n", ctxs.size(),
                absl::ToDoubleSeconds(absl::Now() - t0));
    const bool reg = absl::GetFlag(FLAGS_kmid_register);
    bench::LoadResult r = Load("kmid", maf_pid, 0, [&](int64_t i) -> absl::Status {
      size_t k = i % known.size();
      if (!reg) return RawHandshake(ctxs[k], maf_port);
      auto c = enrolee::MafClient::Connect(MafOptions(maf_port, known[k], known[k].km_id));
      if (!c.ok()) return c.status();
      return (*c)->RegisterClient(known[k].km_id).status();
    });
    kmid_rate = Report(
        reg ? "phase 2: KmID handshake + Client Registration" : "phase 2: KmID handshake", r);
  }
  std::printf("MEF child peak RSS (VmHWM) %ld KiB; MAF child peak RSS %ld KiB, now %ld KiB\n",
              bench::ProcStatusKb(mef_pid, "VmHWM:"), bench::ProcStatusKb(maf_pid, "VmHWM:"),
              bench::ProcStatusKb(maf_pid, "VmRSS:"));
  kill(maf_pid, SIGKILL);
  waitpid(maf_pid, nullptr, 0);
  kill(mef_pid, SIGKILL);
  waitpid(mef_pid, nullptr, 0);

  if (absl::StrContains(phases, "baseline")) {
    SecretBytes key = SecretBytes::Random(32);
    auto ctxs = Contexts(known, &key);
    int bport = 0;
    std::vector<int> bports;
    pid_t bpid = bench::SpawnChild([&](int fd) { RunBaselineChild(&key, fd); }, &bports);
    bport = bports.empty() ? 0 : bports[0];
    bench::LoadResult r = Load(
        "baseline", bpid, 0, [&](int64_t i) { return RawHandshake(ctxs[i % ctxs.size()], bport); });
    base_rate = Report("phase 3: bare OpenSSL TLS-PSK baseline (handshake + export, no store)", r);
    std::printf("   baseline child peak RSS %ld KiB\n", bench::ProcStatusKb(bpid, "VmHWM:"));
    kill(bpid, SIGKILL);
    waitpid(bpid, nullptr, 0);
  }

  std::printf("== targets\n");
  if (first_rate >= 0) {
    std::printf("   (a) first contact %.0f/s vs >= 1000/s: %s\n", first_rate,
                first_rate >= 1000 ? "MET" : "NOT MET");
  }
  if (kmid_rate >= 0 && base_rate > 0) {
    std::printf("   (b) KmID %.0f/s / baseline %.0f/s = %.2f vs >= 0.80: %s\n", kmid_rate,
                base_rate, kmid_rate / base_rate, kmid_rate >= 0.8 * base_rate ? "MET" : "NOT MET");
  }
  std::fflush(stdout);
  if (first_rate >= 0 && base_rate > 0)
    bench::RecordRatio("first_contact_over_baseline", first_rate / base_rate);
  if (kmid_rate >= 0 && base_rate > 0)
    bench::RecordRatio("kmid_over_baseline", kmid_rate / base_rate);
  bench::WriteJsonReport("maf_load",
                         {{"concurrency", absl::StrCat(absl::GetFlag(FLAGS_concurrency))},
                          {"duration", absl::FormatDuration(absl::GetFlag(FLAGS_duration))},
                          {"devices", absl::StrCat(absl::GetFlag(FLAGS_devices))},
                          {"suite", absl::GetFlag(FLAGS_suite)}});
  if (mef_pg) DropSchema(conninfo, mef_schema);
  if (maf_pg) DropSchema(conninfo, maf_schema);
  return 0;
}

}  // namespace
}  // namespace onem2m

int main(int argc, char** argv) {
  onem2m::ApplyProcessDefaults();
  absl::ParseCommandLine(argc, argv);
  return onem2m::Main();
}

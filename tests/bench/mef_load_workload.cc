#include "tests/bench/mef_load_workload.h"

#include <openssl/ssl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <map>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/coap/serializer.h"
#include "common/crypto/key_id.h"
#include "common/crypto/pkcs11_kek_backend.h"
#include "common/exchange/coap_adapter.h"
#include "common/psk_server/capacity_guard.h"
#include "common/testing/softhsm_token.h"
#include "common/tls/blocking_client.h"
#include "common/tls/psk_context.h"
#include "mef/store/memory_enrolee_store.h"
#include "mef/store/pg_enrolee_store.h"
#include "pqxx/pqxx"
#include "tests/bench/mef_load_report.h"
#include "tests/e2e/in_process_mef.h"

namespace onem2m {
namespace mef_load {
namespace {

volatile sig_atomic_t heap_asked = 0;

std::string HeapFile(pid_t pid) { return absl::StrCat("/tmp/mef_load_heap.", pid); }

}  // namespace

long HeapKb(pid_t pid) {
  if (!absl::GetFlag(FLAGS_mef_server).empty()) return -1;
  const std::string path = HeapFile(pid);
  std::remove(path.c_str());
  kill(pid, SIGUSR1);
  for (int i = 0; i < 200; ++i) {
    absl::SleepFor(absl::Milliseconds(10));
    std::ifstream in(path);
    long long bytes = -1;
    if (in >> bytes) {
      std::remove(path.c_str());
      return static_cast<long>(bytes / 1024);
    }
  }
  return -1;
}

// RunMefChild serves until killed; writes "tls_port dtls_port\n" to `out_fd` once listening.
[[noreturn]] void RunMefChild(const pg::PoolOptions& pool, const crypto::Envelope* envelope,
                              int out_fd, const std::vector<mef::Enrolee>* memory_rows) {
  std::unique_ptr<e2e::Mef> mef;
  if (memory_rows != nullptr) {
    auto store = std::make_unique<mef::MemoryEnroleeStore>();
    absl::StatusOr<std::vector<absl::Status>> created = store->BulkCreate(*memory_rows);
    if (created.ok()) {
      mef =
          e2e::StartMefOver(std::move(store), envelope, absl::GetFlag(FLAGS_mef_handshake_timeout),
                            absl::GetFlag(FLAGS_io_threads), absl::Minutes(10),
                            absl::GetFlag(FLAGS_mef_max_sessions));
    }
  } else {
    mef = e2e::StartMef(pool, envelope, absl::GetFlag(FLAGS_mef_handshake_timeout),
                        absl::GetFlag(FLAGS_io_threads), absl::GetFlag(FLAGS_pg_pool_size),
                        absl::Minutes(10), tls::Tls13Options{},
                        absl::GetFlag(FLAGS_mef_max_sessions));
  }
  if (mef) {
    bench::WritePorts(out_fd, {mef->tls_port, mef->dtls_port});
  } else {
    bench::WritePorts(out_fd, {0, 0});
  }
  // SIGUSR1: write the heap in use (glibc mallinfo2) to HeapFile(getpid()), so the parent can tell
  // live bytes from allocator overhead in the RSS it reads.
  signal(SIGUSR1, [](int) { heap_asked = 1; });
  for (;;) {
    pause();
    if (heap_asked) {
      heap_asked = 0;
      const std::string path = HeapFile(getpid());
      const std::string tmp = path + ".tmp";
      if (FILE* f = std::fopen(tmp.c_str(), "w")) {
        std::fprintf(f, "%lld\n", static_cast<long long>(server::CapacityGuard::HeapBytesInUse()));
        std::fclose(f);
        std::rename(tmp.c_str(), path.c_str());
      }
    }
  }
}

// RunBaselineChild: the bare OpenSSL server, answering the same POST /enrolment with the KeID of
// its own export, so the raw client runs the same exchange against both.
[[noreturn]] void RunBaselineChild(const SecretBytes* key, int out_fd) {
  bench::RunBareOpenSslServer(key, kCipher, 16, out_fd, [](SSL* ssl) {
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
        "{\"keId\":\"", crypto::HexUpper(absl::string_view(reinterpret_cast<char*>(km), 16)),
        "@mef.local\"}");
    std::string resp = absl::StrCat(
        "HTTP/1.1 201 Created\r\nX-M2M-RSC: 2001\r\nContent-Type: application/json\r\n"
        "Content-Length: ",
        body.size(), "\r\n\r\n", body);
    SSL_write(ssl, resp.data(), resp.size());
    SSL_shutdown(ssl);
    OPENSSL_cleanse(km, sizeof km);
  });
}

// RunDtlsBaselineChild: the bare OpenSSL DTLS server, answering the CoAP POST /enrolment with a
// piggybacked 2.01 carrying the KeID of its own export (Content-Format 50), so the raw DTLS client
// runs the same exchange against both.
[[noreturn]] void RunDtlsBaselineChild(const SecretBytes* key, int out_fd) {
  bench::RunBareOpenSslDtlsServer(key, kDtlsCipher, 16, out_fd, [](SSL* ssl) {
    unsigned char km[48];
    const char* label = "EXPORTER-oneM2M-Bootstrap";
    SSL_export_keying_material(ssl, km, 48, label, strlen(label), nullptr, 0, 0);
    unsigned char req[1500];
    int n = SSL_read(ssl, req, sizeof req);
    if (n >= 4) {
      const size_t tkl = req[0] & 0x0F;
      std::string ack;
      ack.push_back(static_cast<char>(0x60 | tkl));  // version 1, ACK, token length
      ack.push_back(static_cast<char>(0x41));        // 2.01 Created
      ack.append(reinterpret_cast<char*>(req) + 2, 2 + std::min<size_t>(tkl, n - 4));
      ack.push_back(static_cast<char>(0xC1));  // option 12 (Content-Format), length 1
      ack.push_back(static_cast<char>(50));    // application/json
      ack.push_back(static_cast<char>(0xFF));
      absl::StrAppend(&ack, "{\"keId\":\"",
                      crypto::HexUpper(absl::string_view(reinterpret_cast<char*>(km), 16)),
                      "@mef.local\"}");
      SSL_write(ssl, ack.data(), ack.size());
    }
    SSL_shutdown(ssl);
    OPENSSL_cleanse(km, sizeof km);
  });
}
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
  std::string req = absl::StrCat(
      "POST /enrolment HTTP/1.1\r\nHost: mef.local\r\nX-M2M-RI: b\r\n"
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
    if (got.find("X-M2M-RSC: 2001") == std::string::npos &&
        got.find("\r\n\r\n") != std::string::npos && got.find("X-M2M-RSC: ") != std::string::npos) {
      size_t p = got.find("X-M2M-RSC: ");
      return absl::FailedPreconditionError(absl::StrCat("RSC ", got.substr(p + 11, 4)));
    }
  }
  (void)(*c)->Close(absl::Now() + absl::Milliseconds(200));
  return absl::OkStatus();
}

// RawEnrolDtls is the raw client for the MEF and the baseline over DTLS: handshake (cookie
// exchange included), export, one confirmable CoAP POST /enrolment, read the answer, check its keId
// equals ours.
absl::Status RawEnrolDtls(int port, const Device& d) {
  tls::ClientOptions co;
  co.transport = tls::Transport::kDtls;
  co.psk_identity = d.kpm_id;
  co.psk = SecretBytes::Copy(d.kpm);
  co.server_name = e2e::kFqdn;
  auto suite = tls::FindCipherSuite(tls::Transport::kDtls, kDtlsCipher);
  if (!suite.ok()) return suite.status();
  co.cipher_suites = {*suite};
  auto ctx = tls::PskContext::NewClient(co);
  if (!ctx.ok()) return ctx.status();
  absl::Time deadline = absl::Now() + absl::Seconds(10);
  auto c = tls::BlockingClient::Connect(*ctx, "127.0.0.1", port, deadline);
  if (!c.ok()) return c.status();
  auto km = (*c)->session().Export("EXPORTER-oneM2M-Bootstrap", 48);
  if (!km.ok()) return km.status();
  std::string ke_id = absl::StrCat(crypto::HexUpper(km->Reveal().substr(0, 16)), "@", e2e::kFqdn);
  exchange::Request request;
  request.method = exchange::Method::kPost;
  request.path = "/enrolment";
  request.request_id = "b";
  request.content_type = std::string(exchange::kJsonMediaType);
  request.body = "{\"enrolment\":{\"type\":\"maf\"}}";
  auto message = exchange::RequestToCoap(request, static_cast<uint16_t>(std::rand()), "tk");
  if (!message.ok()) return message.status();
  auto datagram = coap::SerializeMessage(*message);
  if (!datagram.ok()) return datagram.status();
  absl::Status w = (*c)->Write(*datagram, deadline);
  if (!w.ok()) return w;
  auto got = (*c)->Read(1500, deadline);
  if (!got.ok()) return got.status();
  if (!absl::StrContains(*got, ke_id)) {
    return absl::FailedPreconditionError(absl::StrCat("no keId in answer of ", got->size(), " B"));
  }
  (void)(*c)->Close(absl::Now() + absl::Milliseconds(200));
  return absl::OkStatus();
}

// Load runs `enrol` over the devices round robin with the run's concurrency and duration.
bench::LoadResult Load(const std::string& name, pid_t server_pid,
                       const std::vector<Device>& devices,
                       const std::function<absl::Status(const Device&)>& enrol) {
  bench::LoadOptions o;
  o.concurrency = absl::GetFlag(FLAGS_concurrency);
  o.duration = absl::GetFlag(FLAGS_duration);
  o.server_pid = server_pid;
  o.server_name = absl::StartsWith(name, "baseline") ? "bare" : "MEF";
  return bench::RunLoad(name, o, [&](int64_t i) { return enrol(devices[i % devices.size()]); });
}
namespace {

// MakeEnvelope returns the envelope of `backend` ("file": `keyring`; "pkcs11": KEK v2 of the
// SoftHSM2 token `token`, generated on first use). Called in child processes only, so that each
// initialises the PKCS#11 module itself (a module initialised before fork() is unusable after).
crypto::Envelope MakeEnvelope(const std::string& backend, const crypto::Keyring& keyring,
                              const testing::SoftHsmToken& token) {
  if (backend == "file") return crypto::Envelope(keyring);
  crypto::Pkcs11Config config;
  config.module_path = testing::kSoftHsmModule;
  config.token_label = token.label();
  config.pin = SecretBytes::Copy(token.pin());
  config.sessions = 8;
  auto b = crypto::Pkcs11KekBackend::Connect(config);
  if (!b.ok()) {
    std::fprintf(stderr, "pkcs11: %s\n", b.status().ToString().c_str());
    _exit(1);
  }
  if ((*b)->versions().empty() && !(*b)->GenerateKek(2).ok()) _exit(1);
  auto e = crypto::Envelope::Create({*b}, 2);
  if (!e.ok()) _exit(1);
  return *std::move(e);
}

}  // namespace

int RunKekComparison(const std::string& conninfo) {
  char tmpl[] = "/tmp/mef_load_kek_XXXXXX";
  const char* dir = mkdtemp(tmpl);
  auto token = testing::SoftHsmToken::Create(std::string(dir) + "/hsm");
  if (!token.ok()) {
    std::fprintf(stderr, "SoftHSM2 token: %s\n", token.status().ToString().c_str());
    return 1;
  }
  const crypto::Keyring keyring = crypto::Keyring::Generate(1);
  const int n = absl::GetFlag(FLAGS_enrolees);
  std::vector<Device> devices;
  for (int i = 0; i < n; ++i) {
    devices.push_back(
        Device{absl::StrCat("bench-", i), std::string(SecretBytes::Random(32).Reveal())});
  }
  std::map<std::string, double> rate;
  for (const std::string backend : {"file", "pkcs11"}) {
    pg::PoolOptions pool;
    pool.conninfo = conninfo;
    pool.schema = absl::StrCat("bench_kek_", backend, "_", getpid());
    pool.application_name = "mef_load";
    // Seed the enrolees (Kpm sealed under this backend) in a child, then serve from another.
    const pid_t seed = fork();
    if (seed == 0) {
      crypto::Envelope envelope = MakeEnvelope(backend, keyring, *token);
      std::vector<mef::Enrolee> rows;
      for (const Device& d : devices) {
        mef::Enrolee e;
        e.kpm_id = d.kpm_id;
        e.kpm = mef::SealedKey{*envelope.Seal(SecretBytes::Copy(d.kpm), d.kpm_id),
                               static_cast<int32_t>(envelope.active_version())};
        e.enrolee_id = "C-" + d.kpm_id;
        e.maf_id = "maf.local";
        rows.push_back(std::move(e));
      }
      mef::PgEnroleeStoreOptions po;
      po.pool = pool;
      auto store = mef::PgEnroleeStore::Create(po);
      _exit(store.ok() && (*store)->BulkCreate(rows).ok() ? 0 : 1);
    }
    int seed_status = 0;
    waitpid(seed, &seed_status, 0);
    if (!WIFEXITED(seed_status) || WEXITSTATUS(seed_status) != 0) {
      std::fprintf(stderr, "seeding enrolees for %s failed\n", backend.c_str());
      return 1;
    }
    std::vector<int> ports;
    pid_t mef_pid = bench::SpawnChild(
        [&](int fd) {
          crypto::Envelope envelope = MakeEnvelope(backend, keyring, *token);
          RunMefChild(pool, &envelope, fd);
        },
        &ports);
    if (ports.empty() || ports[0] == 0) {
      std::fprintf(stderr, "MEF child (%s) failed to start\n", backend.c_str());
      return 1;
    }
    bench::LoadResult r = Load("mef-tls-kek-" + backend, mef_pid, devices,
                               [&](const Device& d) { return RawEnrol(ports[0], d); });
    rate[backend] =
        bench::ReportLoad("MEF TLS, KEK backend " + backend + " (raw client)", r, "enrolments");
    kill(mef_pid, SIGKILL);
    waitpid(mef_pid, nullptr, 0);
    DropSchema(pool, pool.schema);
  }
  const double ratio = rate["file"] > 0 ? rate["pkcs11"] / rate["file"] : 0.0;
  std::printf("ratio MEF TLS enrolments/s pkcs11 / file = %.2f\n", ratio);
  bench::RecordRatio("mef_tls_pkcs11_over_file", ratio);
  bench::WriteJsonReport("mef_load_kek",
                         {{"concurrency", absl::StrCat(absl::GetFlag(FLAGS_concurrency))},
                          {"duration", absl::FormatDuration(absl::GetFlag(FLAGS_duration))}});
  return 0;
}

}  // namespace mef_load
}  // namespace onem2m

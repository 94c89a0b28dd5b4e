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
// With --kek_compare it only measures TLS enrolments/s with the file keyring and then with a
// PKCS#11 token (SoftHSM2; common/crypto/pkcs11_kek_backend.h), same enrolees and load, and prints
// the ratio:
//   bazel run -c opt //tests/bench:mef_load -- --pg="$ONEM2M_TEST_PG" --kek_compare
//       --enrolees=2000 --concurrency=16 --duration=10s
#include <arpa/inet.h>
#include <fcntl.h>
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
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "common/coap/serializer.h"
#include "common/crypto/envelope.h"
#include "common/crypto/key_id.h"
#include "common/crypto/pkcs11_kek_backend.h"
#include "common/exchange/coap_adapter.h"
#include "common/process_defaults.h"
#include "common/psk_server/capacity_guard.h"
#include "common/secret_bytes.h"
#include "common/testing/softhsm_token.h"
#include "common/tls/blocking_client.h"
#include "common/tls/psk_context.h"
#include "common/tls/psk_session.h"
#include "enrolee/bootstrap_client.h"
#include "mef/store/pg_enrolee_store.h"
#include "pqxx/pqxx"
#include "tests/bench/load_kit.h"
#include "tests/e2e/in_process_mef.h"
#include "tests/e2e/process_runner.h"
#include "tests/e2e/service_env.h"

ABSL_FLAG(std::string, pg, "", "libpq conninfo (default: $ONEM2M_TEST_PG).");
ABSL_FLAG(int, enrolees, 10000, "Enrolees to create (BulkCreate).");
ABSL_FLAG(int, concurrency, 64, "Concurrent simulated Enrolees (threads).");
ABSL_FLAG(absl::Duration, duration, absl::Seconds(10), "Run time per phase.");
ABSL_FLAG(std::string, transport, "both", "tls, dtls or both.");
ABSL_FLAG(bool, baseline, true,
          "Also run the bare-OpenSSL TLS (and DTLS) baselines and print the ratios.");
ABSL_FLAG(int, rounds, 1,
          "Rounds of the raw-client phases, each MEF phase followed by its bare baseline; every "
          "case reports its median round and each ratio is the median of the rounds' ratios.");
ABSL_FLAG(int, idle_conns, 0,
          "If > 0: open this many idle TLS sessions and report RSS per session.");
ABSL_FLAG(
    int, half_open_conns, 0,
    "If > 0: open this many connections that never finish a handshake; report RSS per session.");
ABSL_FLAG(std::string, half_open_mode, "tcp",
          "tcp (connect only), partial_hello (a record header and part of a ClientHello) or tls "
          "(a whole ClientHello: the MEF answers with its flight and waits for the client's).");
ABSL_FLAG(int, settle, 60, "Seconds to wait after closing the idle/half-open connections.");
ABSL_FLAG(int, mef_max_sessions, 20000, "The MEF child's --max_sessions.");
ABSL_FLAG(absl::Duration, mef_handshake_timeout, absl::Seconds(120),
          "The MEF child's handshake deadline (half-open connections must outlive the peak "
          "reading).");
ABSL_FLAG(int, io_threads, 2, "MEF I/O threads.");
ABSL_FLAG(std::string, mef_preload, "",
          "With --mef_server: a library for the MEF's LD_PRELOAD, e.g. another malloc "
          "(/usr/lib/x86_64-linux-gnu/libjemalloc.so.2); MALLOC_CONF and TCMALLOC_* pass through "
          "from this process's environment.");
ABSL_FLAG(std::string, mef_server, "",
          "Path of a mef_server binary: serve from it (PostgreSQL store in the --pg database, its "
          "own keyring and certificates) instead of the in-process MEF.");
ABSL_FLAG(int, pg_pool_size, 8, "MEF PostgreSQL pool size.");
ABSL_FLAG(
    bool, kek_compare, false,
    "Only compare KEK backends: TLS enrolments/s of the MEF with the file keyring, then with a "
    "PKCS#11 token (SoftHSM2, private temporary token), same enrolees and load; prints the "
    "ratio.");

namespace onem2m {
namespace {

constexpr char kCipher[] = "PSK-AES128-CBC-SHA256";  // 0x00AE, the mandatory suite
// Over DTLS CBC is not permitted (docs/protocol.md 2): the raw DTLS client and the bare DTLS server
// use the other mandatory suite, TLS_PSK_WITH_AES_128_CCM_8.
constexpr char kDtlsCipher[] = "PSK-AES128-CCM8";

// ---- child processes --------------------------------------------------------------------------

volatile sig_atomic_t heap_asked = 0;

std::string HeapFile(pid_t pid) { return absl::StrCat("/tmp/mef_load_heap.", pid); }

// HeapKb asks the MEF child for its heap in use (KiB); -1 if it does not answer within 2 s (or
// with --mef_server, whose binary does not answer SIGUSR1).
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
                              int out_fd) {
  auto mef =
      e2e::StartMef(pool, envelope, absl::GetFlag(FLAGS_mef_handshake_timeout),
                    absl::GetFlag(FLAGS_io_threads), absl::GetFlag(FLAGS_pg_pool_size),
                    absl::Minutes(10), tls::Tls13Options{}, absl::GetFlag(FLAGS_mef_max_sessions));
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

struct Device {
  std::string kpm_id;
  std::string kpm;  // raw bytes (bench only)
};

// ---- memory phases ------------------------------------------------------------------------------

// ConnectFrom opens a TCP connection to 127.0.0.1:`port` from 127.0.0.(2 + i % 250), so ten
// thousand connections need no more than a few dozen ephemeral ports per source address.
int ConnectFrom(int i, int port) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  sockaddr_in src{};
  src.sin_family = AF_INET;
  src.sin_addr.s_addr = htonl(0x7f000002 + (i % 250));
  sockaddr_in dst{};
  dst.sin_family = AF_INET;
  dst.sin_port = htons(port);
  dst.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (bind(fd, reinterpret_cast<sockaddr*>(&src), sizeof(src)) != 0 ||
      connect(fd, reinterpret_cast<sockaddr*>(&dst), sizeof(dst)) != 0) {
    close(fd);
    return -1;
  }
  return fd;
}

// MemoryPhase holds the RSS readings of one idle or half-open phase.
struct MemoryPhase {
  long before_kb = 0;
  long peak_kb = 0;
  long settled_kb = 0;
  long heap_before_kb = 0;  // glibc heap in use (mallinfo2), for live bytes vs allocator overhead
  long heap_peak_kb = 0;
};

// Settle closes nothing itself: it waits --settle seconds and reads the child's RSS.
long Settle(pid_t pid) {
  absl::SleepFor(absl::Seconds(absl::GetFlag(FLAGS_settle)));
  return bench::ProcStatusKb(pid, "VmRSS:");
}

void PrintPhase(const char* what, size_t open, int failed, const MemoryPhase& m) {
  const double per = open == 0 ? 0.0 : static_cast<double>(m.peak_kb - m.before_kb) / open;
  const double back = m.before_kb <= 0
                          ? 0.0
                          : 100.0 * (m.settled_kb - m.before_kb) / static_cast<double>(m.before_kb);
  std::printf(
      "%s: %zu open (%d failed); MEF RSS before %ld KiB, peak %ld KiB, %d s after closing %ld KiB "
      "(%+.1f%% of before); %.1f KiB per %s session\n",
      what, open, failed, m.before_kb, m.peak_kb, absl::GetFlag(FLAGS_settle), m.settled_kb, back,
      per, what);
  if (m.heap_before_kb < 0 || m.heap_peak_kb < 0) {
    std::fflush(stdout);
    return;
  }
  std::printf("%s: heap in use before %ld KiB, at peak %ld KiB: %.1f KiB live per session\n", what,
              m.heap_before_kb, m.heap_peak_kb,
              open == 0 ? 0.0 : static_cast<double>(m.heap_peak_kb - m.heap_before_kb) / open);
  std::fflush(stdout);
}

// IdlePhase opens `k` TLS sessions that finish the handshake and stay idle.
void IdlePhase(pid_t mef_pid, int tls_port, const std::vector<Device>& devices, int k) {
  MemoryPhase m;
  m.before_kb = bench::ProcStatusKb(mef_pid, "VmRSS:");
  m.heap_before_kb = HeapKb(mef_pid);
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
    auto c =
        tls::BlockingClient::Connect(*ctx, "127.0.0.1", tls_port, absl::Now() + absl::Seconds(10));
    if (c.ok()) {
      open.push_back(*std::move(c));
    } else {
      ++failed;
    }
  }
  absl::SleepFor(absl::Seconds(2));
  m.peak_kb = bench::ProcStatusKb(mef_pid, "VmRSS:");
  m.heap_peak_kb = HeapKb(mef_pid);
  const size_t n = open.size();
  open.clear();
  m.settled_kb = Settle(mef_pid);
  PrintPhase("idle", n, failed, m);
  if (n > 0)
    bench::RecordRatio("mef_kib_per_idle_session",
                       static_cast<double>(m.peak_kb - m.before_kb) / n);
}

// HalfOpenPhase opens `k` connections that never finish a handshake: TCP only, or a TLS
// handshake record header announcing a 512-byte ClientHello followed by its first 64 bytes, or
// (tls) a whole ClientHello of a provisioned device, after which the client never answers the
// MEF's flight: the MEF then holds OpenSSL's handshake state, not just a socket.
void HalfOpenPhase(pid_t mef_pid, int tls_port, int k, const std::string& mode,
                   const std::vector<Device>& devices) {
  MemoryPhase m;
  m.before_kb = bench::ProcStatusKb(mef_pid, "VmRSS:");
  m.heap_before_kb = HeapKb(mef_pid);
  std::vector<int> fds;
  fds.reserve(k);
  std::vector<std::unique_ptr<tls::PskSession>> hellos;  // tls: the clients, paused for good
  int failed = 0;
  unsigned char partial[5 + 64] = {22, 3, 1, 2, 0, 1, 0, 1, 252, 3, 3};
  std::vector<std::shared_ptr<const tls::PskContext>> contexts;
  if (mode == "tls") {
    for (size_t i = 0; i < std::min<size_t>(devices.size(), 64); ++i) {
      tls::ClientOptions co;
      co.psk_identity = devices[i].kpm_id;
      co.psk = SecretBytes::Copy(devices[i].kpm);
      co.server_name = e2e::kFqdn;
      absl::StatusOr<std::shared_ptr<const tls::PskContext>> ctx = tls::PskContext::NewClient(co);
      if (ctx.ok()) contexts.push_back(*ctx);
    }
  }
  for (int i = 0; i < k; ++i) {
    int fd = ConnectFrom(i, tls_port);
    if (fd < 0) {
      ++failed;
      continue;
    }
    if (mode == "partial_hello" && write(fd, partial, sizeof(partial)) != sizeof(partial)) {
      close(fd);
      ++failed;
      continue;
    }
    if (mode == "tls") {
      // Non-blocking, so the one Handshake call sends the ClientHello and returns kWantRead.
      (void)fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
      absl::StatusOr<std::unique_ptr<tls::PskSession>> c =
          contexts.empty()
              ? absl::FailedPreconditionError("no client context")
              : tls::PskSession::NewStream(contexts[i % contexts.size()], fd, absl::Now());
      if (!c.ok() || (*c)->Handshake() != tls::Step::kWantRead) {
        close(fd);
        ++failed;
        continue;
      }
      hellos.push_back(*std::move(c));
    }
    fds.push_back(fd);
  }
  absl::SleepFor(absl::Seconds(2));
  m.peak_kb = bench::ProcStatusKb(mef_pid, "VmRSS:");
  m.heap_peak_kb = HeapKb(mef_pid);
  const size_t n = fds.size();
  hellos.clear();
  for (int fd : fds) close(fd);
  m.settled_kb = Settle(mef_pid);
  PrintPhase(("half-open(" + mode + ")").c_str(), n, failed, m);
  if (n > 0) {
    bench::RecordRatio("mef_kib_per_half_open_session",
                       static_cast<double>(m.peak_kb - m.before_kb) / n);
  }
}

// ---- load ---------------------------------------------------------------------------------------

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
  return bench::RunLoad(name, o, [&](int64_t i) { return enrol(devices[i % devices.size()]); });
}

// ---- KEK backends (--kek_compare) -------------------------------------------------------------

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
  const double ratio = rate["file"] > 0 ? rate["pkcs11"] / rate["file"] : 0.0;
  std::printf("ratio MEF TLS enrolments/s pkcs11 / file = %.2f\n", ratio);
  bench::RecordRatio("mef_tls_pkcs11_over_file", ratio);
  bench::WriteJsonReport("mef_load_kek",
                         {{"concurrency", absl::StrCat(absl::GetFlag(FLAGS_concurrency))},
                          {"duration", absl::FormatDuration(absl::GetFlag(FLAGS_duration))}});
  return 0;
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
  if (absl::GetFlag(FLAGS_kek_compare)) return RunKekComparison(conninfo);
  // With --mef_server the binary gets a ServiceEnv (certificates, its keyring file) and serves
  // from the database's own schema, so the enrolees are sealed under that keyring and created there
  // (with identities unique to this run).
  const std::string server_bin = absl::GetFlag(FLAGS_mef_server);
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
  std::vector<int> ports;
  e2e::ChildProcess server_process;
  pid_t mef_pid = 0;
  if (server_bin.empty()) {
    mef_pid = bench::SpawnChild([&](int fd) { RunMefChild(pool, &envelope, fd); }, &ports);
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
  struct Series {
    std::string name;
    std::vector<bench::LoadResult> rounds;
  };
  Series mef_tls{"MEF TLS (raw client)", {}},
      base_tls{"bare OpenSSL TLS-PSK baseline (raw client)", {}};
  Series mef_dtls{"MEF DTLS (raw client)", {}},
      base_dtls{"bare OpenSSL DTLS-PSK baseline (raw client)", {}};
  std::vector<double> tls_ratios, dtls_ratios;
  auto rate = [](const bench::LoadResult& r) { return r.seconds > 0 ? r.ok / r.seconds : 0.0; };
  const int rounds = std::max(1, absl::GetFlag(FLAGS_rounds));
  for (int round = 0; round < rounds; ++round) {
    const double load = bench::LoadAverage();
    if (tls_on) {
      mef_tls.rounds.push_back(Load("mef-tls-raw", mef_pid, devices,
                                    [&](const Device& d) { return RawEnrol(tls_port, d); }));
      mef_ok += mef_tls.rounds.back().ok;
      if (bare_tls > 0) {
        base_tls.rounds.push_back(Load("baseline-tls", bare_tls, same, [&](const Device& d) {
          return RawEnrol(bare_tls_port, d);
        }));
        const double b = rate(base_tls.rounds.back());
        if (b > 0) tls_ratios.push_back(rate(mef_tls.rounds.back()) / b);
      }
    }
    if (dtls_on) {
      mef_dtls.rounds.push_back(Load("mef-dtls-raw", mef_pid, devices,
                                     [&](const Device& d) { return RawEnrolDtls(dtls_port, d); }));
      mef_ok += mef_dtls.rounds.back().ok;
      if (bare_dtls > 0) {
        base_dtls.rounds.push_back(Load("baseline-dtls", bare_dtls, same, [&](const Device& d) {
          return RawEnrolDtls(bare_dtls_port, d);
        }));
        const double b = rate(base_dtls.rounds.back());
        if (b > 0) dtls_ratios.push_back(rate(mef_dtls.rounds.back()) / b);
      }
    }
    std::printf("round %d/%d (load average %.2f at its start):", round + 1, rounds, load);
    for (const Series* s : {&mef_tls, &base_tls, &mef_dtls, &base_dtls}) {
      if (static_cast<int>(s->rounds.size()) > round) {
        std::printf(" %s %.0f/s;", s->name.c_str(), rate(s->rounds[round]));
      }
    }
    if (static_cast<int>(tls_ratios.size()) > round)
      std::printf(" TLS ratio %.2f;", tls_ratios[round]);
    if (static_cast<int>(dtls_ratios.size()) > round) {
      std::printf(" DTLS ratio %.2f;", dtls_ratios[round]);
    }
    std::printf("\n");
  }
  for (Series* s : {&mef_tls, &base_tls, &mef_dtls, &base_dtls}) {
    if (s->rounds.empty()) continue;
    std::sort(
        s->rounds.begin(), s->rounds.end(),
        [&](const bench::LoadResult& a, const bench::LoadResult& b) { return rate(a) < rate(b); });
    bench::ReportLoad(s->name, s->rounds[(s->rounds.size() - 1) / 2], "enrolments");
  }
  auto median = [](std::vector<double> v) {
    std::sort(v.begin(), v.end());
    return v.empty() ? 0.0 : v[(v.size() - 1) / 2];
  };
  if (!tls_ratios.empty()) {
    std::printf("ratio MEF TLS / baseline = %.2f (median of %zu rounds)\n", median(tls_ratios),
                tls_ratios.size());
    bench::RecordRatio("mef_tls_over_baseline", median(tls_ratios));
  }
  if (!dtls_ratios.empty()) {
    std::printf("ratio MEF DTLS / baseline = %.2f (median of %zu rounds)\n", median(dtls_ratios),
                dtls_ratios.size());
    bench::RecordRatio("mef_dtls_over_baseline", median(dtls_ratios));
  }
  for (pid_t b : {bare_tls, bare_dtls}) {
    if (b > 0) {
      kill(b, SIGKILL);
      waitpid(b, nullptr, 0);
    }
  }

  // The device library's own client, once per transport.
  if (tls_on) {
    bench::LoadResult r2 = Load("mef-tls-enrolee", mef_pid, devices, [&](const Device& d) {
      enrolee::BootstrapOptions o;
      o.mef_host = "127.0.0.1";
      o.mef_port = tls_port;
      o.mef_fqdn = e2e::kFqdn;
      o.transport = tls::Transport::kTls;
      o.kpm_id = d.kpm_id;
      o.kpm = SecretBytes::Copy(d.kpm);
      return enrolee::Bootstrap(o).status();
    });
    bench::ReportLoad("MEF TLS (enrolee::Bootstrap)", r2, "enrolments");
    mef_ok += r2.ok;
  }
  if (dtls_on) {
    bench::LoadResult r = Load("mef-dtls-enrolee", mef_pid, devices, [&](const Device& d) {
      enrolee::BootstrapOptions o;
      o.mef_host = "127.0.0.1";
      o.mef_port = dtls_port;
      o.mef_fqdn = e2e::kFqdn;
      o.transport = tls::Transport::kDtls;
      o.kpm_id = d.kpm_id;
      o.kpm = SecretBytes::Copy(d.kpm);
      return enrolee::Bootstrap(o).status();
    });
    bench::ReportLoad("MEF DTLS (enrolee::Bootstrap)", r, "enrolments");
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
                          {"transport", tr}});
  if (!server_bin.empty()) {
    server_process.Stop(absl::Seconds(5));
    return 0;  // its rows stay in the database given with --pg
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
  onem2m::ApplyProcessDefaults();
  absl::ParseCommandLine(argc, argv);
  return onem2m::Main();
}

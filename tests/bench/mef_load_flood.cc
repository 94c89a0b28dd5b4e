#include "tests/bench/mef_load_flood.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <memory>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/time/clock.h"
#include "common/secret_bytes.h"
#include "common/tls/blocking_client.h"
#include "common/tls/psk_context.h"
#include "common/tls/psk_session.h"
#include "tests/bench/load_kit.h"
#include "tests/bench/mef_load_report.h"
#include "tests/bench/mef_load_workload.h"
#include "tests/e2e/in_process_mef.h"

namespace onem2m {
namespace mef_load {
namespace {

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

// Settle closes nothing itself: it waits --settle seconds and reads the child's RSS.
long Settle(pid_t pid) {
  absl::SleepFor(absl::Seconds(absl::GetFlag(FLAGS_settle)));
  return bench::ProcStatusKb(pid, "VmRSS:");
}

}  // namespace

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

}  // namespace mef_load
}  // namespace onem2m

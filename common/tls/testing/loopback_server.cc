#include "common/tls/testing/loopback_server.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <map>
#include <utility>

#include "common/tls/dtls_cookie.h"
#include "common/tls/dtls_listener.h"

namespace onem2m {
namespace tls {
namespace testing {
namespace {

constexpr int kTickMs = 10;

void Die(const char* what) {
  fprintf(stderr, "LoopbackServer: %s: %s\n", what, strerror(errno));
  abort();
}

void Fill(const PskSession& s, LoopbackServer::Result* r) {
  r->psk_identity = s.psk_identity();
  r->psk_lookup = s.psk_lookup();
  r->lookup_status = s.lookup_status();
  r->cipher_id = s.cipher_id();
  r->protocol_version = s.protocol_version();
  r->psk_imported = s.psk_imported();
  r->ephemeral_key_exchange = s.ephemeral_key_exchange();
  r->server_name = s.server_name();
  r->alert_sent = s.alert_sent();
  r->alert_received = s.alert_received();
  if (s.handshake_done()) {
    absl::StatusOr<SecretBytes> e = s.Export(kBootstrapExporterLabel, kBootstrapExporterLen);
    if (e.ok()) r->bootstrap_export = std::move(*e);
  }
}

}  // namespace

std::unique_ptr<LoopbackServer> LoopbackServer::Start(std::shared_ptr<const PskContext> ctx,
                                                      const std::string& address) {
  std::unique_ptr<LoopbackServer> server(new LoopbackServer());
  server->ctx_ = std::move(ctx);
  bool dtls = server->ctx_->transport() == Transport::kDtls;
  bool v6 = address.find(':') != std::string::npos;
  sockaddr_storage ss;
  memset(&ss, 0, sizeof(ss));
  socklen_t len;
  if (v6) {
    auto* a = reinterpret_cast<sockaddr_in6*>(&ss);
    a->sin6_family = AF_INET6;
    inet_pton(AF_INET6, address.c_str(), &a->sin6_addr);
    len = sizeof(*a);
  } else {
    auto* a = reinterpret_cast<sockaddr_in*>(&ss);
    a->sin_family = AF_INET;
    inet_pton(AF_INET, address.c_str(), &a->sin_addr);
    len = sizeof(*a);
  }
  int fd = socket(v6 ? AF_INET6 : AF_INET,
                  (dtls ? SOCK_DGRAM : SOCK_STREAM) | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) Die("socket");
  if (bind(fd, reinterpret_cast<sockaddr*>(&ss), len) != 0) Die("bind");
  if (!dtls && listen(fd, 16) != 0) Die("listen");
  if (getsockname(fd, reinterpret_cast<sockaddr*>(&ss), &len) != 0) Die("getsockname");
  server->port_ = ntohs(v6 ? reinterpret_cast<sockaddr_in6*>(&ss)->sin6_port
                           : reinterpret_cast<sockaddr_in*>(&ss)->sin_port);
  server->fd_ = fd;
  LoopbackServer* raw = server.get();
  server->thread_ = std::thread([raw, dtls] { dtls ? raw->RunDtls() : raw->RunTls(); });
  return server;
}

LoopbackServer::~LoopbackServer() {
  stop_ = true;
  if (thread_.joinable()) thread_.join();
  if (fd_ >= 0) close(fd_);
}

void LoopbackServer::Push(Result r) {
  absl::MutexLock lock(&mu_);
  results_.push_back(std::move(r));
}

LoopbackServer::Result LoopbackServer::Wait(absl::Duration timeout) {
  absl::MutexLock lock(&mu_);
  auto ready = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return !results_.empty(); };
  if (!mu_.AwaitWithTimeout(absl::Condition(&ready), timeout)) {
    Result r;
    r.status = absl::DeadlineExceededError("no handshake result");
    return r;
  }
  Result r = std::move(results_.front());
  results_.pop_front();
  return r;
}

void LoopbackServer::RunTls() {
  while (!stop_) {
    pollfd p = {fd_, POLLIN, 0};
    if (poll(&p, 1, kTickMs) <= 0) continue;
    int conn = accept4(fd_, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (conn < 0) continue;
    absl::StatusOr<std::unique_ptr<PskSession>> session =
        PskSession::NewStream(ctx_, conn, absl::Now());
    if (!session.ok()) {
      Result r;
      r.status = session.status();
      Push(std::move(r));
      close(conn);
      continue;
    }
    PskSession& s = **session;
    bool handshaking = true;
    while (!stop_) {
      Step step;
      char buf[4096];
      size_t got = 0;
      if (handshaking) {
        step = s.Handshake();
        if (step == Step::kDone || step == Step::kFailed || s.HandshakeExpired(absl::Now())) {
          Result r;
          r.status = step == Step::kDone     ? absl::OkStatus()
                     : step == Step::kFailed ? s.status()
                                             : absl::DeadlineExceededError("handshake timeout");
          Fill(s, &r);
          Push(std::move(r));
          if (step != Step::kDone) break;
          handshaking = false;
          continue;
        }
      } else {
        step = s.Read(buf, sizeof(buf), &got);
        if (step == Step::kDone) {
          size_t written = 0;
          absl::string_view rest(buf, got);
          while (!rest.empty() && !stop_) {
            Step w = s.Write(rest, &written);
            if (w == Step::kFailed) break;
            rest.remove_prefix(written);
            if (w == Step::kWantWrite) {
              pollfd q = {conn, POLLOUT, 0};
              poll(&q, 1, kTickMs);
            }
          }
          continue;
        }
        if (step == Step::kClosed) {
          s.Shutdown();
          break;
        }
        if (step == Step::kFailed) break;
      }
      pollfd q = {conn, static_cast<short>(step == Step::kWantWrite ? POLLOUT : POLLIN), 0};
      poll(&q, 1, kTickMs);
    }
    session->reset();
    close(conn);
  }
}

void LoopbackServer::RunDtls() {
  absl::StatusOr<std::unique_ptr<DtlsListener>> listener = DtlsListener::New(ctx_);
  if (!listener.ok()) {
    fprintf(stderr, "LoopbackServer: %s\n", listener.status().ToString().c_str());
    abort();
  }
  struct Peer {
    std::unique_ptr<PskSession> session;
    sockaddr_storage addr;
    socklen_t addr_len;
    bool reported = false;
  };
  std::map<std::string, Peer> peers;
  std::map<std::string, std::pair<int, int>> pre_session;  // HVRs, datagrams per peer key.
  char buf[65536];
  auto flush = [this](Peer& peer) {
    std::string out;
    while (peer.session->PopDatagram(&out)) {
      sendto(fd_, out.data(), out.size(), 0, reinterpret_cast<sockaddr*>(&peer.addr),
             peer.addr_len);
    }
  };
  auto report = [&](const std::string& key, Peer& peer, absl::Status status) {
    if (peer.reported) return;
    peer.reported = true;
    Result r;
    r.status = std::move(status);
    Fill(*peer.session, &r);
    r.hello_verify_requests = pre_session[key].first;
    r.listener_datagrams = pre_session[key].second;
    Push(std::move(r));
  };
  auto drive = [&](const std::string& key, Peer& peer) -> bool {  // false: drop the peer.
    PskSession& s = *peer.session;
    if (!s.handshake_done()) {
      Step step = s.Handshake();
      flush(peer);
      if (step == Step::kFailed) {
        report(key, peer, s.status());
        return false;
      }
      if (step != Step::kDone) return true;
      report(key, peer, absl::OkStatus());
    }
    for (;;) {
      size_t got = 0;
      Step step = s.Read(buf, sizeof(buf), &got);
      if (step == Step::kDone) {
        size_t written = 0;
        s.Write(absl::string_view(buf, got), &written);
        flush(peer);
        continue;
      }
      flush(peer);
      if (step == Step::kClosed) {
        s.Shutdown();
        flush(peer);
        return false;
      }
      return step != Step::kFailed;
    }
  };
  while (!stop_) {
    pollfd p = {fd_, POLLIN, 0};
    int n = poll(&p, 1, kTickMs);
    absl::Time now = absl::Now();
    // Timers.
    for (auto it = peers.begin(); it != peers.end();) {
      PskSession& s = *it->second.session;
      bool keep = true;
      if (s.HandshakeExpired(now)) {
        report(it->first, it->second, absl::DeadlineExceededError("handshake timeout"));
        keep = false;
      } else if (std::optional<absl::Duration> t = s.DtlsTimeout();
                 t.has_value() && *t <= absl::ZeroDuration()) {
        keep = s.HandleDtlsTimeout() != Step::kFailed;
        flush(it->second);
        if (!keep) report(it->first, it->second, s.status());
      }
      it = keep ? std::next(it) : peers.erase(it);
    }
    if (n <= 0) continue;
    for (;;) {
      sockaddr_storage addr;
      socklen_t addr_len = sizeof(addr);
      ssize_t got =
          recvfrom(fd_, buf, sizeof(buf), 0, reinterpret_cast<sockaddr*>(&addr), &addr_len);
      if (got <= 0) break;
      std::string key = PeerKey(reinterpret_cast<sockaddr*>(&addr), addr_len);
      absl::string_view datagram(buf, static_cast<size_t>(got));
      auto it = peers.find(key);
      if (it == peers.end()) {
        std::string reply;
        pre_session[key].second++;
        absl::StatusOr<std::unique_ptr<PskSession>> session =
            (*listener)->Offer(key, datagram, now, &reply);
        if (!reply.empty()) {
          pre_session[key].first++;
          sendto(fd_, reply.data(), reply.size(), 0, reinterpret_cast<sockaddr*>(&addr), addr_len);
        }
        if (!session.ok() || *session == nullptr) continue;
        sessions_created_++;
        Peer peer;
        peer.session = std::move(*session);
        peer.addr = addr;
        peer.addr_len = addr_len;
        it = peers.emplace(key, std::move(peer)).first;
      } else {
        it->second.session->FeedDatagram(datagram);
      }
      if (!drive(key, it->second)) peers.erase(it);
    }
  }
}

}  // namespace testing
}  // namespace tls
}  // namespace onem2m

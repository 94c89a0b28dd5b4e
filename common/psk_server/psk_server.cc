#include "common/psk_server/psk_server.h"

#include <unistd.h>

#include <csignal>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "common/psk_server/heap_trimmer.h"
#include "common/psk_server/io_thread.h"

namespace onem2m::server {

struct PskServer::Impl {
  internal::Shared shared;
  std::vector<std::unique_ptr<internal::IoThread>> threads;
  std::unique_ptr<HeapTrimmer> trimmer;
  absl::Mutex mu;
  bool shut_down ABSL_GUARDED_BY(mu) = false;
};

absl::Status AddServerContexts(PskServerOptions* options,
                               const std::vector<tls::CipherSuite>& tls_suites,
                               const std::vector<tls::CipherSuite>& dtls_suites,
                               const std::string& required_sni, absl::Duration handshake_timeout,
                               std::shared_ptr<tls::PskResolver> resolver,
                               const tls::Tls13Options& tls13) {
  for (tls::Transport t : {tls::Transport::kTls, tls::Transport::kDtls}) {
    const bool is_tls = t == tls::Transport::kTls;
    if ((is_tls ? options->tls_listen : options->dtls_listen).empty()) continue;
    tls::ServerOptions o;
    o.transport = t;
    o.cipher_suites = is_tls ? tls_suites : dtls_suites;
    o.required_server_name = required_sni;
    o.handshake_timeout = handshake_timeout;
    if (is_tls) o.tls13 = tls13;
    absl::StatusOr<std::shared_ptr<const tls::PskContext>> ctx =
        tls::PskContext::NewServer(o, resolver);
    if (!ctx.ok()) return ctx.status();
    (is_tls ? options->tls_context : options->dtls_context) = *ctx;
  }
  return absl::OkStatus();
}

absl::StatusOr<std::unique_ptr<PskServer>> PskServer::Start(PskServerOptions options,
                                                            SessionHandlerFactory* factory,
                                                            ServerObserver* observer) {
  if (factory == nullptr) return absl::InvalidArgumentError("PskServer needs a handler factory");
  if (!options.tls_listen.empty() && options.tls_context == nullptr) {
    return absl::InvalidArgumentError("TLS listeners need a TLS server context");
  }
  if (!options.dtls_listen.empty() && options.dtls_context == nullptr) {
    return absl::InvalidArgumentError("DTLS listeners need a DTLS server context");
  }
  if (options.io_threads < 1) options.io_threads = 1;
  net::RaiseFdLimit();
  // A peer that vanishes mid-write must cost an error code, not the process (SSL writes to the
  // socket with write(2), which raises SIGPIPE).
  std::signal(SIGPIPE, SIG_IGN);

  std::unique_ptr<PskServer> server(new PskServer());
  server->impl_ = std::make_unique<Impl>();
  internal::Shared& shared = server->impl_->shared;
  shared.options = std::move(options);
  shared.factory = factory;
  shared.observer = observer;
  shared.limiter = std::make_unique<SourceLimiter>(shared.options.max_sessions_per_source);
  shared.capacity = std::make_unique<CapacityGuard>(shared.options.max_sessions,
                                                    shared.options.memory_budget_bytes);
  for (int i = 0; i < shared.options.io_threads; ++i) {
    server->impl_->threads.push_back(std::make_unique<internal::IoThread>(&shared));
  }

  // Each I/O thread gets its own socket on each address (SO_REUSEPORT): the kernel spreads new
  // connections, and DTLS peers by 4-tuple hash, so a peer always reaches the same thread.
  auto bind_all = [&](const std::vector<std::string>& addrs, bool udp,
                      std::vector<net::SocketAddress>* bound) -> absl::Status {
    for (const std::string& text : addrs) {
      absl::StatusOr<net::SocketAddress> addr = net::ParseHostPort(text);
      if (!addr.ok()) return addr.status();
      // The port must be ours alone before the group binds it (see net::ClaimPort).
      absl::StatusOr<net::SocketAddress> claimed =
          net::ClaimPort(*addr, udp ? SOCK_DGRAM : SOCK_STREAM);
      if (!claimed.ok()) return claimed.status();
      const net::SocketAddress actual = *claimed;
      for (auto& thread : server->impl_->threads) {
        absl::StatusOr<int> fd = udp ? net::BindUdp(actual, true) : net::ListenTcp(actual, true);
        if (!fd.ok()) return fd.status();
        if (udp) {
          absl::Status s = thread->AdoptUdpSocket(*fd);
          if (!s.ok()) return s;
        } else {
          thread->AdoptTcpListener(*fd);
        }
      }
      bound->push_back(actual);
    }
    return absl::OkStatus();
  };
  absl::Status s = bind_all(shared.options.tls_listen, false, &server->tls_addresses_);
  if (s.ok()) s = bind_all(shared.options.dtls_listen, true, &server->dtls_addresses_);
  if (!s.ok()) return s;
  for (auto& thread : server->impl_->threads) thread->Start();
  if (shared.options.heap_trim_interval > absl::ZeroDuration()) {
    server->impl_->trimmer = std::make_unique<HeapTrimmer>(
        [&shared] { return shared.open_sessions.load(std::memory_order_relaxed); },
        [&shared] {
          // The high-water mark since the last tick, restarted from the sessions open now.
          return shared.peak_sessions.exchange(shared.open_sessions.load(std::memory_order_relaxed),
                                               std::memory_order_relaxed);
        });
    server->impl_->trimmer->Start(shared.options.heap_trim_interval);
  }
  return server;
}

PskServer::~PskServer() {
  if (impl_) Shutdown(absl::ZeroDuration());
}

void PskServer::Shutdown(absl::Duration grace) {
  {
    absl::MutexLock lock(&impl_->mu);
    if (impl_->shut_down) return;
    impl_->shut_down = true;
  }
  for (auto& t : impl_->threads) t->BeginDrain();
  absl::Time deadline = absl::Now() + grace;
  while (absl::Now() < deadline && open_sessions() > 0) absl::SleepFor(absl::Milliseconds(20));
  for (auto& t : impl_->threads) t->StopAndJoin();
  if (impl_->trimmer) impl_->trimmer->Stop();
}

int PskServer::open_sessions() const { return impl_->shared.open_sessions.load(); }

}  // namespace onem2m::server

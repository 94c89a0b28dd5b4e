#include "maf/server/handshake_server.h"

#include <algorithm>
#include <utility>

#include "absl/synchronization/mutex.h"
#include "common/crypto/key_id.h"
#include "maf/procedures/maf_request_handler.h"
#include "maf/server/maf_psk_resolver.h"

namespace onem2m::maf {

class HandshakeServer::PendingAnswers {
 public:
  void Add() {
    absl::MutexLock l(&mu_);
    ++n_;
  }
  void Done() {
    absl::MutexLock l(&mu_);
    --n_;
  }
  // WaitForNone returns once every added answer is done. The store answers each queued write
  // (written, failed, or refused at its shutdown), so this wait ends.
  void WaitForNone() {
    absl::MutexLock l(&mu_);
    auto none = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return n_ == 0; };
    mu_.Await(absl::Condition(&none));
  }

 private:
  absl::Mutex mu_;
  int64_t n_ ABSL_GUARDED_BY(mu_) = 0;
};

HandshakeServer::~HandshakeServer() {
  server_.reset();
  if (pending_ != nullptr) pending_->WaitForNone();
}

absl::StatusOr<std::unique_ptr<HandshakeServer>> HandshakeServer::Start(
    const HandshakeServerOptions& options, MafStore* store, const crypto::Envelope* envelope,
    std::shared_ptr<KmResolver> km_resolver, OnAnswer on_answer, server::ServerObserver* observer) {
  if (absl::Status s = crypto::ValidateFqdn(options.maf_fqdn); !s.ok()) return s;
  std::unique_ptr<HandshakeServer> h(new HandshakeServer());

  MafSessionConfig sc;
  sc.ctx.store = store;
  sc.ctx.envelope = envelope;
  sc.ctx.maf_fqdn = options.maf_fqdn;
  sc.ctx.admin_fqdn = options.admin_fqdn;
  sc.exchange = options.exchange;
  auto procedures = std::make_shared<MafRequestHandler>(sc.ctx);
  sc.handler = [procedures, on_answer](const MafSession& s, exchange::Request req,
                                       std::function<void(exchange::Response)> respond) {
    exchange::Response out = procedures->Handle(req, s);
    if (on_answer) on_answer(req.path, out.rsc);
    respond(std::move(out));
  };
  h->pending_ = std::make_shared<PendingAnswers>();
  sc.async_handler = [procedures, on_answer, pending = h->pending_](
                         const MafSession& s, const exchange::Request& req,
                         const std::function<void(exchange::Response)>& respond) {
    pending->Add();
    const bool started = procedures->HandleAsync(
        req, s, [on_answer, path = req.path, respond, pending](exchange::Response out) {
          if (on_answer) on_answer(path, out.rsc);
          respond(std::move(out));
          pending->Done();
        });
    if (!started) pending->Done();
    return started;
  };
  if (options.request_workers > 0) {
    sc.workers = std::make_shared<server::WorkerPool>(options.request_workers);
  }
  h->recorder_ = std::make_unique<HandshakeRecorder>(store, options.handshake_records);
  sc.recorder = h->recorder_.get();
  h->factory_ = std::make_unique<MafSessionFactory>(std::move(sc));

  auto psk = std::make_shared<MafPskResolver>(std::move(km_resolver), options.fetch_timeout);
  server::PskServerOptions so;
  so.tls_listen = options.tls_listen;
  so.dtls_listen = options.dtls_listen;
  absl::Status contexts =
      server::AddServerContexts(&so, options.tls_suites, options.dtls_suites,
                                options.require_sni ? options.maf_fqdn : std::string(),
                                options.handshake_timeout, psk, options.tls13);
  if (!contexts.ok()) return contexts;
  so.io_threads = options.io_threads;
  // MafPskResolver answers asynchronously (a Km fetch or store read pauses the handshake instead
  // of holding an I/O thread).
  so.idle_timeout = options.idle_timeout;
  so.max_sessions_per_source = options.max_sessions_per_source;
  so.max_sessions = options.max_sessions;
  so.memory_budget_bytes = options.memory_budget_bytes;
  absl::StatusOr<std::unique_ptr<server::PskServer>> server =
      server::PskServer::Start(so, h->factory_.get(), observer);
  if (!server.ok()) return server.status();
  h->server_ = std::move(*server);
  return h;
}

}  // namespace onem2m::maf

#include "mef/bootstrap/bootstrap_server.h"

#include <utility>

#include "common/crypto/key_id.h"

namespace onem2m::mef {

absl::StatusOr<std::unique_ptr<BootstrapServer>> BootstrapServer::Start(
    const BootstrapServerOptions& options, EnroleeStore* store, const crypto::Envelope* envelope,
    EnrolmentObserver* enrolments, server::ServerObserver* handshakes) {
  if (absl::Status s = crypto::ValidateFqdn(options.mef_fqdn); !s.ok()) return s;
  std::unique_ptr<BootstrapServer> b(new BootstrapServer());
  b->resolver_ = std::make_shared<KpmResolver>(store, envelope);
  EnrolmentConfig ec;
  ec.mef_fqdn = options.mef_fqdn;
  ec.default_lifetime = options.default_lifetime;
  b->factory_ = std::make_unique<EnrolmentSessionFactory>(ec, store, envelope, enrolments);

  server::PskServerOptions so;
  so.tls_listen = options.tls_listen;
  so.dtls_listen = options.dtls_listen;
  for (tls::Transport t : {tls::Transport::kTls, tls::Transport::kDtls}) {
    const bool tls = t == tls::Transport::kTls;
    if ((tls ? so.tls_listen : so.dtls_listen).empty()) continue;
    tls::ServerOptions o;
    o.transport = t;
    o.cipher_suites = tls ? options.tls_suites : options.dtls_suites;
    if (options.require_sni) o.required_server_name = options.mef_fqdn;
    o.handshake_timeout = options.handshake_timeout;
    absl::StatusOr<std::shared_ptr<const tls::PskContext>> ctx =
        tls::PskContext::NewServer(o, b->resolver_);
    if (!ctx.ok()) return ctx.status();
    (tls ? so.tls_context : so.dtls_context) = *ctx;
  }
  so.io_threads = options.io_threads;
  so.handshake_workers = options.handshake_workers;
  so.idle_timeout = options.idle_timeout;
  so.max_sessions_per_source = options.max_sessions_per_source;
  absl::StatusOr<std::unique_ptr<server::PskServer>> server =
      server::PskServer::Start(so, b->factory_.get(), handshakes);
  if (!server.ok()) return server.status();
  b->server_ = std::move(*server);
  return b;
}

}  // namespace onem2m::mef

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
  ec.exchange = options.exchange;
  b->factory_ = std::make_unique<EnrolmentSessionFactory>(ec, store, envelope, enrolments);

  server::PskServerOptions so;
  so.tls_listen = options.tls_listen;
  so.dtls_listen = options.dtls_listen;
  absl::Status contexts =
      server::AddServerContexts(&so, options.tls_suites, options.dtls_suites,
                                options.require_sni ? options.mef_fqdn : std::string(),
                                options.handshake_timeout, b->resolver_);
  if (!contexts.ok()) return contexts;
  so.io_threads = options.io_threads;
  // KpmResolver answers asynchronously, so a handshake waiting for its Kpm is paused, not holding
  // an I/O thread.
  so.idle_timeout = options.idle_timeout;
  so.max_sessions_per_source = options.max_sessions_per_source;
  absl::StatusOr<std::unique_ptr<server::PskServer>> server =
      server::PskServer::Start(so, b->factory_.get(), handshakes);
  if (!server.ok()) return server.status();
  b->server_ = std::move(*server);
  return b;
}

}  // namespace onem2m::mef

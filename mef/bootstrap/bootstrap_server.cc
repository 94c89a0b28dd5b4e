#include "mef/bootstrap/bootstrap_server.h"

#include <algorithm>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/crypto/key_id.h"

namespace onem2m::mef {

absl::Status ValidateMafUri(absl::string_view uri) {
  if (uri.empty()) return absl::OkStatus();
  bool printable = std::all_of(uri.begin(), uri.end(), [](char c) {
    return static_cast<unsigned char>(c) > 0x20 && static_cast<unsigned char>(c) < 0x7f;
  });
  if (!printable || !absl::StrContains(uri, "://") || uri.size() > exchange::kMaxUriLength - 64) {
    return absl::InvalidArgumentError(
        "an absolute URI (scheme://host...) in printable ASCII without spaces");
  }
  return absl::OkStatus();
}

std::vector<std::pair<const char*, const std::string*>> MafUriOptions(
    const BootstrapServerOptions& o) {
  return {{"default_maf_uri", &o.default_maf_uri},
          {"maf_client_registration_uri", &o.maf_client_registration_uri},
          {"maf_key_registration_uri", &o.maf_key_registration_uri},
          {"maf_key_retrieval_uri", &o.maf_key_retrieval_uri}};
}

absl::StatusOr<std::unique_ptr<BootstrapServer>> BootstrapServer::Start(
    const BootstrapServerOptions& options, EnroleeStore* store, const crypto::Envelope* envelope,
    EnrolmentObserver* enrolments, server::ServerObserver* handshakes) {
  if (absl::Status s = crypto::ValidateFqdn(options.mef_fqdn); !s.ok()) return s;
  for (const auto& [name, uri] : MafUriOptions(options)) {
    if (absl::Status s = ValidateMafUri(*uri); !s.ok()) {
      return absl::InvalidArgumentError(absl::StrCat(name, ": ", s.message()));
    }
  }
  std::unique_ptr<BootstrapServer> b(new BootstrapServer());
  b->resolver_ = std::make_shared<KpmResolver>(store, envelope);
  EnrolmentConfig ec;
  ec.mef_fqdn = options.mef_fqdn;
  ec.default_lifetime = options.default_lifetime;
  ec.default_maf_uri = options.default_maf_uri;
  ec.maf_client_registration_uri = options.maf_client_registration_uri;
  ec.maf_key_registration_uri = options.maf_key_registration_uri;
  ec.maf_key_retrieval_uri = options.maf_key_retrieval_uri;
  ec.exchange = options.exchange;
  b->factory_ = std::make_unique<EnrolmentSessionFactory>(ec, store, envelope, enrolments);

  server::PskServerOptions so;
  so.tls_listen = options.tls_listen;
  so.dtls_listen = options.dtls_listen;
  absl::Status contexts =
      server::AddServerContexts(&so, options.tls_suites, options.dtls_suites,
                                options.require_sni ? options.mef_fqdn : std::string(),
                                options.handshake_timeout, b->resolver_, options.tls13);
  if (!contexts.ok()) return contexts;
  so.io_threads = options.io_threads;
  // KpmResolver answers asynchronously, so a handshake waiting for its Kpm is paused, not holding
  // an I/O thread.
  so.idle_timeout = options.idle_timeout;
  so.max_sessions_per_source = options.max_sessions_per_source;
  so.max_sessions = options.max_sessions;
  so.memory_budget_bytes = options.memory_budget_bytes;
  absl::StatusOr<std::unique_ptr<server::PskServer>> server =
      server::PskServer::Start(so, b->factory_.get(), handshakes);
  if (!server.ok()) return server.status();
  b->server_ = std::move(*server);
  return b;
}

}  // namespace onem2m::mef

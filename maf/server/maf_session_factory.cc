#include "maf/server/maf_session_factory.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "common/crypto/key_derivation.h"
#include "common/exchange/maf_messages.h"
#include "common/exchange/routes.h"
#include "common/exchange/rsc.h"
#include "common/log/logger.h"
#include "maf/procedures/maf_request_handler.h"
#include "maf/server/maf_psk_resolver.h"

namespace onem2m::maf {
namespace {

class MafExchangeSession : public server::ExchangeSession {
 public:
  MafExchangeSession(const MafSessionConfig& config, MafSession session, tls::PskSession& tls)
      : ExchangeSession(config.exchange), config_(config), session_(std::move(session)),
        tls_(tls) {}

  void OnRequest(exchange::Request request,
                 std::function<void(exchange::Response)> respond) override {
    ExportIfNeeded(request);
    if (config_.workers == nullptr) {
      config_.handler(session_, std::move(request), std::move(respond));
      return;
    }
    // A request whose only wait is the store's queued write needs no worker: it starts here and
    // the store's thread answers it (docs/performance.md, stop 29).
    if (config_.async_handler && config_.async_handler(session_, request, respond)) return;
    // The session may close before the worker runs: the task owns copies of what it needs.
    config_.workers->Submit([handler = config_.handler, session = session_,
                             request = std::move(request), respond = std::move(respond)]() mutable {
      handler(session, std::move(request), std::move(respond));
    });
  }

 private:
  // Only Key Registration without a supplied key uses the exporter (maf/procedures/
  // key_registration.cc), so it is exported on the first such request, here on the I/O thread
  // that owns `tls_`, rather than after every handshake: most sessions (registration, retrieval,
  // a KmID handshake that only checks the credential) never need it, and it cost about 7 us, some
  // 5 % of a KmID handshake's CPU (docs/performance.md, stop 28). The exporter depends only on
  // the session's master secret (renegotiation is off, psk_context.cc), so it is the same bytes
  // whenever it is taken. A failed export leaves it empty: keyValue is then required, as before.
  void ExportIfNeeded(const exchange::Request& request) {
    if (exported_) return;
    absl::StatusOr<exchange::Operation> op = exchange::ResolveOperation(request);
    if (!op.ok() || *op != exchange::Operation::kMafKeyRegistration) return;
    exported_ = true;
    absl::StatusOr<SecretBytes> exported =
        tls_.Export(crypto::kConnectionExporterLabel, crypto::kExportLen);
    if (!exported.ok()) return;
    auto shared = std::make_shared<SecretBytes>(std::move(*exported));
    session_.export_keying_material = [shared](absl::string_view label,
                                               size_t len) -> absl::StatusOr<SecretBytes> {
      if (label != crypto::kConnectionExporterLabel || len != crypto::kExportLen) {
        return absl::InvalidArgumentError("only the connection exporter is available");
      }
      return *shared;
    };
  }

  const MafSessionConfig& config_;
  MafSession session_;
  tls::PskSession& tls_;  // valid while this handler lives (server::SessionHandlerFactory)
  bool exported_ = false;
};

}  // namespace

MafSessionFactory::MafSessionFactory(MafSessionConfig config) : config_(std::move(config)) {
  if (!config_.handler) {
    auto procedures = std::make_shared<MafRequestHandler>(config_.ctx);
    config_.handler = [procedures](const MafSession& session, exchange::Request request,
                                   std::function<void(exchange::Response)> respond) {
      respond(procedures->Handle(request, session));
    };
    if (!config_.async_handler) {
      config_.async_handler = [procedures](const MafSession& session,
                                           const exchange::Request& request,
                                           const std::function<void(exchange::Response)>& respond) {
        return procedures->HandleAsync(request, session, respond);
      };
    }
  }
}

absl::StatusOr<std::unique_ptr<server::SessionHandler>> MafSessionFactory::OnHandshake(
    tls::PskSession& session, const server::ConnectionInfo& info) {
  // The credential's metadata came with Km from this session's own lookup (MafPskResolver).
  std::shared_ptr<const ResolvedIdentity> id = session.TakePskContext<ResolvedIdentity>();
  if (id == nullptr) {
    return absl::FailedPreconditionError("the PSK lookup left no credential for this session");
  }
  MafSession ms;
  ms.km_id = id->km_id;
  ms.enrolee_id = id->enrolee_id;
  ms.km_expires_at = id->expires_at;
  if (config_.recorder != nullptr) {
    config_.recorder->Note(
        id->km_id, info.transport == tls::Transport::kDtls ? Transport::kDtls : Transport::kTls);
  }
  if (LogEnabled(Level::kDebug)) {
    Log(Level::kDebug, "maf_session",
        {{"km_id", ms.km_id.ToString()}, {"enrolee_id", ms.enrolee_id}, {"peer", info.peer}});
  }
  return std::make_unique<MafExchangeSession>(config_, std::move(ms), session);
}

}  // namespace onem2m::maf

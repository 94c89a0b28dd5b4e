// MafSessionFactory: after a MAF handshake, builds the ExchangeSession that serves the MAF
// Security Framework procedures (TS-0003 8.8.2.x) for the authenticated credential.
//
// The session's MafSession (KmID, Enrolee-ID, Km expiry, keying-material exporter) comes from
// MafPskResolver::LastResolved (same thread as the PSK callback) or, when the handshake ran on a
// worker thread, from KmResolver again (cached). Requests go to `handler` when set (the
// maf/procedures MafRequestHandler); otherwise to a built-in minimal implementation of Client
// Registration (8.8.2.3), Key Registration (8.8.2.7) and Key Retrieval (8.8.2.8); Update and
// De-Registration answer NOT_IMPLEMENTED in the built-in mode.
#ifndef ONEM2M_MAF_SERVER_MAF_SESSION_FACTORY_H_
#define ONEM2M_MAF_SERVER_MAF_SESSION_FACTORY_H_

#include <functional>
#include <memory>
#include <string>

#include "common/exchange/message.h"
#include "common/psk_server/exchange_session.h"
#include "maf/km_resolver/km_resolver.h"
#include "maf/procedures/maf_session.h"

namespace onem2m::maf {

using MafRequestFn = std::function<void(const MafSession& session, exchange::Request request,
                                        std::function<void(exchange::Response)> respond)>;

struct MafSessionConfig {
  ProcedureContext ctx;                   // store, envelope, clock, maf_fqdn
  std::shared_ptr<KmResolver> resolver;   // for sessions whose handshake ran on another thread
  MafRequestFn handler;                   // empty: built-in procedures
};

class MafSessionFactory : public server::SessionHandlerFactory {
 public:
  explicit MafSessionFactory(MafSessionConfig config) : config_(std::move(config)) {}

  absl::StatusOr<std::unique_ptr<server::SessionHandler>> OnHandshake(
      tls::PskSession& session, const server::ConnectionInfo& info) override;

 private:
  MafSessionConfig config_;
};

// HandleBuiltIn serves one request with the built-in procedures (exposed for tests).
void HandleBuiltIn(const ProcedureContext& ctx, const MafSession& session,
                   exchange::Request request, std::function<void(exchange::Response)> respond);

}  // namespace onem2m::maf

#endif  // ONEM2M_MAF_SERVER_MAF_SESSION_FACTORY_H_

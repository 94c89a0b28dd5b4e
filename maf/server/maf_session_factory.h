// MafSessionFactory: after a MAF handshake, builds the ExchangeSession that serves the MAF
// Security Framework procedures (TS-0003 8.8.2.x) for the authenticated credential.
//
// The session's MafSession (KmID, Enrolee-ID, Km expiry, keying-material exporter) comes from the
// context MafPskResolver answered with Km, kept in the session's own state
// (PskSession::psk_context<ResolvedIdentity>). Requests go to `handler` (by default the
// maf/procedures MafRequestHandler over `ctx`), on `workers` when set: the procedures use the
// store, and a slow database must not hold an I/O thread and every other session on it. A request
// that `async_handler` takes (a Client Registration, whose write the store queues) starts on the
// I/O thread instead and is answered from the store's thread: no worker, and no thread waiting.
#ifndef ONEM2M_MAF_SERVER_MAF_SESSION_FACTORY_H_
#define ONEM2M_MAF_SERVER_MAF_SESSION_FACTORY_H_

#include <functional>
#include <memory>
#include <string>

#include "common/exchange/message.h"
#include "common/psk_server/exchange_session.h"
#include "common/psk_server/worker_pool.h"
#include "maf/km_resolver/km_resolver.h"
#include "maf/procedures/maf_session.h"
#include "maf/server/handshake_recorder.h"

namespace onem2m::maf {

using MafRequestFn = std::function<void(const MafSession& session, exchange::Request request,
                                        std::function<void(exchange::Response)> respond)>;

// MafAsyncRequestFn starts a request that needs no thread to wait (MafRequestHandler::HandleAsync)
// and answers through `respond` later, from any thread; false: not such a request, nothing done.
using MafAsyncRequestFn =
    std::function<bool(const MafSession& session, const exchange::Request& request,
                       const std::function<void(exchange::Response)>& respond)>;

struct MafSessionConfig {
  ProcedureContext ctx;                         // store, envelope, clock, maf_fqdn
  MafRequestFn handler;                         // empty: MafRequestHandler over ctx
  // Tried first, on the I/O thread, when `workers` is set; empty (and with `handler` empty):
  // MafRequestHandler::HandleAsync over ctx.
  MafAsyncRequestFn async_handler;
  std::shared_ptr<server::WorkerPool> workers;  // runs `handler`; null: on the I/O thread
  server::ExchangeOptions exchange;             // binding switches (CoAP legacy option numbers)
  HandshakeRecorder* recorder = nullptr;        // notes each completed handshake; null: none
};

class MafSessionFactory : public server::SessionHandlerFactory {
 public:
  explicit MafSessionFactory(MafSessionConfig config);

  absl::StatusOr<std::unique_ptr<server::SessionHandler>> OnHandshake(
      tls::PskSession& session, const server::ConnectionInfo& info) override;

 private:
  MafSessionConfig config_;
};

}  // namespace onem2m::maf

#endif  // ONEM2M_MAF_SERVER_MAF_SESSION_FACTORY_H_

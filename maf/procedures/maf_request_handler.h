// File: maf/procedures/maf_request_handler.h
//
// MafRequestHandler is the MAF's one entry point for requests arriving inside a secured MAF session
// (HTTP/TLS or CoAP/DTLS, already decoded by common/exchange's adapters): it routes by path and
// method (docs/exchange.md), parses the JSON body with the strict schemas, runs the procedure
// (client_registration.h, client_config.h, key_registration.h, key_retrieval.h, key_update.h,
// deregistration.h: TS-0003 8.8.2.3 .. 8.8.2.10),
// and turns the outcome into a oneM2M response with the right RSC. Every request is audited
// (operation, KmID, Enrolee-ID, Key Identifier where known, RSC; never key bytes).
//
//   ProcedureContext ctx{store.get(), &envelope, /*clock=*/nullptr, "maf.example.com"};
//   MafRequestHandler handler(ctx);
//   exchange::Response response = handler.Handle(request, session);   // never fails
//
// Thread safety: Handle and HandleAsync may be called concurrently for different sessions.
#ifndef ONEM2M_MAF_PROCEDURES_MAF_REQUEST_HANDLER_H_
#define ONEM2M_MAF_PROCEDURES_MAF_REQUEST_HANDLER_H_

#include <functional>

#include "common/exchange/message.h"
#include "maf/procedures/maf_session.h"

namespace onem2m {
namespace maf {

class MafRequestHandler {
 public:
  explicit MafRequestHandler(ProcedureContext ctx) : ctx_(std::move(ctx)) {}

  // Handle answers one request. Errors become error responses: 4000 (bad body), 4004 (unknown path,
  // or the MEF's enrolment path), 4005 (not POST), and the procedures' codes; 5000 responses carry
  // no internal detail.
  exchange::Response Handle(const exchange::Request& request, const MafSession& session) const;

  // HandleAsync answers `request` through `respond` without a thread waiting for the store, when it
  // can: a Client Registration without labels, against a store that registers without waiting
  // (MafStore::RegistersWithoutWaiting), is checked here and answered from the store's thread once
  // its row is written (or here, at once, when the request is refused). For any other request it
  // returns false and does nothing: the caller runs Handle, on a thread that may wait. An I/O
  // thread may call it.
  using Respond = std::function<void(exchange::Response)>;
  bool HandleAsync(const exchange::Request& request, const MafSession& session,
                   const Respond& respond) const;

 private:
  const ProcedureContext ctx_;
};

}  // namespace maf
}  // namespace onem2m

#endif  // ONEM2M_MAF_PROCEDURES_MAF_REQUEST_HANDLER_H_

#include "maf/procedures/maf_request_handler.h"

#include <string>

#include "absl/strings/str_cat.h"
#include "common/exchange/maf_messages.h"
#include "common/exchange/routes.h"
#include "common/exchange/rsc.h"
#include "common/log/logger.h"
#include "maf/procedures/client_config.h"
#include "maf/procedures/client_registration.h"
#include "maf/procedures/deregistration.h"
#include "maf/procedures/key_registration.h"
#include "maf/procedures/key_retrieval.h"
#include "maf/procedures/key_update.h"

namespace onem2m {
namespace maf {
namespace {

// Outcome is what one procedure produced, before it becomes a Response.
struct Outcome {
  absl::Status status;
  nlohmann::json body;  // null when none
  std::string subject;  // Key Identifier or mafClientRegID acted on, for the audit record
};

absl::string_view OperationName(exchange::Operation op) {
  switch (op) {
    case exchange::Operation::kEnrolment:
      return "enrolment";
    case exchange::Operation::kMafClientRegistration:
      return "client_registration";
    case exchange::Operation::kMafClientConfigRetrieval:
      return "client_config_retrieval";
    case exchange::Operation::kMafClientUpdate:
      return "client_registration_update";
    case exchange::Operation::kMafClientDeregistration:
      return "client_deregistration";
    case exchange::Operation::kMafKeyDeregistration:
      return "key_deregistration";
    case exchange::Operation::kMafKeyRegistration:
      return "key_registration";
    case exchange::Operation::kMafKeyRetrieval:
      return "key_retrieval";
    case exchange::Operation::kMafKeyUpdate:
      return "key_update";
    case exchange::Operation::kMafDeregistration:
      return "deregistration";
  }
  return "unknown";
}

// FromAnswer serialises a procedure's answer, or carries its error.
template <typename Answer, typename Serialize>
Outcome FromAnswer(const absl::StatusOr<Answer>& answer, Serialize serialize) {
  Outcome o;
  if (!answer.ok()) {
    o.status = answer.status();
    return o;
  }
  absl::StatusOr<nlohmann::json> body = serialize(*answer);
  if (!body.ok()) {
    o.status = absl::InternalError("cannot serialise answer");
    return o;
  }
  o.body = *std::move(body);
  return o;
}

Outcome Run(const ProcedureContext& ctx, const MafSession& session, exchange::Operation op,
            const std::string& body) {
  using namespace exchange;  // NOLINT: the schema names read better unqualified here
  Outcome o;
  switch (op) {
    case Operation::kMafClientRegistration: {
      absl::StatusOr<ClientRegistrationRequest> req = ParseClientRegistrationRequest(body);
      if (!req.ok()) return Outcome{req.status(), nullptr, ""};
      absl::StatusOr<ClientRegistrationAnswer> a = HandleClientRegistration(ctx, session, *req);
      o = FromAnswer(a, SerializeClientRegistrationAnswer);
      if (a.ok()) o.subject = a->maf_client_reg_id;
      return o;
    }
    case Operation::kMafClientConfigRetrieval: {
      absl::StatusOr<ClientConfigRetrievalRequest> req = ParseClientConfigRetrievalRequest(body);
      if (!req.ok()) return Outcome{req.status(), nullptr, ""};
      o = FromAnswer(HandleClientConfigRetrieval(ctx, session, *req),
                     SerializeClientConfigRetrievalAnswer);
      o.subject = req->maf_client_reg_id;
      return o;
    }
    case Operation::kMafClientUpdate: {
      absl::StatusOr<ClientRegistrationUpdateRequest> req =
          ParseClientRegistrationUpdateRequest(body);
      if (!req.ok()) return Outcome{req.status(), nullptr, ""};
      o = FromAnswer(HandleClientRegistrationUpdate(ctx, session, *req),
                     SerializeClientRegistrationUpdateAnswer);
      o.subject = req->maf_client_reg_id;
      return o;
    }
    case Operation::kMafClientDeregistration: {
      absl::StatusOr<ClientDeregistrationRequest> req = ParseClientDeregistrationRequest(body);
      if (!req.ok()) return Outcome{req.status(), nullptr, ""};
      o.status = HandleClientDeregistration(ctx, session, *req);
      o.subject = req->maf_client_reg_id;
      return o;
    }
    case Operation::kMafKeyRegistration: {
      absl::StatusOr<KeyRegistrationRequest> req = ParseKeyRegistrationRequest(body);
      if (!req.ok()) return Outcome{req.status(), nullptr, ""};
      absl::StatusOr<KeyRegistrationAnswer> a = HandleKeyRegistration(ctx, session, *req);
      o = FromAnswer(a, SerializeKeyRegistrationAnswer);
      if (a.ok()) o.subject = KeyRef{a->relative_key_id, ctx.maf_fqdn}.KeyId();
      return o;
    }
    case Operation::kMafKeyRetrieval: {
      absl::StatusOr<KeyRetrievalRequest> req = ParseKeyRetrievalRequest(body);
      if (!req.ok()) return Outcome{req.status(), nullptr, ""};
      o = FromAnswer(HandleKeyRetrieval(ctx, session, *req), SerializeKeyRetrievalAnswer);
      o.subject = req->key.KeyId();
      return o;
    }
    case Operation::kMafKeyUpdate: {
      absl::StatusOr<KeyUpdateRequest> req = ParseKeyUpdateRequest(body);
      if (!req.ok()) return Outcome{req.status(), nullptr, ""};
      o = FromAnswer(HandleKeyUpdate(ctx, session, *req), SerializeKeyUpdateAnswer);
      o.subject = req->key.KeyId();
      return o;
    }
    case Operation::kMafKeyDeregistration: {
      absl::StatusOr<KeyDeregistrationRequest> req = ParseKeyDeregistrationRequest(body);
      if (!req.ok()) return Outcome{req.status(), nullptr, ""};
      o.status = HandleKeyDeregistration(ctx, session, *req);
      o.subject = req->key.KeyId();
      return o;
    }
    case Operation::kMafDeregistration: {
      absl::StatusOr<DeregistrationRequest> req = ParseDeregistrationRequest(body);
      if (!req.ok()) return Outcome{req.status(), nullptr, ""};
      o.status = HandleDeregistration(ctx, session, *req);
      o.subject = req->key_id.value_or(req->maf_client_reg_id.value_or(""));
      return o;
    }
    case Operation::kEnrolment:
      break;
  }
  // The MEF's enrolment path is not served by a MAF.
  return Outcome{absl::NotFoundError("no such resource at the MAF"), nullptr, ""};
}

// Conclude audits one request's outcome and turns it into the response.
exchange::Response Conclude(const absl::StatusOr<exchange::Operation>& op,
                            const MafSession& session, Outcome o) {
  const int rsc = o.status.ok() ? exchange::SuccessRsc(*op) : exchange::RscForStatus(o.status);
  Audit("maf_procedure", {{"operation", std::string(op.ok() ? OperationName(*op) : "unrouted")},
                          {"km_id", session.km_id.ToString()},
                          {"client_id", session.enrolee_id},
                          {"subject", o.subject},
                          {"rsc", absl::StrCat(rsc)}});
  if (o.status.ok()) return exchange::Response{rsc, std::move(o.body)};
  if (rsc >= 5000) {
    // Server-side trouble: the peer learns the class, the operator log gets the detail.
    Log(Level::kError, "maf_procedure_failed",
        {{"km_id", session.km_id.ToString()}, {"status", o.status.ToString()}});
    return exchange::ErrorResponse(rsc, "internal error");
  }
  return exchange::ErrorResponse(rsc, o.status.message());
}

}  // namespace

exchange::Response MafRequestHandler::Handle(const exchange::Request& request,
                                             const MafSession& session) const {
  absl::StatusOr<exchange::Operation> op = exchange::ResolveOperation(request);
  Outcome o = op.ok() ? Run(ctx_, session, *op, request.body) : Outcome{op.status(), nullptr, ""};
  return Conclude(op, session, std::move(o));
}

bool MafRequestHandler::HandleAsync(const exchange::Request& request, const MafSession& session,
                                    const Respond& respond) const {
  if (!ctx_.store->RegistersWithoutWaiting()) return false;
  const absl::StatusOr<exchange::Operation> op = exchange::ResolveOperation(request);
  if (!op.ok() || *op != exchange::Operation::kMafClientRegistration) return false;
  absl::StatusOr<exchange::ClientRegistrationRequest> req =
      exchange::ParseClientRegistrationRequest(request.body);
  // Labels need MafStore::UpdateClient after the write, which waits: Handle, on a worker.
  if (req.ok() && req->labels.has_value()) return false;
  absl::StatusOr<absl::Time> expiry =
      req.ok() ? CheckClientRegistration(ctx_, session, *req) : req.status();
  if (!expiry.ok()) {
    respond(Conclude(op, session, Outcome{expiry.status(), nullptr, ""}));
    return true;
  }
  // The answer runs where the store answers (its writer thread): it holds copies of what it needs
  // and never this handler, which may be gone by then. Of the session, the audit needs the ids.
  MafSession ids;
  ids.km_id = session.km_id;
  ids.enrolee_id = session.enrolee_id;
  ctx_.store->RegisterClientAsync(
      session.km_id, *expiry,
      [ctx = ctx_, op, ids = std::move(ids), respond](absl::StatusOr<MafClient> client) {
        absl::StatusOr<exchange::ClientRegistrationAnswer> a = AnswerClientRegistration(ctx, client);
        Outcome o = FromAnswer(a, exchange::SerializeClientRegistrationAnswer);
        if (a.ok()) o.subject = a->maf_client_reg_id;
        respond(Conclude(op, ids, std::move(o)));
      });
  return true;
}

}  // namespace maf
}  // namespace onem2m

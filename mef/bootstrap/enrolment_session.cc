#include "mef/bootstrap/enrolment_session.h"

#include <algorithm>
#include <atomic>
#include <optional>
#include <string>
#include <utility>
#include <variant>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "common/crypto/key_derivation.h"
#include "common/crypto/key_id.h"
#include "common/exchange/enrolment_messages.h"
#include "common/exchange/routes.h"
#include "common/exchange/rsc.h"
#include "common/log/logger.h"
#include "mef/bootstrap/kpm_resolver.h"

namespace onem2m::mef {
namespace {

using exchange::ErrorResponse;
using exchange::Response;

// Answered remembers the answer of a committed enrolment, shared with the store's callback, which
// may run after the session is gone. It keeps the answer's fields, not its bytes: a repeated
// request gets them in its own form (short or Table 8.3.2.1-3).
struct Answered {
  absl::Mutex mu;
  std::optional<exchange::EnrolmentAnswer> answer ABSL_GUARDED_BY(mu);
  bool in_flight ABSL_GUARDED_BY(mu) = false;
};

// AnswerFor serialises `answer` in the form `request` used: with the MAF URIs for Table
// 8.3.2.1-1's request, the short answer for the short request.
Response AnswerFor(const exchange::EnrolmentRequest& request, exchange::EnrolmentAnswer answer,
                   const exchange::MafUris& uris) {
  if (request.indications.has_value()) {
    answer.maf_uris = uris;
    answer.maf_uri.reset();
  }
  absl::StatusOr<nlohmann::json> body = exchange::SerializeEnrolmentAnswer(answer);
  if (!body.ok()) {
    Log(Level::kError, "enrolment_answer_invalid",
        {{"reason", std::string(body.status().message())}});
    return ErrorResponse(exchange::kRscInternalServerError, "internal error");
  }
  return Response{exchange::kRscCreated, std::move(*body)};
}

// Provisioned is what a session keeps of its enrolee row for the exchange: not the sealed Kpm,
// the grants or the bookkeeping (an idle session holds this until its idle timeout).
struct Provisioned {
  explicit Provisioned(const Enrolee& e)
      : kpm_id(e.kpm_id),
        enrolee_id(e.enrolee_id),
        maf_id(e.maf_id),
        maf_uri(e.maf_uri),
        enrolment_lifetime(e.enrolment_lifetime),
        not_after(e.not_after) {}
  std::string kpm_id;
  std::string enrolee_id;
  std::string maf_id;
  std::optional<std::string> maf_uri;
  std::optional<absl::Duration> enrolment_lifetime;
  std::optional<absl::Time> not_after;
};

std::string JoinUri(absl::string_view base, absl::string_view path) {
  while (!base.empty() && base.back() == '/') base.remove_suffix(1);
  return absl::StrCat(base, path);
}

// MafUrisFrom is MafUrisFor on the fields it reads.
exchange::MafUris MafUrisFrom(const EnrolmentConfig& config,
                              const std::optional<std::string>& maf_uri, const std::string& maf_id,
                              tls::Transport transport) {
  std::string base;
  if (maf_uri.has_value() && !maf_uri->empty()) {
    base = *maf_uri;
  } else if (!config.default_maf_uri.empty()) {
    base = config.default_maf_uri;
  } else {
    base = absl::StrCat(transport == tls::Transport::kTls ? "https://" : "coaps://", maf_id);
  }
  auto pick = [&](const std::string& fixed, exchange::Operation op) {
    return fixed.empty() ? JoinUri(base, exchange::PathFor(op)) : fixed;
  };
  exchange::MafUris uris;
  uris.client_registration =
      pick(config.maf_client_registration_uri, exchange::Operation::kMafClientRegistration);
  uris.key_registration =
      pick(config.maf_key_registration_uri, exchange::Operation::kMafKeyRegistration);
  uris.key_retrieval = pick(config.maf_key_retrieval_uri, exchange::Operation::kMafKeyRetrieval);
  return uris;
}

class EnrolmentSession : public server::ExchangeSession {
 public:
  EnrolmentSession(const EnrolmentConfig& config, EnroleeStore* store,
                   const crypto::Envelope* envelope, EnrolmentObserver* observer,
                   const Clock* clock, const Enrolee& enrolee, crypto::KeyId ke_id, SecretBytes ke,
                   const server::ConnectionInfo& info)
      : ExchangeSession(config.exchange),
        config_(config),
        store_(store),
        envelope_(envelope),
        observer_(observer),
        clock_(clock),
        enrolee_(enrolee),
        ke_id_(std::move(ke_id)),
        ke_id_text_(ke_id_.ToString()),
        ke_(std::move(ke)),
        peer_(info.peer),
        transport_(info.transport) {}

  bool ExchangeOver() const override { return over_.load(std::memory_order_acquire); }

  void OnRequest(exchange::Request request,
                 std::function<void(exchange::Response)> respond) override {
    // Requests come one at a time on the session's I/O thread; the first one makes the record.
    if (answered_ == nullptr) answered_ = std::make_shared<Answered>();
    absl::Time start = clock_->Now();
    auto fail = [&](absl::string_view outcome, Response r) {
      if (observer_) observer_->OnEnrolment(outcome, clock_->Now() - start);
      respond(std::move(r));
    };
    absl::StatusOr<exchange::Operation> op = exchange::ResolveOperation(request);
    if (!op.ok()) return fail("bad_request", ErrorResponse(op.status()));
    if (*op != exchange::Operation::kEnrolment) {
      return fail("bad_request",
                  ErrorResponse(exchange::kRscNotFound, "the MEF serves only POST /enrolment"));
    }
    absl::StatusOr<exchange::EnrolmentMessage> message =
        exchange::ParseEnrolmentMessage(request.body);
    if (!message.ok()) return fail("bad_request", ErrorResponse(message.status()));
    if (const auto* result = std::get_if<exchange::EnrolmentResult>(&*message)) {
      return OnResult(*result, std::move(respond));
    }
    const exchange::EnrolmentRequest& body = std::get<exchange::EnrolmentRequest>(*message);
    // Only MAF enrolment is provisioned (docs/protocol.md 4): the indications say what the
    // Enrolee is prepared to do; without MAF enrolment among them there is nothing to instruct.
    if (!body.WantsMaf()) {
      return fail("not_supported",
                  ErrorResponse(exchange::kRscNotImplemented,
                                body.indications.has_value()
                                    ? "this MEF provisions MAF enrolment only (TS-0003 Table "
                                      "8.3.2.1-3) and the request's mafEnrolmentIndication is "
                                      "false"
                                    : "only MAF enrolment is supported by this MEF"));
    }
    if (body.enrolee_id.has_value() && *body.enrolee_id != enrolee_.enrolee_id) {
      return fail("denied", ErrorResponse(exchange::kRscOriginatorHasNoPrivilege,
                                          "enroleeId does not match the provisioned Enrolee-ID"));
    }
    {
      absl::MutexLock lock(&answered_->mu);
      if (answered_->answer.has_value()) {  // same session asks again: same Ke, same answer
        respond(AnswerFor(body, *answered_->answer, MafUris()));
        return;
      }
      if (answered_->in_flight) {
        return fail("bad_request",
                    ErrorResponse(exchange::kRscConflict, "an enrolment is already in progress"));
      }
      answered_->in_flight = true;
    }

    // Ke never outlives the enrolee itself (docs/protocol.md 5).
    absl::Time expires = start + enrolee_.enrolment_lifetime.value_or(config_.default_lifetime);
    if (enrolee_.not_after.has_value()) expires = std::min(expires, *enrolee_.not_after);
    expires = absl::FromUnixSeconds(absl::ToUnixSeconds(expires));  // the wire has whole seconds

    absl::StatusOr<std::string> sealed = envelope_->Seal(ke_, ke_id_text_);
    if (!sealed.ok()) {
      Log(Level::kError, "enrolment_seal_failed", {{"ke_id", ke_id_text_}});
      ClearInFlight();
      return fail("error", ErrorResponse(exchange::kRscInternalServerError, "internal error"));
    }
    Enrolment row;
    row.ke_id = ke_id_;
    row.kpm_id = enrolee_.kpm_id;
    row.ke = SealedKey{std::move(*sealed), static_cast<int32_t>(envelope_->active_version())};
    row.enrolee_id = enrolee_.enrolee_id;
    row.maf_id = enrolee_.maf_id;
    row.expires_at = expires;
    row.transport = transport_ == tls::Transport::kTls ? Transport::kTls : Transport::kDtls;
    row.peer_address = peer_;

    exchange::EnrolmentAnswer answer;
    answer.enrolee_id = enrolee_.enrolee_id;
    answer.maf_id = enrolee_.maf_id;
    answer.maf_uri = enrolee_.maf_uri;
    answer.ke_id = ke_id_text_;
    answer.expiration_time = expires;  // also Table 8.3.2.1-3's Lifetime (TS-0003 10.7)
    Response ok = AnswerFor(body, answer, MafUris());
    if (ok.rsc != exchange::kRscCreated) {
      ClearInFlight();
      return fail("error", std::move(ok));
    }

    std::shared_ptr<Answered> answered = answered_;
    EnrolmentObserver* observer = observer_;
    const Clock* clock = clock_;
    std::string ke_id = ke_id_text_;
    std::string kpm_id = enrolee_.kpm_id;
    std::string transport(tls::TransportName(transport_));
    store_->RecordEnrolmentAsync(std::move(row), [answered, observer, clock, start, ke_id, kpm_id,
                                                  transport, answer = std::move(answer),
                                                  ok = std::move(ok),
                                                  respond = std::move(respond)](absl::Status s) {
      absl::Duration latency = clock->Now() - start;
      if (s.ok()) {
        {
          absl::MutexLock lock(&answered->mu);
          answered->answer = answer;
          answered->in_flight = false;
        }
        // Debug level: at fleet rates one line per enrolment costs more than it tells;
        // onem2m_mef_enrolments_total counts them and the row itself is the record.
        if (LogEnabled(Level::kDebug)) {
          Log(Level::kDebug, "enrolment_done",
              {{"kpm_id", kpm_id}, {"ke_id", ke_id}, {"transport", transport}});
        }
        if (observer) observer->OnEnrolment("ok", latency);
        respond(ok);
        return;
      }
      {
        absl::MutexLock lock(&answered->mu);
        answered->in_flight = false;
      }
      bool down = s.code() == absl::StatusCode::kUnavailable;
      Log(Level::kWarning, "enrolment_not_stored",
          {{"kpm_id", kpm_id}, {"ke_id", ke_id}, {"reason", std::string(s.message())}});
      if (observer) observer->OnEnrolment(down ? "store_unavailable" : "error", latency);
      respond(ErrorResponse(
          exchange::kRscTargetNotReachable,
          down ? "enrolment not stored: the MEF's database is unavailable; bootstrap again later"
               : "enrolment not stored; bootstrap again"));
    });
  }

 private:
  // OnResult serves the Enrolee's message after MAF Client Registration (TS-0003 8.3.2.1: "the
  // Enrolee shall send a message to the MEF indicating success"). This MEF has no further
  // instruction (one MAF, no remote management), so it answers with the end of the enrolment
  // exchange and closes the session.
  void OnResult(const exchange::EnrolmentResult& result,
                std::function<void(exchange::Response)> respond) {
    {
      absl::MutexLock lock(&answered_->mu);
      if (!answered_->answer.has_value()) {
        respond(ErrorResponse(exchange::kRscBadRequest,
                              "no enrolment has been answered on this session: send the "
                              "enrolment request first"));
        return;
      }
    }
    if (result.instruction != exchange::InstructionType::kMafEnrolment) {
      respond(ErrorResponse(
          exchange::kRscBadRequest,
          absl::StrCat("this MEF gave no \"", exchange::InstructionTypeName(result.instruction),
                       "\" instruction")));
      return;
    }
    // A failure report changes nothing here: Ke stays valid until it expires, and the Enrolee may
    // bootstrap again. The log line is what an operator can act on.
    Log(result.status ? Level::kDebug : Level::kWarning, "enrolment_exchange_ended",
        {{"kpm_id", enrolee_.kpm_id},
         {"ke_id", ke_id_text_},
         {"maf_registration", result.status ? "success" : "failure"}});
    over_.store(true, std::memory_order_release);
    respond(Response{exchange::kRscOk, exchange::EndOfExchangeAnswer()});
  }

  // MafUris derives the URIs of Table 8.3.2.1-3 when an answer needs them, rather than keeping
  // them for the session's life.
  exchange::MafUris MafUris() const {
    return MafUrisFrom(config_, enrolee_.maf_uri, enrolee_.maf_id, transport_);
  }

  void ClearInFlight() {
    absl::MutexLock lock(&answered_->mu);
    answered_->in_flight = false;
  }

  const EnrolmentConfig& config_;
  EnroleeStore* store_;
  const crypto::Envelope* envelope_;
  EnrolmentObserver* observer_;
  const Clock* const clock_;
  const Provisioned enrolee_;
  const crypto::KeyId ke_id_;
  // ke_id_text_ is ke_id_'s canonical text: the sealed Ke's associated data, the answer's KeID and
  // the logs' (docs/protocol.md 3, 8).
  const std::string ke_id_text_;
  SecretBytes ke_;
  std::string peer_;
  tls::Transport transport_;
  std::shared_ptr<Answered> answered_;  // made by the first request
  std::atomic<bool> over_{false};
};

}  // namespace

exchange::MafUris MafUrisFor(const EnrolmentConfig& config, const Enrolee& enrolee,
                             tls::Transport transport) {
  return MafUrisFrom(config, enrolee.maf_uri, enrolee.maf_id, transport);
}

EnrolmentSessionFactory::EnrolmentSessionFactory(EnrolmentConfig config, EnroleeStore* store,
                                                 const crypto::Envelope* envelope,
                                                 EnrolmentObserver* observer, const Clock* clock)
    : config_(std::move(config)),
      store_(store),
      envelope_(envelope),
      observer_(observer),
      clock_(clock) {}

absl::StatusOr<std::unique_ptr<server::SessionHandler>> EnrolmentSessionFactory::OnHandshake(
    tls::PskSession& session, const server::ConnectionInfo& info) {
  absl::StatusOr<SecretBytes> exported =
      session.Export(crypto::kBootstrapExporterLabel, crypto::kExportLen);
  if (!exported.ok()) return exported.status();
  absl::StatusOr<crypto::DerivedKey> ke = crypto::KeyFromExport(*exported, config_.mef_fqdn);
  if (!ke.ok()) return ke.status();
  // The KeID enters the MEF here: parsed once, a crypto::KeyId from now on (store, fetch).
  absl::StatusOr<crypto::KeyId> ke_id = crypto::KeyId::Parse(ke->key_id);
  if (!ke_id.ok()) return ke_id.status();
  // The enrolee row came with Kpm from this session's own lookup (KpmResolver).
  std::shared_ptr<const KpmContext> found = session.TakePskContext<KpmContext>();
  if (found == nullptr || found->enrolee.state != EnroleeState::kActive) {
    return absl::FailedPreconditionError("the PSK lookup left no enrolee for this session");
  }
  return std::make_unique<EnrolmentSession>(config_, store_, envelope_, observer_, clock_,
                                            found->enrolee, *std::move(ke_id), std::move(ke->key),
                                            info);
}

}  // namespace onem2m::mef

// File: mef/bootstrap/enrolment_session.h
//
// The MEF's side of a secured bootstrap session: right after the handshake it exports Ke and KeID
// (docs/protocol.md 3); then it serves the Enrolment Exchange (docs/protocol.md 4,
// TS-0003 8.3.2.1): one MAF-enrolment request (Table 8.3.2.1-1 or the short form), answered
// (Table 8.3.2.1-3 or the short answer) only once the enrolment row is durable in the store; then,
// if the Enrolee sends it, its success message, answered with the end of the exchange, after which
// the session closes.
//
//   EnrolmentSessionFactory factory(config, store, envelope, &observer);
//   PskServer::Start(options, &factory, ...);
#ifndef ONEM2M_MEF_BOOTSTRAP_ENROLMENT_SESSION_H_
#define ONEM2M_MEF_BOOTSTRAP_ENROLMENT_SESSION_H_

#include <functional>
#include <memory>
#include <string>

#include "absl/time/time.h"
#include "common/crypto/envelope.h"
#include "common/exchange/enrolment_messages.h"
#include "common/psk_server/exchange_session.h"
#include "common/time/clock.h"
#include "mef/store/enrolee_store.h"

namespace onem2m::mef {

struct EnrolmentConfig {
  std::string mef_fqdn;  // the FQDN in every KeID
  // Lifetime of Ke when the enrolee row sets none (TS-0003 10.7).
  absl::Duration default_lifetime = absl::Hours(24);
  // The MAF URIs of Table 8.3.2.1-3 (see MafUrisFor). default_maf_uri is the MAF base URI for
  // enrolees provisioned without one, e.g. "https://maf.example.com:8443"; may be empty.
  std::string default_maf_uri;
  // Each non-empty one replaces the derived URI for every enrolee (one MAF behind a gateway with
  // other paths, say).
  std::string maf_client_registration_uri;
  std::string maf_key_registration_uri;
  std::string maf_key_retrieval_uri;
  server::ExchangeOptions exchange;  // binding switches (CoAP legacy option numbers)
};

// MafUrisFor returns the URIs the full-form answer (Table 8.3.2.1-3) gives `enrolee`: its MAF base
// URI (the enrolee's maf_uri, else config.default_maf_uri, else "https://<MAF-ID>" for a TLS
// session and "coaps://<MAF-ID>" for DTLS) followed by the MAF's paths of
// common/exchange/routes.h (/maf/clients, /maf/keys, /maf/keys/retrieve); the config's explicit
// URIs win over the derivation.
exchange::MafUris MafUrisFor(const EnrolmentConfig& config, const Enrolee& enrolee,
                             tls::Transport transport);

// EnrolmentObserver hears about each enrolment attempt (for metrics). Thread-safe, cheap.
class EnrolmentObserver {
 public:
  virtual ~EnrolmentObserver() = default;
  // outcome: "ok", "bad_request", "not_supported", "denied", "store_unavailable", "error".
  virtual void OnEnrolment(absl::string_view outcome, absl::Duration latency) {}
};

class EnrolmentSessionFactory : public server::SessionHandlerFactory {
 public:
  // Pointers must outlive the factory (and its sessions' pending store writes); `observer` may be
  // null.
  EnrolmentSessionFactory(EnrolmentConfig config, EnroleeStore* store,
                          const crypto::Envelope* envelope, EnrolmentObserver* observer,
                          const Clock* clock = Clock::Real());

  absl::StatusOr<std::unique_ptr<server::SessionHandler>> OnHandshake(
      tls::PskSession& session, const server::ConnectionInfo& info) override;

 private:
  EnrolmentConfig config_;
  EnroleeStore* store_;
  const crypto::Envelope* envelope_;
  EnrolmentObserver* observer_;
  const Clock* const clock_;
};

}  // namespace onem2m::mef

#endif  // ONEM2M_MEF_BOOTSTRAP_ENROLMENT_SESSION_H_

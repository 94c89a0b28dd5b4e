// File: mef/bootstrap/enrolment_session.h
//
// The MEF's side of a secured bootstrap session: right after the handshake it exports Ke and KeID
// (PROTOCOL.md 3); then it serves the Enrolment Exchange (section 4): one MAF-enrolment request,
// answered only once the enrolment row is durable in the store.
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
#include "common/psk_server/exchange_session.h"
#include "mef/store/enrolee_store.h"

namespace onem2m::mef {

struct EnrolmentConfig {
  std::string mef_fqdn;  // the FQDN in every KeID
  // Lifetime of Ke when the enrolee row sets none (TS-0003 10.7).
  absl::Duration default_lifetime = absl::Hours(24);
  server::ExchangeOptions exchange;  // binding switches (CoAP legacy option numbers)
};

// EnrolmentObserver hears about each enrolment attempt (for metrics). Thread-safe, cheap.
class EnrolmentObserver {
 public:
  virtual ~EnrolmentObserver() = default;
  // outcome: "ok", "bad_request", "not_supported", "denied", "store_unavailable", "error".
  virtual void OnEnrolment(absl::string_view outcome, absl::Duration latency) {}
};

class EnrolmentSessionFactory : public server::SessionHandlerFactory {
 public:
  // Pointers must outlive the factory; `observer` may be null.
  EnrolmentSessionFactory(EnrolmentConfig config, EnroleeStore* store,
                          const crypto::Envelope* envelope, EnrolmentObserver* observer,
                          std::function<absl::Time()> now = absl::Now);

  absl::StatusOr<std::unique_ptr<server::SessionHandler>> OnHandshake(
      tls::PskSession& session, const server::ConnectionInfo& info) override;

 private:
  EnrolmentConfig config_;
  EnroleeStore* store_;
  const crypto::Envelope* envelope_;
  EnrolmentObserver* observer_;
  std::function<absl::Time()> now_;
};

}  // namespace onem2m::mef

#endif  // ONEM2M_MEF_BOOTSTRAP_ENROLMENT_SESSION_H_

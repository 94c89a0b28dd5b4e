// File: enrolee/exchange_client.h
//
// ExchangeOverSession sends one oneM2M request over an established secured session and waits for
// the answer: HTTP/1.1 over TLS, or CoAP over DTLS (confirmable, retransmitted per RFC 7252 4.2
// until the deadline). The device uses it for the MEF's enrolment and the MAF's procedures.
//
//   absl::StatusOr<exchange::Response> r =
//       ExchangeOverSession(client, tls::Transport::kTls, request, "mef.example.com", deadline);
#ifndef ONEM2M_ENROLEE_EXCHANGE_CLIENT_H_
#define ONEM2M_ENROLEE_EXCHANGE_CLIENT_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/exchange/message.h"
#include "common/tls/blocking_client.h"

namespace onem2m::enrolee {

// NewRequestId returns a random request identifier for X-M2M-RI / oneM2M-RQI.
std::string NewRequestId();

// ExchangeOverSession returns the server's response (any RSC), or kDeadlineExceeded,
// kUnavailable (session closed) or kInvalidArgument (malformed answer).
absl::StatusOr<exchange::Response> ExchangeOverSession(tls::BlockingClient& client,
                                                       tls::Transport transport,
                                                       const exchange::Request& request,
                                                       const std::string& host,
                                                       absl::Time deadline);

}  // namespace onem2m::enrolee

#endif  // ONEM2M_ENROLEE_EXCHANGE_CLIENT_H_

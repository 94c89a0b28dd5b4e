// File: common/exchange/routes.h
//
// The operations of the exchange and their paths: HTTP request-target, or CoAP Uri-Path segments
// joined with "/". Every operation is a POST with a JSON body. See docs/exchange.md.
//
//   absl::StatusOr<Operation> op = ResolveOperation(request);   // 4004 / 4005 on failure
//   switch (*op) { case Operation::kEnrolment: ... }
//   Response{SuccessRsc(*op), answer};
#ifndef ONEM2M_COMMON_EXCHANGE_ROUTES_H_
#define ONEM2M_COMMON_EXCHANGE_ROUTES_H_

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "common/exchange/message.h"

namespace onem2m {
namespace exchange {

enum class Operation {
  kEnrolment,               // MEF, docs/protocol.md 4        POST /enrolment
  kMafClientRegistration,   // MAF, TS-0003 8.8.2.3      POST /maf/clients
  kMafClientConfigRetrieval,  // MAF, TS-0003 8.8.2.4    POST /maf/clients/config
  kMafClientUpdate,         // MAF, TS-0003 8.8.2.5      POST /maf/clients/update
  kMafClientDeregistration,  // MAF, TS-0003 8.8.2.6     POST /maf/clients/deregister
  kMafKeyRegistration,      // MAF, TS-0003 8.8.2.7      POST /maf/keys
  kMafKeyRetrieval,         // MAF, TS-0003 8.8.2.8      POST /maf/keys/retrieve
  kMafKeyUpdate,            // MAF, TS-0003 8.8.2.9      POST /maf/keys/update
  kMafKeyDeregistration,    // MAF, TS-0003 8.8.2.10     POST /maf/keys/deregister
  // The project's earlier combined de-registration (8.8.2.6 or 8.8.2.10 by body), kept as an
  // alias of the two above.                            POST /maf/deregistration
  kMafDeregistration,
};

// PathFor returns the path, e.g. "/maf/keys".
absl::string_view PathFor(Operation op);

// SuccessRsc returns the RSC a successful answer carries: 2001 for enrolment and the two
// registrations, 2000 for the two retrievals, 2004 for the two updates, 2002 for de-registrations.
int SuccessRsc(Operation op);

// ResolveOperation maps a request's path and method to its operation. Unknown path: kNotFound
// (RSC 4004). Known path, method other than POST: RSC 4005.
absl::StatusOr<Operation> ResolveOperation(const Request& request);

}  // namespace exchange
}  // namespace onem2m

#endif  // ONEM2M_COMMON_EXCHANGE_ROUTES_H_

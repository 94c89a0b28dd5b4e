// File: common/exchange/rsc.h
//
// oneM2M Response Status Codes (TS-0004 6.6.3.x) used by this service, their mapping to HTTP
// status codes (TS-0009 V3.9.1 6.3.2) and CoAP response codes (TS-0008 V3.9 table 6.2.4-1), and
// the bridge from absl::Status to an RSC. docs/exchange.md holds the same table for device
// implementers.
//
//   absl::Status s = store.Find(ke_id);
//   if (!s.ok()) return ErrorResponse(RscForStatus(s), s.message());
//   // A handler that needs an exact code attaches it:
//   return WithRsc(absl::FailedPreconditionError("client already registered"), kRscConflict);
#ifndef ONEM2M_COMMON_EXCHANGE_RSC_H_
#define ONEM2M_COMMON_EXCHANGE_RSC_H_

#include <cstdint>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "common/exchange/message.h"

namespace onem2m {
namespace exchange {

inline constexpr int kRscOk = 2000;
inline constexpr int kRscCreated = 2001;
inline constexpr int kRscDeleted = 2002;
inline constexpr int kRscUpdated = 2004;
inline constexpr int kRscBadRequest = 4000;
// The request's X-M2M-RVI / oneM2M-RVI names a release this service does not serve (TS-0004
// 7.3.2.1).
inline constexpr int kRscReleaseVersionNotSupported = 4001;
inline constexpr int kRscNotFound = 4004;
inline constexpr int kRscOperationNotAllowed = 4005;
// The request body's media type is not served, or a body comes without one (TS-0004 7.3.2.1);
// TS-0008 table 6.2.4-1: CoAP 4.15.
inline constexpr int kRscUnsupportedMediaType = 4015;
inline constexpr int kRscContentsUnacceptable = 4102;
inline constexpr int kRscOriginatorHasNoPrivilege = 4103;
inline constexpr int kRscConflict = 4105;
inline constexpr int kRscInternalServerError = 5000;
inline constexpr int kRscNotImplemented = 5001;
inline constexpr int kRscTargetNotReachable = 5103;
inline constexpr int kRscNotAcceptable = 5207;

// HttpStatusForRsc maps an RSC to the HTTP status of TS-0009; unknown codes fall back by class
// (2xxx -> 200, 4xxx -> 400, other -> 500).
int HttpStatusForRsc(int rsc);

// CoapCodeForRsc maps the RSC of the answer to a request made with `method` to a CoAP response code
// byte (TS-0008 V3.9 table 6.2.4-1). 2000 depends on the method, as RFC 7252 5.9.1 ties each 2.xx
// to methods: 2.05 Content answers GET (a RETRIEVE, and FETCH had this service one), 2.04 Changed
// answers POST and PUT (TS-0008 maps 2000 to a NOTIFY, which travels as POST, to 2.04), and 2.02
// Deleted answers DELETE. Unknown codes fall back by class (2xxx as 2000, 4xxx -> 4.00, other ->
// 5.00). CoAP has no 4.09 in RFC 7252, so 4105 maps to 4.03 as in the table; the oneM2M-RSC
// option carries the exact code.
uint8_t CoapCodeForRsc(int rsc, Method method);


// RscFromHttpStatus and RscFromCoapCode guess an RSC when a response lacks X-M2M-RSC or
// oneM2M-RSC (e.g. an error from a proxy).
int RscFromHttpStatus(int status);
int RscFromCoapCode(uint8_t code);

// IsSuccessRsc is true for 2xxx.
constexpr bool IsSuccessRsc(int rsc) { return rsc >= 2000 && rsc < 3000; }

// WithRsc returns `status` carrying an explicit RSC, which RscForStatus prefers over the
// status-code mapping. `status` must not be OK.
absl::Status WithRsc(absl::Status status, int rsc);

// RscForStatus returns the RSC attached by WithRsc, or else: kInvalidArgument, kOutOfRange,
// kResourceExhausted, kFailedPrecondition -> 4000; kNotFound -> 4004; kPermissionDenied,
// kUnauthenticated -> 4103; kAlreadyExists -> 4105; kUnimplemented -> 5001; anything else -> 5000.
// OK -> 2000.
int RscForStatus(const absl::Status& status);

// RscName returns the TS-0004 name, e.g. "CREATED", or "UNKNOWN".
absl::string_view RscName(int rsc);

}  // namespace exchange
}  // namespace onem2m

#endif  // ONEM2M_COMMON_EXCHANGE_RSC_H_

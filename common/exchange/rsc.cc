#include "common/exchange/rsc.h"

#include <utility>

#include "absl/strings/numbers.h"
#include "common/coap/coap_message.h"

namespace onem2m {
namespace exchange {
namespace {

constexpr absl::string_view kRscPayloadUrl = "type.onem2m.org/rsc";

struct RscRow {
  int rsc;
  absl::string_view name;
  int http;
  uint8_t coap;
};

// The table in docs/exchange.md must match this one. CoAP codes: TS-0008 V3.9 table 6.2.4-1 (2000
// is its RETRIEVE row; CoapCodeForRsc picks by method). HTTP codes: TS-0009 V3.9.1 6.3.2 (table
// 6.3.2-1); the text copy checked against lacks that table's body, so the two codes added with it,
// 4001 -> 501 and 4015 -> 415, follow TS-0008's CoAP row and RFC 9110 15.6.2 / 15.5.16.
constexpr RscRow kTable[] = {
    {kRscOk, "OK", 200, coap::kCodeContent},
    {kRscCreated, "CREATED", 201, coap::kCodeCreated},
    {kRscDeleted, "DELETED", 200, coap::kCodeDeleted},
    {kRscUpdated, "UPDATED", 200, coap::kCodeChanged},
    {kRscBadRequest, "BAD_REQUEST", 400, coap::kCodeBadRequest},
    {kRscReleaseVersionNotSupported, "RELEASE_VERSION_NOT_SUPPORTED", 501,
     coap::kCodeNotImplemented},
    {kRscNotFound, "NOT_FOUND", 404, coap::kCodeNotFound},
    {kRscOperationNotAllowed, "OPERATION_NOT_ALLOWED", 405, coap::kCodeMethodNotAllowed},
    {kRscUnsupportedMediaType, "UNSUPPORTED_MEDIA_TYPE", 415, coap::kCodeUnsupportedContentFormat},
    {kRscContentsUnacceptable, "CONTENTS_UNACCEPTABLE", 400, coap::kCodeBadRequest},
    {kRscOriginatorHasNoPrivilege, "ORIGINATOR_HAS_NO_PRIVILEGE", 403, coap::kCodeForbidden},
    {kRscConflict, "CONFLICT", 409, coap::kCodeForbidden},
    {kRscInternalServerError, "INTERNAL_SERVER_ERROR", 500, coap::kCodeInternalServerError},
    {kRscNotImplemented, "NOT_IMPLEMENTED", 501, coap::kCodeNotImplemented},
    {kRscTargetNotReachable, "TARGET_NOT_REACHABLE", 404, coap::kCodeNotFound},
    {kRscNotAcceptable, "NOT_ACCEPTABLE", 406, coap::kCodeNotAcceptable},
};

const RscRow* Find(int rsc) {
  for (const RscRow& row : kTable) {
    if (row.rsc == rsc) return &row;
  }
  return nullptr;
}

}  // namespace

int HttpStatusForRsc(int rsc) {
  if (const RscRow* row = Find(rsc)) return row->http;
  if (IsSuccessRsc(rsc)) return 200;
  if (rsc >= 4000 && rsc < 5000) return 400;
  return 500;
}

uint8_t CoapCodeForRsc(int rsc, Method method) {
  if (rsc == kRscOk || (IsSuccessRsc(rsc) && Find(rsc) == nullptr)) {
    switch (method) {
      case Method::kGet:
        return coap::kCodeContent;  // RFC 7252 5.9.1.5
      case Method::kDelete:
        return coap::kCodeDeleted;  // RFC 7252 5.9.1.3
      case Method::kPost:
      case Method::kPut:
        return coap::kCodeChanged;  // RFC 7252 5.9.1.4; TS-0008 table 6.2.4-1, 2000 to a NOTIFY
    }
  }
  if (const RscRow* row = Find(rsc)) return row->coap;
  if (rsc >= 4000 && rsc < 5000) return coap::kCodeBadRequest;
  return coap::kCodeInternalServerError;
}


int RscFromHttpStatus(int status) {
  switch (status) {
    case 200:
      return kRscOk;
    case 201:
      return kRscCreated;
    case 403:
      return kRscOriginatorHasNoPrivilege;
    case 404:
      return kRscNotFound;
    case 405:
      return kRscOperationNotAllowed;
    case 415:
      return kRscUnsupportedMediaType;
    case 406:
      return kRscNotAcceptable;
    case 409:
      return kRscConflict;
    case 501:
      return kRscNotImplemented;
    default:
      break;
  }
  if (status >= 200 && status < 300) return kRscOk;
  if (status >= 400 && status < 500) return kRscBadRequest;
  return kRscInternalServerError;
}

int RscFromCoapCode(uint8_t code) {
  switch (code) {
    case coap::kCodeCreated:
      return kRscCreated;
    case coap::kCodeDeleted:
      return kRscDeleted;
    case coap::kCodeChanged:
      return kRscUpdated;
    case coap::kCodeForbidden:
      return kRscOriginatorHasNoPrivilege;
    case coap::kCodeNotFound:
      return kRscNotFound;
    case coap::kCodeMethodNotAllowed:
      return kRscOperationNotAllowed;
    case coap::kCodeNotAcceptable:
      return kRscNotAcceptable;
    case coap::kCodeUnsupportedContentFormat:
      return kRscUnsupportedMediaType;
    case coap::kCodeNotImplemented:
      return kRscNotImplemented;
    default:
      break;
  }
  switch (coap::CodeClass(code)) {
    case 2:
      return kRscOk;
    case 4:
      return kRscBadRequest;
    default:
      return kRscInternalServerError;
  }
}

absl::Status WithRsc(absl::Status status, int rsc) {
  status.SetPayload(kRscPayloadUrl, absl::Cord(std::to_string(rsc)));
  return status;
}

int RscForStatus(const absl::Status& status) {
  if (status.ok()) return kRscOk;
  if (absl::optional<absl::Cord> p = status.GetPayload(kRscPayloadUrl)) {
    int rsc = 0;
    if (absl::SimpleAtoi(std::string(*p), &rsc)) return rsc;
  }
  switch (status.code()) {
    case absl::StatusCode::kInvalidArgument:
    case absl::StatusCode::kOutOfRange:
    case absl::StatusCode::kResourceExhausted:
    case absl::StatusCode::kFailedPrecondition:
      return kRscBadRequest;
    case absl::StatusCode::kNotFound:
      return kRscNotFound;
    case absl::StatusCode::kPermissionDenied:
    case absl::StatusCode::kUnauthenticated:
      return kRscOriginatorHasNoPrivilege;
    case absl::StatusCode::kAlreadyExists:
      return kRscConflict;
    case absl::StatusCode::kUnimplemented:
      return kRscNotImplemented;
    default:
      return kRscInternalServerError;
  }
}

absl::string_view RscName(int rsc) {
  if (const RscRow* row = Find(rsc)) return row->name;
  return "UNKNOWN";
}

}  // namespace exchange
}  // namespace onem2m

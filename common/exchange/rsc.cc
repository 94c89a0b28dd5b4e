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

// The table in docs/exchange.md must match this one.
constexpr RscRow kTable[] = {
    {kRscOk, "OK", 200, coap::kCodeContent},
    {kRscCreated, "CREATED", 201, coap::kCodeCreated},
    {kRscDeleted, "DELETED", 200, coap::kCodeDeleted},
    {kRscUpdated, "UPDATED", 200, coap::kCodeChanged},
    {kRscBadRequest, "BAD_REQUEST", 400, coap::kCodeBadRequest},
    {kRscNotFound, "NOT_FOUND", 404, coap::kCodeNotFound},
    {kRscOperationNotAllowed, "OPERATION_NOT_ALLOWED", 405, coap::kCodeMethodNotAllowed},
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

uint8_t CoapCodeForRsc(int rsc) {
  if (const RscRow* row = Find(rsc)) return row->coap;
  if (IsSuccessRsc(rsc)) return coap::kCodeContent;
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

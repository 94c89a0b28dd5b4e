#include "common/exchange/routes.h"

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "common/exchange/rsc.h"

namespace onem2m {
namespace exchange {
namespace {

constexpr Operation kAll[] = {
    Operation::kEnrolment,           Operation::kMafClientRegistration,
    Operation::kMafClientConfigRetrieval, Operation::kMafClientUpdate,
    Operation::kMafClientDeregistration,  Operation::kMafKeyRegistration,
    Operation::kMafKeyRetrieval,     Operation::kMafKeyUpdate,
    Operation::kMafKeyDeregistration,     Operation::kMafDeregistration,
};

}  // namespace

absl::string_view PathFor(Operation op) {
  switch (op) {
    case Operation::kEnrolment:
      return "/enrolment";
    case Operation::kMafClientRegistration:
      return "/maf/clients";
    case Operation::kMafClientConfigRetrieval:
      return "/maf/clients/config";
    case Operation::kMafClientUpdate:
      return "/maf/clients/update";
    case Operation::kMafClientDeregistration:
      return "/maf/clients/deregister";
    case Operation::kMafKeyRegistration:
      return "/maf/keys";
    case Operation::kMafKeyRetrieval:
      return "/maf/keys/retrieve";
    case Operation::kMafKeyUpdate:
      return "/maf/keys/update";
    case Operation::kMafKeyDeregistration:
      return "/maf/keys/deregister";
    case Operation::kMafDeregistration:
      return "/maf/deregistration";
  }
  return "";
}

int SuccessRsc(Operation op) {
  switch (op) {
    case Operation::kEnrolment:
    case Operation::kMafClientRegistration:
    case Operation::kMafKeyRegistration:
      return kRscCreated;
    case Operation::kMafClientConfigRetrieval:
    case Operation::kMafKeyRetrieval:
      return kRscOk;
    case Operation::kMafClientUpdate:
    case Operation::kMafKeyUpdate:
      return kRscUpdated;
    case Operation::kMafClientDeregistration:
    case Operation::kMafKeyDeregistration:
    case Operation::kMafDeregistration:
      return kRscDeleted;
  }
  return kRscOk;
}

absl::StatusOr<Operation> ResolveOperation(const Request& request) {
  for (Operation op : kAll) {
    if (request.path != PathFor(op)) continue;
    if (request.method != Method::kPost) {
      return WithRsc(absl::InvalidArgumentError(absl::StrCat(
                         MethodName(request.method), " is not allowed on ", absl::CHexEscape(request.path),
                         "; use POST")),
                     kRscOperationNotAllowed);
    }
    return op;
  }
  return absl::NotFoundError(absl::StrCat("no operation at path \"", absl::CHexEscape(request.path), "\""));
}

}  // namespace exchange
}  // namespace onem2m

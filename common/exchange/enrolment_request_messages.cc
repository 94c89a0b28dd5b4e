// The Enrolee's messages of the enrolment exchange (TS-0003 8.3.2.1; docs/protocol.md 4): the
// enrolment request in its short and Table 8.3.2.1-1 forms, and the result the Enrolee reports
// after an instruction. The schemas are declared in enrolment_messages.h.
#include <utility>

#include "absl/strings/str_cat.h"
#include "common/exchange/enrolment_messages.h"
#include "common/exchange/internal/enrolment_fields.h"
#include "common/exchange/internal/json_fields.h"

namespace onem2m {
namespace exchange {
namespace {

using internal::CheckId;
using internal::ParseTopLevelObject;
using internal::ReadId;
using internal::ReadInstructionType;
using internal::ReadOptionalBool;
using internal::ReadOptionalId;
using internal::RejectUnknownFields;
using internal::RequireObject;
using nlohmann::json;

// Wire names of Table 8.3.2.1-1 (TS-0003 defines no short names; lowerCamelCase of the table's).
constexpr absl::string_view kCertificateIndication = "certificateEnrolmentIndication";
constexpr absl::string_view kMafIndication = "mafEnrolmentIndication";
constexpr absl::string_view kRemoteManagementIndication = "remoteManagementIndication";

// ParseShortRequest reads {"enrolment": {"type", "enroleeId"?}}.
absl::StatusOr<EnrolmentRequest> ParseShortRequest(const json& root) {
  absl::Status s = RejectUnknownFields(root, "", {"enrolment"});
  if (!s.ok()) return s;
  const json& e = root.at("enrolment");
  s = RequireObject(e, "enrolment");
  if (!s.ok()) return s;
  s = RejectUnknownFields(e, "enrolment", {"type", "enroleeId"});
  if (!s.ok()) return s;

  EnrolmentRequest out;
  absl::StatusOr<std::string> type = ReadId(e, "enrolment", "type");
  if (!type.ok()) return type.status();
  bool known = false;
  for (EnrolmentType t :
       {EnrolmentType::kMaf, EnrolmentType::kCertificate, EnrolmentType::kRemoteManagement}) {
    if (*type == EnrolmentTypeName(t)) {
      out.type = t;
      known = true;
    }
  }
  if (!known) {
    return absl::InvalidArgumentError(
        "field \"enrolment.type\" must be \"maf\", \"certificate\" or \"remoteManagement\"");
  }
  absl::StatusOr<std::optional<std::string>> id = ReadOptionalId(e, "enrolment", "enroleeId");
  if (!id.ok()) return id.status();
  out.enrolee_id = std::move(*id);
  return out;
}

// ParseFullRequest reads Table 8.3.2.1-1's indications (plus "enroleeId"?) at the top level.
absl::StatusOr<EnrolmentRequest> ParseFullRequest(const json& root) {
  absl::Status s = RejectUnknownFields(
      root, "", {kCertificateIndication, kMafIndication, kRemoteManagementIndication, "enroleeId"});
  if (!s.ok()) return s;
  EnrolmentIndications ind;
  bool any = false;
  for (auto [field, out] :
       {std::pair<absl::string_view, bool*>{kCertificateIndication, &ind.certificate},
        {kMafIndication, &ind.maf},
        {kRemoteManagementIndication, &ind.remote_management}}) {
    absl::StatusOr<std::optional<bool>> b = ReadOptionalBool(root, "", field);
    if (!b.ok()) return b.status();
    if (b->has_value()) {
      *out = **b;
      any = true;
    }
  }
  if (!any) {
    return absl::InvalidArgumentError(
        "required field \"enrolment\" (short form) or \"mafEnrolmentIndication\" (TS-0003 Table "
        "8.3.2.1-1) is missing");
  }
  EnrolmentRequest out;
  out.indications = ind;
  absl::StatusOr<std::optional<std::string>> id = ReadOptionalId(root, "", "enroleeId");
  if (!id.ok()) return id.status();
  out.enrolee_id = std::move(*id);
  return out;
}

absl::StatusOr<EnrolmentRequest> ParseRequestObject(const json& root) {
  if (root.contains("enrolment")) return ParseShortRequest(root);
  return ParseFullRequest(root);
}

absl::StatusOr<EnrolmentResult> ParseResultObject(const json& root) {
  absl::Status s = RejectUnknownFields(root, "", {"instructionType", "status"});
  if (!s.ok()) return s;
  EnrolmentResult out;
  absl::StatusOr<InstructionType> t = ReadInstructionType(root, "");
  if (!t.ok()) return t.status();
  if (*t == InstructionType::kEnd) {
    return absl::InvalidArgumentError(
        "field \"instructionType\": \"endOfEnrolmentExchange\" is the MEF's answer, not a result");
  }
  out.instruction = *t;
  absl::StatusOr<std::optional<bool>> status = ReadOptionalBool(root, "", "status");
  if (!status.ok()) return status.status();
  if (!status->has_value())
    return absl::InvalidArgumentError("required field \"status\" is missing");
  out.status = **status;
  return out;
}

}  // namespace

absl::string_view EnrolmentTypeName(EnrolmentType type) {
  switch (type) {
    case EnrolmentType::kMaf:
      return "maf";
    case EnrolmentType::kCertificate:
      return "certificate";
    case EnrolmentType::kRemoteManagement:
      return "remoteManagement";
  }
  return "maf";
}

absl::StatusOr<EnrolmentMessage> ParseEnrolmentMessage(absl::string_view body) {
  absl::StatusOr<json> root = ParseTopLevelObject(body);
  if (!root.ok()) return root.status();
  if (root->contains("instructionType")) {
    absl::StatusOr<EnrolmentResult> r = ParseResultObject(*root);
    if (!r.ok()) return r.status();
    return EnrolmentMessage(*r);
  }
  absl::StatusOr<EnrolmentRequest> r = ParseRequestObject(*root);
  if (!r.ok()) return r.status();
  return EnrolmentMessage(std::move(*r));
}

absl::StatusOr<EnrolmentRequest> ParseEnrolmentRequest(absl::string_view body) {
  absl::StatusOr<json> root = ParseTopLevelObject(body);
  if (!root.ok()) return root.status();
  return ParseRequestObject(*root);
}

absl::StatusOr<std::string> SerializeEnrolmentRequest(const EnrolmentRequest& request) {
  if (request.enrolee_id) {
    absl::Status s =
        CheckId(*request.enrolee_id, request.indications ? "" : "enrolment", "enroleeId");
    if (!s.ok()) return s;
  }
  if (request.indications) {
    json root = json::object();
    root[std::string(kCertificateIndication)] = request.indications->certificate;
    root[std::string(kMafIndication)] = request.indications->maf;
    root[std::string(kRemoteManagementIndication)] = request.indications->remote_management;
    if (request.enrolee_id) root["enroleeId"] = *request.enrolee_id;
    return internal::DumpJson(root);
  }
  json e = json::object();
  e["type"] = std::string(EnrolmentTypeName(request.type));
  if (request.enrolee_id) e["enroleeId"] = *request.enrolee_id;
  json root = json::object();
  root["enrolment"] = std::move(e);
  return internal::DumpJson(root);
}

absl::StatusOr<EnrolmentResult> ParseEnrolmentResult(absl::string_view body) {
  absl::StatusOr<json> root = ParseTopLevelObject(body);
  if (!root.ok()) return root.status();
  return ParseResultObject(*root);
}

absl::StatusOr<std::string> SerializeEnrolmentResult(const EnrolmentResult& result) {
  if (result.instruction == InstructionType::kEnd) {
    return absl::InvalidArgumentError("a result reports on an instruction, not on the end");
  }
  json root = json::object();
  root["instructionType"] = std::string(InstructionTypeName(result.instruction));
  root["status"] = result.status;
  return internal::DumpJson(root);
}

}  // namespace exchange
}  // namespace onem2m

#include "common/exchange/enrolment_messages.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "common/exchange/internal/json_fields.h"

namespace onem2m {
namespace exchange {
namespace {

using nlohmann::json;
using internal::CheckId;
using internal::ReadId;
using internal::ReadOptionalId;
using internal::RejectUnknownFields;
using internal::RequireObject;

constexpr absl::string_view kSymmetric = "symmetric";

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

absl::StatusOr<EnrolmentRequest> ParseEnrolmentRequest(absl::string_view body) {
  absl::StatusOr<json> root = internal::ParseStrictJson(body);
  if (!root.ok()) return root.status();
  absl::Status s = RejectUnknownFields(*root, "", {"enrolment"});
  if (!s.ok()) return s;
  auto it = root->find("enrolment");
  if (it == root->end()) {
    return absl::InvalidArgumentError("required field \"enrolment\" is missing");
  }
  const json& e = *it;
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

absl::StatusOr<std::string> SerializeEnrolmentRequest(const EnrolmentRequest& request) {
  json e = json::object();
  e["type"] = std::string(EnrolmentTypeName(request.type));
  if (request.enrolee_id) {
    absl::Status s = CheckId(*request.enrolee_id, "enrolment", "enroleeId");
    if (!s.ok()) return s;
    e["enroleeId"] = *request.enrolee_id;
  }
  json root = json::object();
  root["enrolment"] = std::move(e);
  return internal::DumpJson(root);
}

absl::StatusOr<EnrolmentAnswer> ParseEnrolmentAnswer(const json& body) {
  constexpr absl::string_view kWhere = "enrolmentAnswer";
  absl::Status s = RequireObject(body, kWhere);
  if (!s.ok()) return s;
  s = RejectUnknownFields(body, kWhere,
                          {"credentialType", "enroleeId", "mafId", "mafUri", "keId",
                           "expirationTime"});
  if (!s.ok()) return s;
  absl::StatusOr<std::string> type = ReadId(body, kWhere, "credentialType");
  if (!type.ok()) return type.status();
  if (*type != kSymmetric) {
    return absl::InvalidArgumentError(
        "field \"enrolmentAnswer.credentialType\" must be \"symmetric\"");
  }
  EnrolmentAnswer out;
  absl::StatusOr<std::string> enrolee = ReadId(body, kWhere, "enroleeId");
  if (!enrolee.ok()) return enrolee.status();
  out.enrolee_id = std::move(*enrolee);
  absl::StatusOr<std::string> maf = ReadId(body, kWhere, "mafId");
  if (!maf.ok()) return maf.status();
  out.maf_id = std::move(*maf);
  absl::StatusOr<std::optional<std::string>> uri = ReadOptionalId(body, kWhere, "mafUri");
  if (!uri.ok()) return uri.status();
  out.maf_uri = std::move(*uri);
  absl::StatusOr<std::string> ke = ReadId(body, kWhere, "keId");
  if (!ke.ok()) return ke.status();
  out.ke_id = std::move(*ke);
  absl::StatusOr<absl::Time> t = internal::ReadTime(body, kWhere, "expirationTime");
  if (!t.ok()) return t.status();
  out.expiration_time = *t;
  return out;
}

absl::StatusOr<json> SerializeEnrolmentAnswer(const EnrolmentAnswer& answer) {
  constexpr absl::string_view kWhere = "enrolmentAnswer";
  for (const auto& [field, value] : {std::pair<absl::string_view, const std::string*>{
                                         "enroleeId", &answer.enrolee_id},
                                     {"mafId", &answer.maf_id},
                                     {"keId", &answer.ke_id}}) {
    absl::Status s = CheckId(*value, kWhere, field);
    if (!s.ok()) return s;
  }
  if (answer.maf_uri) {
    absl::Status s = CheckId(*answer.maf_uri, kWhere, "mafUri");
    if (!s.ok()) return s;
  }
  json out = json::object();
  out["credentialType"] = std::string(kSymmetric);
  out["enroleeId"] = answer.enrolee_id;
  out["mafId"] = answer.maf_id;
  if (answer.maf_uri) out["mafUri"] = *answer.maf_uri;
  out["keId"] = answer.ke_id;
  out["expirationTime"] = internal::FormatM2mTime(answer.expiration_time);
  return out;
}

}  // namespace exchange
}  // namespace onem2m

// The MEF's messages of the enrolment exchange (TS-0003 8.3.2.1; docs/protocol.md 4): the
// enrolment answer in its short and Table 8.3.2.1-3 forms, the URI instructions for certificate
// enrolment and remote management, and the end-of-exchange answer. The schemas are declared in
// enrolment_messages.h.
#include <utility>

#include "absl/strings/str_cat.h"
#include "common/exchange/enrolment_messages.h"
#include "common/exchange/internal/enrolment_fields.h"
#include "common/exchange/internal/json_fields.h"

namespace onem2m {
namespace exchange {
namespace {

using internal::CheckId;
using internal::CheckTrustAnchor;
using internal::CheckUri;
using internal::kAnswer;
using internal::ReadId;
using internal::ReadInstructionType;
using internal::ReadOptionalId;
using internal::ReadOptionalUri;
using internal::ReadTrustAnchors;
using internal::ReadUri;
using internal::RejectUnknownFields;
using internal::RequireObject;
using nlohmann::json;

constexpr absl::string_view kSymmetric = "symmetric";

absl::StatusOr<EnrolmentAnswer> ParseShortAnswer(const json& body) {
  absl::Status s = RejectUnknownFields(
      body, kAnswer, {"credentialType", "enroleeId", "mafId", "mafUri", "keId", "expirationTime"});
  if (!s.ok()) return s;
  EnrolmentAnswer out;
  absl::StatusOr<std::optional<std::string>> uri = ReadOptionalId(body, kAnswer, "mafUri");
  if (!uri.ok()) return uri.status();
  out.maf_uri = std::move(*uri);
  absl::StatusOr<absl::Time> t = internal::ReadTime(body, kAnswer, "expirationTime");
  if (!t.ok()) return t.status();
  out.expiration_time = *t;
  return out;
}

absl::StatusOr<EnrolmentAnswer> ParseFullAnswer(const json& body) {
  absl::Status s = RejectUnknownFields(
      body, kAnswer,
      {"instructionType", "credentialType", "mafKeyRegistrationUri", "mafKeyRetrievalUri",
       "mafClientRegistrationUri", "trustAnchors", "lifetime", "enroleeId", "mafId", "keId"});
  if (!s.ok()) return s;
  EnrolmentAnswer out;
  MafUris uris;
  absl::StatusOr<std::string> reg = ReadUri(body, kAnswer, "mafKeyRegistrationUri");
  if (!reg.ok()) return reg.status();
  uris.key_registration = std::move(*reg);
  absl::StatusOr<std::string> ret = ReadUri(body, kAnswer, "mafKeyRetrievalUri");
  if (!ret.ok()) return ret.status();
  uris.key_retrieval = std::move(*ret);
  absl::StatusOr<std::optional<std::string>> client =
      ReadOptionalUri(body, kAnswer, "mafClientRegistrationUri");
  if (!client.ok()) return client.status();
  uris.client_registration = std::move(*client);
  out.maf_uris = std::move(uris);
  absl::StatusOr<std::vector<std::string>> anchors = ReadTrustAnchors(body, kAnswer);
  if (!anchors.ok()) return anchors.status();
  out.trust_anchors = std::move(*anchors);
  // Table 8.3.2.1-3 makes Lifetime optional; this project's Enrolee needs it (docs/protocol.md 4).
  absl::StatusOr<absl::Time> t = internal::ReadTime(body, kAnswer, "lifetime");
  if (!t.ok()) return t.status();
  out.expiration_time = *t;
  return out;
}

}  // namespace

absl::string_view InstructionTypeName(InstructionType type) {
  switch (type) {
    case InstructionType::kCertificateEnrolment:
      return "certificateEnrolment";
    case InstructionType::kMafEnrolment:
      return "mafEnrolment";
    case InstructionType::kRemoteManagement:
      return "remoteManagement";
    case InstructionType::kEnd:
      return "endOfEnrolmentExchange";
  }
  return "mafEnrolment";
}

absl::StatusOr<std::optional<InstructionType>> PeekInstructionType(const json& body) {
  absl::Status s = RequireObject(body, kAnswer);
  if (!s.ok()) return s;
  if (!body.contains("instructionType")) return std::optional<InstructionType>();
  absl::StatusOr<InstructionType> t = ReadInstructionType(body, kAnswer);
  if (!t.ok()) return t.status();
  return std::optional<InstructionType>(*t);
}

absl::StatusOr<EnrolmentAnswer> ParseEnrolmentAnswer(const json& body) {
  absl::StatusOr<std::optional<InstructionType>> kind = PeekInstructionType(body);
  if (!kind.ok()) return kind.status();
  if (kind->has_value() && **kind != InstructionType::kMafEnrolment) {
    return absl::UnimplementedError(absl::StrCat(
        "the MEF's instruction \"", InstructionTypeName(**kind), "\" is not MAF enrolment"));
  }
  absl::StatusOr<EnrolmentAnswer> out =
      kind->has_value() ? ParseFullAnswer(body) : ParseShortAnswer(body);
  if (!out.ok()) return out.status();
  absl::StatusOr<std::string> type = ReadId(body, kAnswer, "credentialType");
  if (!type.ok()) return type.status();
  if (*type != kSymmetric) {
    return absl::InvalidArgumentError(
        "field \"enrolmentAnswer.credentialType\" must be \"symmetric\"");
  }
  absl::StatusOr<std::string> enrolee = ReadId(body, kAnswer, "enroleeId");
  if (!enrolee.ok()) return enrolee.status();
  out->enrolee_id = std::move(*enrolee);
  absl::StatusOr<std::string> maf = ReadId(body, kAnswer, "mafId");
  if (!maf.ok()) return maf.status();
  out->maf_id = std::move(*maf);
  absl::StatusOr<std::string> ke = ReadId(body, kAnswer, "keId");
  if (!ke.ok()) return ke.status();
  out->ke_id = std::move(*ke);
  return out;
}

absl::StatusOr<json> SerializeEnrolmentAnswer(const EnrolmentAnswer& answer) {
  for (const auto& [field, value] :
       {std::pair<absl::string_view, const std::string*>{"enroleeId", &answer.enrolee_id},
        {"mafId", &answer.maf_id},
        {"keId", &answer.ke_id}}) {
    absl::Status s = CheckId(*value, kAnswer, field);
    if (!s.ok()) return s;
  }
  json out = json::object();
  if (answer.maf_uris) {
    const MafUris& u = *answer.maf_uris;
    absl::Status s = CheckUri(u.key_registration, kAnswer, "mafKeyRegistrationUri");
    if (s.ok()) s = CheckUri(u.key_retrieval, kAnswer, "mafKeyRetrievalUri");
    if (s.ok() && u.client_registration) {
      s = CheckUri(*u.client_registration, kAnswer, "mafClientRegistrationUri");
    }
    if (s.ok() && answer.trust_anchors.size() > kMaxTrustAnchors) {
      s = absl::InvalidArgumentError("too many trust anchors");
    }
    for (const std::string& pem : answer.trust_anchors) {
      if (s.ok()) s = CheckTrustAnchor(pem, kAnswer);
    }
    if (!s.ok()) return s;
    out["instructionType"] = std::string(InstructionTypeName(InstructionType::kMafEnrolment));
    out["credentialType"] = std::string(kSymmetric);
    out["mafKeyRegistrationUri"] = u.key_registration;
    out["mafKeyRetrievalUri"] = u.key_retrieval;
    if (u.client_registration) out["mafClientRegistrationUri"] = *u.client_registration;
    if (!answer.trust_anchors.empty()) out["trustAnchors"] = answer.trust_anchors;
    out["lifetime"] = internal::FormatM2mTime(answer.expiration_time);
  } else {
    if (answer.maf_uri) {
      absl::Status s = CheckId(*answer.maf_uri, kAnswer, "mafUri");
      if (!s.ok()) return s;
    }
    out["credentialType"] = std::string(kSymmetric);
    if (answer.maf_uri) out["mafUri"] = *answer.maf_uri;
    out["expirationTime"] = internal::FormatM2mTime(answer.expiration_time);
  }
  out["enroleeId"] = answer.enrolee_id;
  out["mafId"] = answer.maf_id;
  out["keId"] = answer.ke_id;
  return out;
}

absl::StatusOr<UriInstruction> ParseUriInstruction(const json& body) {
  absl::Status s = RequireObject(body, kAnswer);
  if (!s.ok()) return s;
  s = RejectUnknownFields(body, kAnswer, {"instructionType", "uri"});
  if (!s.ok()) return s;
  absl::StatusOr<InstructionType> t = ReadInstructionType(body, kAnswer);
  if (!t.ok()) return t.status();
  if (*t != InstructionType::kCertificateEnrolment && *t != InstructionType::kRemoteManagement) {
    return absl::InvalidArgumentError(
        "field \"enrolmentAnswer.instructionType\" must be \"certificateEnrolment\" or "
        "\"remoteManagement\" in a URI instruction");
  }
  absl::StatusOr<std::string> uri = ReadUri(body, kAnswer, "uri");
  if (!uri.ok()) return uri.status();
  return UriInstruction{*t, std::move(*uri)};
}

absl::StatusOr<json> SerializeUriInstruction(const UriInstruction& instruction) {
  if (instruction.type != InstructionType::kCertificateEnrolment &&
      instruction.type != InstructionType::kRemoteManagement) {
    return absl::InvalidArgumentError(
        "a URI instruction is certificateEnrolment or remoteManagement");
  }
  absl::Status s = CheckUri(instruction.uri, kAnswer, "uri");
  if (!s.ok()) return s;
  json out = json::object();
  out["instructionType"] = std::string(InstructionTypeName(instruction.type));
  out["uri"] = instruction.uri;
  return out;
}

json EndOfExchangeAnswer() {
  json out = json::object();
  out["instructionType"] = std::string(InstructionTypeName(InstructionType::kEnd));
  return out;
}

absl::Status CheckEndOfExchangeAnswer(const json& body) {
  if (body != EndOfExchangeAnswer()) {
    return absl::InvalidArgumentError(
        "the MEF's answer is not {\"instructionType\":\"endOfEnrolmentExchange\"}");
  }
  return absl::OkStatus();
}

}  // namespace exchange
}  // namespace onem2m

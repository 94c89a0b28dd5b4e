#include "common/exchange/enrolment_messages.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "common/exchange/internal/json_fields.h"

namespace onem2m {
namespace exchange {
namespace {

using internal::CheckId;
using internal::ReadId;
using internal::ReadOptionalId;
using internal::RejectUnknownFields;
using internal::RequireObject;
using nlohmann::json;

constexpr absl::string_view kSymmetric = "symmetric";
constexpr absl::string_view kAnswer = "enrolmentAnswer";

// Wire names of Table 8.3.2.1-1 (TS-0003 defines no short names; lowerCamelCase of the table's).
constexpr absl::string_view kCertificateIndication = "certificateEnrolmentIndication";
constexpr absl::string_view kMafIndication = "mafEnrolmentIndication";
constexpr absl::string_view kRemoteManagementIndication = "remoteManagementIndication";

std::string Name(absl::string_view where, absl::string_view field) {
  return where.empty() ? std::string(field) : absl::StrCat(where, ".", field);
}

// ReadOptionalBool: absent -> nullopt; present -> must be a JSON boolean.
absl::StatusOr<std::optional<bool>> ReadOptionalBool(const json& obj, absl::string_view where,
                                                     absl::string_view field) {
  auto it = obj.find(std::string(field));
  if (it == obj.end()) return std::optional<bool>();
  if (!it->is_boolean()) {
    return absl::InvalidArgumentError(absl::StrCat("field \"", Name(where, field),
                                                   "\" must be a boolean, not ", it->type_name()));
  }
  return std::optional<bool>(it->get<bool>());
}

// CheckUri: a URI is 1..kMaxUriLength bytes of printable ASCII without spaces (RFC 3986 has no
// raw spaces or controls); the Enrolee dereferences it, so nothing else is checked here.
absl::Status CheckUri(absl::string_view value, absl::string_view where, absl::string_view field) {
  if (value.empty() || value.size() > kMaxUriLength) {
    return absl::InvalidArgumentError(
        absl::StrCat("field \"", Name(where, field), "\" must be 1..", kMaxUriLength, " bytes"));
  }
  for (char c : value) {
    if (static_cast<unsigned char>(c) <= 0x20 || static_cast<unsigned char>(c) >= 0x7f) {
      return absl::InvalidArgumentError(absl::StrCat("field \"", Name(where, field),
                                                     "\" must be printable ASCII without spaces"));
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<std::optional<std::string>> ReadOptionalUri(const json& obj, absl::string_view where,
                                                           absl::string_view field) {
  auto it = obj.find(std::string(field));
  if (it == obj.end()) return std::optional<std::string>();
  if (!it->is_string()) {
    return absl::InvalidArgumentError(
        absl::StrCat("field \"", Name(where, field), "\" must be a string, not ", it->type_name()));
  }
  std::string s = it->get<std::string>();
  absl::Status st = CheckUri(s, where, field);
  if (!st.ok()) return st;
  return std::optional<std::string>(std::move(s));
}

absl::StatusOr<std::string> ReadUri(const json& obj, absl::string_view where,
                                    absl::string_view field) {
  absl::StatusOr<std::optional<std::string>> s = ReadOptionalUri(obj, where, field);
  if (!s.ok()) return s.status();
  if (!s->has_value()) {
    return absl::InvalidArgumentError(
        absl::StrCat("required field \"", Name(where, field), "\" is missing"));
  }
  return std::move(**s);
}

absl::Status CheckTrustAnchor(absl::string_view pem, absl::string_view where) {
  if (pem.empty() || pem.size() > kMaxTrustAnchorLength) {
    return absl::InvalidArgumentError(absl::StrCat(
        "field \"", where, ".trustAnchors\" entries must be 1..", kMaxTrustAnchorLength, " bytes"));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::vector<std::string>> ReadTrustAnchors(const json& obj,
                                                          absl::string_view where) {
  std::vector<std::string> out;
  auto it = obj.find("trustAnchors");
  if (it == obj.end()) return out;
  if (!it->is_array() || it->size() > kMaxTrustAnchors) {
    return absl::InvalidArgumentError(absl::StrCat("field \"", where,
                                                   ".trustAnchors\" must be an array of at most ",
                                                   kMaxTrustAnchors, " PEM strings"));
  }
  for (const json& e : *it) {
    if (!e.is_string()) {
      return absl::InvalidArgumentError(absl::StrCat(
          "field \"", where, ".trustAnchors\" must hold strings, not ", e.type_name()));
    }
    std::string pem = e.get<std::string>();
    absl::Status s = CheckTrustAnchor(pem, where);
    if (!s.ok()) return s;
    out.push_back(std::move(pem));
  }
  return out;
}

absl::StatusOr<InstructionType> ReadInstructionType(const json& obj, absl::string_view where) {
  absl::StatusOr<std::string> name = ReadId(obj, where, "instructionType");
  if (!name.ok()) return name.status();
  for (InstructionType t : {InstructionType::kCertificateEnrolment, InstructionType::kMafEnrolment,
                            InstructionType::kRemoteManagement, InstructionType::kEnd}) {
    if (*name == InstructionTypeName(t)) return t;
  }
  return absl::InvalidArgumentError(
      absl::StrCat("field \"", Name(where, "instructionType"),
                   "\" must be \"certificateEnrolment\", \"mafEnrolment\", \"remoteManagement\" or "
                   "\"endOfEnrolmentExchange\""));
}

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

absl::StatusOr<json> ParseObject(absl::string_view body) {
  absl::StatusOr<json> root = internal::ParseStrictJson(body);
  if (!root.ok()) return root.status();
  absl::Status s = RequireObject(*root, "");
  if (!s.ok()) return s;
  return root;
}

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

absl::StatusOr<EnrolmentMessage> ParseEnrolmentMessage(absl::string_view body) {
  absl::StatusOr<json> root = ParseObject(body);
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
  absl::StatusOr<json> root = ParseObject(body);
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

absl::StatusOr<EnrolmentResult> ParseEnrolmentResult(absl::string_view body) {
  absl::StatusOr<json> root = ParseObject(body);
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

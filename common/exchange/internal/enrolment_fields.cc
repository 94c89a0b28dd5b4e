// Field readers and checks shared by the enrolment exchange's schemas; see enrolment_fields.h.
#include "common/exchange/internal/enrolment_fields.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "common/exchange/internal/json_fields.h"

namespace onem2m {
namespace exchange {
namespace internal {
namespace {

using nlohmann::json;

std::string Name(absl::string_view where, absl::string_view field) {
  return where.empty() ? std::string(field) : absl::StrCat(where, ".", field);
}

}  // namespace

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

absl::StatusOr<json> ParseTopLevelObject(absl::string_view body) {
  absl::StatusOr<json> root = internal::ParseStrictJson(body);
  if (!root.ok()) return root.status();
  absl::Status s = RequireObject(*root, "");
  if (!s.ok()) return s;
  return root;
}

}  // namespace internal
}  // namespace exchange
}  // namespace onem2m

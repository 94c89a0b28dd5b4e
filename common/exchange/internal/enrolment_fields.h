// File: common/exchange/internal/enrolment_fields.h
//
// Field readers and checks shared by the enrolment exchange's schemas (enrolment_messages.h): the
// Enrolee's messages (enrolment_request_messages.cc: requests and results) and the MEF's
// (enrolment_answer_messages.cc: answers, URI instructions, end of exchange) read the same
// booleans, URIs, trust anchors and instruction types, with errors naming the field as
// "where.field" (just "field" when `where` is empty), like json_fields.h.
#ifndef ONEM2M_COMMON_EXCHANGE_INTERNAL_ENROLMENT_FIELDS_H_
#define ONEM2M_COMMON_EXCHANGE_INTERNAL_ENROLMENT_FIELDS_H_

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "common/exchange/enrolment_messages.h"

namespace onem2m {
namespace exchange {
namespace internal {

// The top-level name of the MEF's answers in errors.
inline constexpr absl::string_view kAnswer = "enrolmentAnswer";

// ParseTopLevelObject parses a body as one strict JSON object.
absl::StatusOr<nlohmann::json> ParseTopLevelObject(absl::string_view body);

// ReadOptionalBool: absent -> nullopt; present -> must be a JSON boolean.
absl::StatusOr<std::optional<bool>> ReadOptionalBool(const nlohmann::json& obj,
                                                     absl::string_view where,
                                                     absl::string_view field);

// CheckUri: a URI is 1..kMaxUriLength bytes of printable ASCII without spaces (RFC 3986 has no
// raw spaces or controls); the Enrolee dereferences it, so nothing else is checked here.
absl::Status CheckUri(absl::string_view value, absl::string_view where, absl::string_view field);
absl::StatusOr<std::optional<std::string>> ReadOptionalUri(const nlohmann::json& obj,
                                                           absl::string_view where,
                                                           absl::string_view field);
absl::StatusOr<std::string> ReadUri(const nlohmann::json& obj, absl::string_view where,
                                    absl::string_view field);

// Trust anchors are PEM strings of 1..kMaxTrustAnchorLength bytes, at most kMaxTrustAnchors.
absl::Status CheckTrustAnchor(absl::string_view pem, absl::string_view where);
absl::StatusOr<std::vector<std::string>> ReadTrustAnchors(const nlohmann::json& obj,
                                                          absl::string_view where);

// ReadInstructionType reads "instructionType" as one of InstructionTypeName's names.
absl::StatusOr<InstructionType> ReadInstructionType(const nlohmann::json& obj,
                                                    absl::string_view where);

}  // namespace internal
}  // namespace exchange
}  // namespace onem2m

#endif  // ONEM2M_COMMON_EXCHANGE_INTERNAL_ENROLMENT_FIELDS_H_

// File: common/exchange/enrolment_messages.h
//
// JSON schemas of the MEF enrolment exchange (PROTOCOL.md 4, TS-0003 8.3.2.1 and Table 8.3.2.1-2).
// Strict: unknown fields, wrong types, missing required fields and duplicate keys are refused with
// an error naming the field. See docs/exchange.md for examples.
//
//   // MEF (server):
//   absl::StatusOr<EnrolmentRequest> req = ParseEnrolmentRequest(request.body);
//   if (!req.ok()) return ErrorResponse(req.status());
//   if (req->type != EnrolmentType::kMaf) return ErrorResponse(kRscNotImplemented, "...");
//   absl::StatusOr<nlohmann::json> body = SerializeEnrolmentAnswer(answer);
//   // Enrolee (client):
//   absl::StatusOr<std::string> text = SerializeEnrolmentRequest({EnrolmentType::kMaf, {}});
//   absl::StatusOr<EnrolmentAnswer> answer = ParseEnrolmentAnswer(response.body);
#ifndef ONEM2M_COMMON_EXCHANGE_ENROLMENT_MESSAGES_H_
#define ONEM2M_COMMON_EXCHANGE_ENROLMENT_MESSAGES_H_

#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace onem2m {
namespace exchange {

// EnrolmentType is the Enrolee's indication (Table 8.3.2.1-2). Only kMaf is served; the MEF
// answers the others with RSC 5001.
enum class EnrolmentType { kMaf, kCertificate, kRemoteManagement };

// Wire names: "maf", "certificate", "remoteManagement".
absl::string_view EnrolmentTypeName(EnrolmentType type);

// {"enrolment": {"type": "maf", "enroleeId": "C-device-1"}}
struct EnrolmentRequest {
  EnrolmentType type = EnrolmentType::kMaf;
  // enrolee_id is the Enrolee-ID the device is configured with, if any; the MEF compares it with
  // the provisioned one and refuses a mismatch (4103).
  std::optional<std::string> enrolee_id;
};

// {"credentialType": "symmetric", "enroleeId", "mafId", "mafUri"?, "keId", "expirationTime"}
struct EnrolmentAnswer {
  std::string enrolee_id;
  std::string maf_id;
  std::optional<std::string> maf_uri;
  std::string ke_id;
  absl::Time expiration_time;  // sent as m2m:timestamp YYYYMMDDThhmmss (UTC)
};

absl::StatusOr<EnrolmentRequest> ParseEnrolmentRequest(absl::string_view body);
absl::StatusOr<std::string> SerializeEnrolmentRequest(const EnrolmentRequest& request);

// ParseEnrolmentAnswer also requires credentialType to be "symmetric".
absl::StatusOr<EnrolmentAnswer> ParseEnrolmentAnswer(const nlohmann::json& body);
absl::StatusOr<nlohmann::json> SerializeEnrolmentAnswer(const EnrolmentAnswer& answer);

}  // namespace exchange
}  // namespace onem2m

#endif  // ONEM2M_COMMON_EXCHANGE_ENROLMENT_MESSAGES_H_

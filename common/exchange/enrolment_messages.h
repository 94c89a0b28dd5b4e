// File: common/exchange/enrolment_messages.h
//
// JSON schemas of the MEF enrolment exchange (docs/protocol.md 4, TS-0003 V3.18 clause 8.3.2.1,
// Tables 8.3.2.1-1 .. -4). Strict: unknown fields, wrong types, missing required fields and
// duplicate keys are refused with an error naming the field. Wire names and examples:
// docs/exchange.md "Enrolment".
//
// Every message of one exchange goes to POST /enrolment on the same secured session:
//   1. Enrolee -> MEF: the enrolment request, either Table 8.3.2.1-1's three indications (the full
//      form) or the project's short form {"enrolment": {"type": "maf"}}.
//   2. MEF -> Enrolee: the MAF-enrolment instruction (Table 8.3.2.1-3, full form) or the short
//      answer; Tables 8.3.2.1-2 / -4 (certificate / remote-management instructions) are modelled
//      for the Enrolee's benefit, never sent by this MEF.
//   3. Enrolee -> MEF (optional): the result once MAF Client Registration is done (the clause's
//      "message to the MEF indicating success").
//   4. MEF -> Enrolee: end of the enrolment exchange; the MEF then closes the session.
//
//   // MEF (server):
//   absl::StatusOr<EnrolmentMessage> m = ParseEnrolmentMessage(request.body);
//   if (auto* req = std::get_if<EnrolmentRequest>(&*m)) { ... SerializeEnrolmentAnswer(answer) }
//   // Enrolee (client):
//   absl::StatusOr<std::string> text = SerializeEnrolmentRequest(EnrolmentRequest::Full(...));
//   absl::StatusOr<EnrolmentAnswer> answer = ParseEnrolmentAnswer(response.body);
#ifndef ONEM2M_COMMON_EXCHANGE_ENROLMENT_MESSAGES_H_
#define ONEM2M_COMMON_EXCHANGE_ENROLMENT_MESSAGES_H_

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace onem2m {
namespace exchange {

// EnrolmentType is the short form's one-field indication. Only kMaf is served; the MEF answers
// the others with RSC 5001.
enum class EnrolmentType { kMaf, kCertificate, kRemoteManagement };

// Wire names: "maf", "certificate", "remoteManagement".
absl::string_view EnrolmentTypeName(EnrolmentType type);

// EnrolmentIndications is Table 8.3.2.1-1: whether the Enrolee is prepared to execute each
// procedure if the MEF instructs it to. Wire: "certificateEnrolmentIndication",
// "mafEnrolmentIndication", "remoteManagementIndication" (booleans; an absent one is false, at
// least one must be present).
struct EnrolmentIndications {
  bool certificate = false;
  bool maf = false;
  bool remote_management = false;
};

// EnrolmentRequest is message 1.
//   short form: {"enrolment": {"type": "maf", "enroleeId": "C-device-1"}}
//   full form:  {"certificateEnrolmentIndication": false, "mafEnrolmentIndication": true,
//                "remoteManagementIndication": false, "enroleeId": "C-device-1"}
struct EnrolmentRequest {
  // type is the short form's indication; ignored when `indications` is set.
  EnrolmentType type = EnrolmentType::kMaf;
  // enrolee_id is the Enrolee-ID the device is configured with, if any (a project addition); the
  // MEF compares it with the provisioned one and refuses a mismatch (4103).
  std::optional<std::string> enrolee_id;
  // indications is set for the full form (Table 8.3.2.1-1).
  std::optional<EnrolmentIndications> indications;

  // WantsMaf: the Enrolee accepts MAF enrolment, the only instruction this MEF gives.
  bool WantsMaf() const { return indications ? indications->maf : type == EnrolmentType::kMaf; }
};

// InstructionType is Tables 8.3.2.1-2 .. -4's "Instruction Type", plus the end of the exchange.
// Wire names: "certificateEnrolment", "mafEnrolment", "remoteManagement", "endOfEnrolmentExchange".
enum class InstructionType { kCertificateEnrolment, kMafEnrolment, kRemoteManagement, kEnd };

absl::string_view InstructionTypeName(InstructionType type);

// MafUris are Table 8.3.2.1-3's MAF URIs.
struct MafUris {
  std::string key_registration;                    // "mafKeyRegistrationUri", required
  std::string key_retrieval;                       // "mafKeyRetrievalUri", required
  std::optional<std::string> client_registration;  // "mafClientRegistrationUri", optional
};

// EnrolmentAnswer is message 2 for MAF enrolment.
//   short form: {"credentialType": "symmetric", "enroleeId", "mafId", "mafUri"?, "keId",
//                "expirationTime"}
//   full form (Table 8.3.2.1-3): {"instructionType": "mafEnrolment", "credentialType": "symmetric",
//                "mafKeyRegistrationUri", "mafKeyRetrievalUri", "mafClientRegistrationUri"?,
//                "trustAnchors"?, "lifetime", "enroleeId", "mafId", "keId"}
// Times are m2m:timestamp (FormatM2mTime), whole seconds. "lifetime" is the time the symmetric key
// shared with the MAF expires: the enrolment's expiry (TS-0003 10.7), like "expirationTime".
struct EnrolmentAnswer {
  std::string enrolee_id;
  std::string maf_id;
  std::optional<std::string> maf_uri;  // short form only
  std::string ke_id;
  absl::Time expiration_time;  // sent as m2m:timestamp YYYYMMDDThhmmss (UTC)
  // maf_uris is set for the full form; unset, the answer is the short form.
  std::optional<MafUris> maf_uris;
  // trust_anchors (full form, optional): PEM CA certificates for the MAF's certificate. This MEF
  // provisions symmetric credentials only and sends none.
  std::vector<std::string> trust_anchors;
};

// UriInstruction is Table 8.3.2.1-2 (certificate enrolment) or -4 (remote management server):
// {"instructionType": "certificateEnrolment" | "remoteManagement", "uri": "..."}.
struct UriInstruction {
  InstructionType type = InstructionType::kCertificateEnrolment;
  std::string uri;
};

// EnrolmentResult is message 3: {"instructionType": "mafEnrolment", "status": true}. "status" is
// named after the Status parameter of Table 8.3.2.1-5, the clause's other true/false outcome.
struct EnrolmentResult {
  InstructionType instruction = InstructionType::kMafEnrolment;
  bool status = true;
};

// EnrolmentMessage is what the Enrolee may send to POST /enrolment.
using EnrolmentMessage = std::variant<EnrolmentRequest, EnrolmentResult>;

// ParseEnrolmentMessage tells message 1 from message 3 by "instructionType" and parses it.
absl::StatusOr<EnrolmentMessage> ParseEnrolmentMessage(absl::string_view body);

// ParseEnrolmentRequest accepts both forms of message 1 (not message 3).
absl::StatusOr<EnrolmentRequest> ParseEnrolmentRequest(absl::string_view body);
absl::StatusOr<std::string> SerializeEnrolmentRequest(const EnrolmentRequest& request);

// PeekInstructionType returns the answer's instruction type, or nullopt for the short form.
absl::StatusOr<std::optional<InstructionType>> PeekInstructionType(const nlohmann::json& body);

// ParseEnrolmentAnswer accepts both forms and requires credentialType "symmetric". A full-form
// answer with another instruction type is kUnimplemented (see ParseUriInstruction).
absl::StatusOr<EnrolmentAnswer> ParseEnrolmentAnswer(const nlohmann::json& body);
// SerializeEnrolmentAnswer writes the full form when answer.maf_uris is set, else the short form.
absl::StatusOr<nlohmann::json> SerializeEnrolmentAnswer(const EnrolmentAnswer& answer);

absl::StatusOr<UriInstruction> ParseUriInstruction(const nlohmann::json& body);
absl::StatusOr<nlohmann::json> SerializeUriInstruction(const UriInstruction& instruction);

absl::StatusOr<EnrolmentResult> ParseEnrolmentResult(absl::string_view body);
absl::StatusOr<std::string> SerializeEnrolmentResult(const EnrolmentResult& result);

// The end-of-exchange answer (message 4): {"instructionType": "endOfEnrolmentExchange"}, RSC 2000.
nlohmann::json EndOfExchangeAnswer();
// CheckEndOfExchangeAnswer is OK only for exactly that body.
absl::Status CheckEndOfExchangeAnswer(const nlohmann::json& body);

// Bounds on the URIs and trust anchors read and written.
inline constexpr size_t kMaxUriLength = 4096;
inline constexpr size_t kMaxTrustAnchors = 8;
inline constexpr size_t kMaxTrustAnchorLength = 16 * 1024;

}  // namespace exchange
}  // namespace onem2m

#endif  // ONEM2M_COMMON_EXCHANGE_ENROLMENT_MESSAGES_H_

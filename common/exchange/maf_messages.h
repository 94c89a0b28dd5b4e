// File: common/exchange/maf_messages.h
//
// JSON schemas of the MAF Security Framework messages (TS-0003 8.8.2.3, 8.8.2.7-8.8.2.10;
// PROTOCOL.md 7). Request parsers take the raw body (server side); answer parsers take the JSON a
// client got in Response::body. Strict: unknown fields, wrong types, missing required fields and
// duplicate keys are refused with an error naming the field. Times are TS-0004 m2m:timestamp
// YYYYMMDDThhmmss (UTC, no zone; fractions accepted on input, see json_fields.h); key values
// are padded base64 of 16..64 bytes. See docs/exchange.md for examples.
//
//   absl::StatusOr<KeyRegistrationRequest> req = ParseKeyRegistrationRequest(request.body);
//   if (!req.ok()) return ErrorResponse(req.status());   // 4000, message names the field
//   ...
//   absl::StatusOr<nlohmann::json> body = SerializeKeyRegistrationAnswer({key_id, expiry});
//   return Response{kRscCreated, *body};
//
// WARNING: the JSON text or object that carries a keyValue (key registration request, key
// retrieval answer) is not wiped by these functions; callers drop it promptly.
#ifndef ONEM2M_COMMON_EXCHANGE_MAF_MESSAGES_H_
#define ONEM2M_COMMON_EXCHANGE_MAF_MESSAGES_H_

#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "common/secret_bytes.h"

namespace onem2m {
namespace exchange {

inline constexpr size_t kMaxTargetIds = 32;
inline constexpr int kMinSuid = 1;
inline constexpr int kMaxSuid = 99;

// 8.8.2.3 MAF Client Registration. Request: {} or {"expirationTime": "..."} (a requested expiry;
// the MAF caps it at the Enrolee's Km expiry). The client is identified by the TLS-PSK session.
struct ClientRegistrationRequest {
  std::optional<absl::Time> expiration_time;
};
// {"mafClientRegID", "mafClientID" (= Enrolee-ID), "expirationTime", "assignedSymmKeyID" (= KmID)}
struct ClientRegistrationAnswer {
  std::string maf_client_reg_id;
  std::string maf_client_id;
  absl::Time expiration_time;
  std::string assigned_symm_key_id;
};

// 8.8.2.7 Key Registration: {"targetIDs": [..1..32], "suid": 1..99, "expirationTime"?,
// "keyValue"?}. Without keyValue both sides export the key from the session
// (EXPORTER-oneM2M-Connection).
struct KeyRegistrationRequest {
  std::vector<std::string> target_ids;
  int suid = 0;
  std::optional<absl::Time> expiration_time;
  std::optional<SecretBytes> key_value;
};
// {"keyID", "expirationTime"}; also the answer to Key Registration Update.
struct KeyRegistrationAnswer {
  std::string key_id;
  absl::Time expiration_time;
};
using KeyUpdateAnswer = KeyRegistrationAnswer;

// 8.8.2.8 Key Retrieval: {"keyID"} -> {"keyValue", "suid", "expirationTime"}.
struct KeyRetrievalRequest {
  std::string key_id;
};
struct KeyRetrievalAnswer {
  SecretBytes key_value;
  int suid = 0;
  absl::Time expiration_time;
};

// 8.8.2.9 Key Registration Update: {"keyID", "targetIDs"?, "expirationTime"?}, at least one of
// the optional fields.
struct KeyUpdateRequest {
  std::string key_id;
  std::optional<std::vector<std::string>> target_ids;
  std::optional<absl::Time> expiration_time;
};

// 8.8.2.10 De-Registration: exactly one of {"mafClientRegID"} (the client and all its keys) or
// {"keyID"} (one key). The answer has no body (RSC 2002).
struct DeregistrationRequest {
  std::optional<std::string> maf_client_reg_id;
  std::optional<std::string> key_id;
};

absl::StatusOr<ClientRegistrationRequest> ParseClientRegistrationRequest(absl::string_view body);
absl::StatusOr<std::string> SerializeClientRegistrationRequest(
    const ClientRegistrationRequest& request);
absl::StatusOr<ClientRegistrationAnswer> ParseClientRegistrationAnswer(const nlohmann::json& body);
absl::StatusOr<nlohmann::json> SerializeClientRegistrationAnswer(
    const ClientRegistrationAnswer& answer);

absl::StatusOr<KeyRegistrationRequest> ParseKeyRegistrationRequest(absl::string_view body);
absl::StatusOr<std::string> SerializeKeyRegistrationRequest(const KeyRegistrationRequest& request);
absl::StatusOr<KeyRegistrationAnswer> ParseKeyRegistrationAnswer(const nlohmann::json& body);
absl::StatusOr<nlohmann::json> SerializeKeyRegistrationAnswer(const KeyRegistrationAnswer& answer);

absl::StatusOr<KeyRetrievalRequest> ParseKeyRetrievalRequest(absl::string_view body);
absl::StatusOr<std::string> SerializeKeyRetrievalRequest(const KeyRetrievalRequest& request);
absl::StatusOr<KeyRetrievalAnswer> ParseKeyRetrievalAnswer(const nlohmann::json& body);
absl::StatusOr<nlohmann::json> SerializeKeyRetrievalAnswer(const KeyRetrievalAnswer& answer);

absl::StatusOr<KeyUpdateRequest> ParseKeyUpdateRequest(absl::string_view body);
absl::StatusOr<std::string> SerializeKeyUpdateRequest(const KeyUpdateRequest& request);

absl::StatusOr<DeregistrationRequest> ParseDeregistrationRequest(absl::string_view body);
absl::StatusOr<std::string> SerializeDeregistrationRequest(const DeregistrationRequest& request);

}  // namespace exchange
}  // namespace onem2m

#endif  // ONEM2M_COMMON_EXCHANGE_MAF_MESSAGES_H_

// File: common/exchange/maf_messages.h
//
// JSON schemas of the MAF Security Framework messages, one struct per table of TS-0003 V3.18
// clause 8.8.2 (8.8.2.3 .. 8.8.2.10; docs/protocol.md 7). Each struct names its table; each field
// carries the table's parameter with the table's multiplicity. The JSON member names, and the
// choices made where a table names a parameter with spaces ("MAF-FQDN" -> "mafFQDN", "Source MAF
// Client ID" -> "sourceMafClientID", "Key Value" -> "keyValue", "SUID" -> "suid",
// "RelativeKeyID" -> "relativeKeyID"), are listed in docs/exchange.md 5.
//
// Request parsers take the raw body (server side); answer parsers take the JSON a client got in
// Response::body. Strict: unknown fields, wrong types, missing mandatory parameters and duplicate
// keys are refused with an error naming the field. Times are TS-0004 m2m:timestamp
// (internal::FormatM2mTime); key values are padded base64 of 16..64 bytes; labels are TS-0004
// m2m:labels (a list of 1..kMaxLabels xs:token strings).
//
//   absl::StatusOr<KeyRegistrationRequest> req = ParseKeyRegistrationRequest(request.body);
//   if (!req.ok()) return ErrorResponse(req.status());   // 4000, message names the field
//   ...
//   absl::StatusOr<nlohmann::json> body = SerializeKeyRegistrationAnswer(answer);
//   return Response{kRscCreated, *body};
//
// Checks that need the MAF's configuration (mafFQDN and adminFQDN equal to this MAF's, the
// RelativeKeyID's form) are the procedures' (maf/procedures/); the parsers check shape and range.
//
// WARNING: the JSON text or object that carries a keyValue (key registration request, key
// retrieval answer) is not wiped by these functions; callers drop it promptly.
#ifndef ONEM2M_COMMON_EXCHANGE_MAF_MESSAGES_H_
#define ONEM2M_COMMON_EXCHANGE_MAF_MESSAGES_H_

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "common/secret_bytes.h"

namespace onem2m {
namespace exchange {

inline constexpr size_t kMaxTargetIds = 32;
inline constexpr size_t kMaxLabels = 32;
// TS-0004 Table 6.3.4.2.39-1 (m2m:suid): 32..35 are the MAF-distributed symmetric keys (SAEF,
// ESPrim, ESData encryption, ESData signature). A MAF registers no other kind.
inline constexpr int kMinMafSuid = 32;
inline constexpr int kMaxMafSuid = 35;

using Labels = std::vector<std::string>;

// KeyRef names a registered key: RelativeKeyID plus MAF-FQDN, as the 8.8.2.8 .. 8.8.2.10 tables
// have them. On the wire that is {"relativeKeyID", "mafFQDN"}; the joined Key Identifier
// (TS-0003 10.3.5: RelativeKeyID '@' MAF-FQDN) is accepted as the alias {"keyID"}.
struct KeyRef {
  std::string relative_key_id;
  std::string maf_fqdn;  // empty when the request carried none (Key Retrieval has no MAF-FQDN)
  // KeyId returns relative_key_id '@' maf_fqdn (or relative_key_id alone without an FQDN).
  std::string KeyId() const;
};

// SplitKeyId splits a Key Identifier at its last '@' (InvalidArgument naming `field` if none).
absl::StatusOr<KeyRef> SplitKeyId(absl::string_view key_id, absl::string_view field = "keyID");

// --- 8.8.2.3 MAF Client Registration ---

// Table 8.8.2.3-1.
struct ClientRegistrationRequest {
  std::string maf_fqdn;          // MAF-FQDN, 1
  absl::Time expiration_time;    // expirationTime, 1 (proposed; the MAF caps it)
  std::optional<Labels> labels;  // labels, 0..1
  std::string admin_fqdn;        // adminFQDN, 1
};
// Table 8.8.2.3-2.
struct ClientRegistrationAnswer {
  std::string maf_client_reg_id;                    // mafClientRegID, 1
  std::optional<Labels> labels;                     // labels, 0..1
  absl::Time expiration_time;                       // expirationTime, 1
  std::string maf_client_id;                        // MAF Client ID ("mafClientID"), 1
  std::string admin_fqdn;                           // adminFQDN, 1
  std::optional<std::string> assigned_symm_key_id;  // assignedSymmKeyID (KmID), 0..1
};

// --- 8.8.2.4 MAF Client Configuration Retrieval ---

// Table 8.8.2.4-1.
struct ClientConfigRetrievalRequest {
  std::string maf_fqdn;           // MAF-FQDN, 1
  std::string maf_client_reg_id;  // mafClientRegID, 1
};
// The MAF Client Configuration: TS-0003 12.4.2 sec:clientRegCfg (Table 12.4.2-1), the data type
// of mafClientRegCfg (8.8.3.2).
struct MafClientConfig {
  std::optional<absl::Time> expiration_time;  // expirationTime, 0..1
  std::optional<Labels> labels;               // labels, 0..1
  std::string fqdn;                           // fqdn (MAF-FQDN), 1
  std::string admin_fqdn;                     // adminFQDN, 1
  std::optional<int> http_port;               // httpPort, 0..1
  std::optional<int> coap_port;               // coapPort, 0..1
  std::optional<int> websocket_port;          // websocketPort, 0..1
};
// Table 8.8.2.4-2: {"mafClientCfg": {...}}.
struct ClientConfigRetrievalAnswer {
  MafClientConfig maf_client_cfg;  // mafClientCfg, 1
};

// --- 8.8.2.5 MAF Client Registration Update ---

// Table 8.8.2.5-1: at least one of expirationTime and labels.
struct ClientRegistrationUpdateRequest {
  std::string maf_fqdn;                       // MAF-FQDN, 1
  std::string maf_client_reg_id;              // mafClientRegID, 1
  std::optional<absl::Time> expiration_time;  // expirationTime, 0..1
  std::optional<Labels> labels;               // labels, 0..1
};
// Table 8.8.2.5-2: expirationTime and labels only when the request carried them (its NOTE).
struct ClientRegistrationUpdateAnswer {
  std::optional<absl::Time> expiration_time;        // 0..1
  std::optional<Labels> labels;                     // 0..1
  std::optional<std::string> assigned_symm_key_id;  // 0..1 (only for a new Km)
};

// --- 8.8.2.6 MAF Client De-Registration ---

// Table 8.8.2.6-1. The answer has no body (RSC 2002).
struct ClientDeregistrationRequest {
  std::string maf_fqdn;           // MAF-FQDN, 1
  std::string maf_client_reg_id;  // mafClientRegID, 1
};

// --- 8.8.2.7 MAF Key Registration ---

// Table 8.8.2.7-1. Without keyValue both sides export the key from the session
// (EXPORTER-oneM2M-Connection, TS-0003 10.3.1).
struct KeyRegistrationRequest {
  std::string maf_fqdn;                                // MAF-FQDN, 1
  absl::Time expiration_time;                          // expirationTime, 1
  std::optional<Labels> labels;                        // labels, 0..1
  std::string admin_fqdn;                              // adminFQDN, 1
  int suid = 0;                                        // SUID, 1 (32..35)
  std::optional<std::vector<std::string>> target_ids;  // targetIDs, 0..1
  std::optional<SecretBytes> key_value;                // Key Value, 0..1
};
// Table 8.8.2.7-2. The Key Identifier is relative_key_id '@' MAF-FQDN (10.3.5).
struct KeyRegistrationAnswer {
  std::string relative_key_id;          // RelativeKeyID, 1
  absl::Time expiration_time;           // expirationTime, 1
  std::string source_maf_client_id;     // Source MAF Client ID, 1
  std::optional<Labels> labels;         // labels, 0..1
  std::string admin_fqdn;               // adminFQDN, 1
  int suid = 0;                         // SUID, 1
  std::vector<std::string> target_ids;  // targetIDs, 1
};

// --- 8.8.2.8 MAF Key Retrieval ---

// Table 8.8.2.8-1: {"relativeKeyID"} (the table has no MAF-FQDN), or the alias {"keyID"}.
struct KeyRetrievalRequest {
  KeyRef key;
};
// Table 8.8.2.8-2.
struct KeyRetrievalAnswer {
  absl::Time expiration_time;        // expirationTime, 1
  std::string source_maf_client_id;  // Source MAF Client ID, 1
  std::optional<Labels> labels;      // labels, 0..1
  std::string admin_fqdn;            // adminFQDN, 1
  int suid = 0;                      // SUID, 1
  SecretBytes key_value;             // Key Value, 1
};

// --- 8.8.2.9 MAF Key Registration Update ---

// Table 8.8.2.9-1: {"mafFQDN", "relativeKeyID"} or the alias {"keyID"}; at least one of
// expirationTime, labels and targetIDs.
struct KeyUpdateRequest {
  KeyRef key;
  std::optional<absl::Time> expiration_time;           // 0..1
  std::optional<Labels> labels;                        // 0..1
  std::optional<std::vector<std::string>> target_ids;  // 0..1
};
// Table 8.8.2.9-2: only the parameters the request carried (its NOTE).
struct KeyUpdateAnswer {
  std::optional<absl::Time> expiration_time;
  std::optional<Labels> labels;
  std::optional<std::vector<std::string>> target_ids;
};

// --- 8.8.2.10 MAF Key De-Registration ---

// Table 8.8.2.10-1: {"mafFQDN", "relativeKeyID"} or the alias {"keyID"}. No answer body (2002).
struct KeyDeregistrationRequest {
  KeyRef key;
};

// --- The project's earlier combined de-registration (POST /maf/deregistration), kept as an
// alias: exactly one of {"mafClientRegID"} (8.8.2.6) or {"keyID"} (8.8.2.10). ---
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

absl::StatusOr<ClientConfigRetrievalRequest> ParseClientConfigRetrievalRequest(
    absl::string_view body);
absl::StatusOr<std::string> SerializeClientConfigRetrievalRequest(
    const ClientConfigRetrievalRequest& request);
absl::StatusOr<ClientConfigRetrievalAnswer> ParseClientConfigRetrievalAnswer(
    const nlohmann::json& body);
absl::StatusOr<nlohmann::json> SerializeClientConfigRetrievalAnswer(
    const ClientConfigRetrievalAnswer& answer);

absl::StatusOr<ClientRegistrationUpdateRequest> ParseClientRegistrationUpdateRequest(
    absl::string_view body);
absl::StatusOr<std::string> SerializeClientRegistrationUpdateRequest(
    const ClientRegistrationUpdateRequest& request);
absl::StatusOr<ClientRegistrationUpdateAnswer> ParseClientRegistrationUpdateAnswer(
    const nlohmann::json& body);
absl::StatusOr<nlohmann::json> SerializeClientRegistrationUpdateAnswer(
    const ClientRegistrationUpdateAnswer& answer);

absl::StatusOr<ClientDeregistrationRequest> ParseClientDeregistrationRequest(
    absl::string_view body);
absl::StatusOr<std::string> SerializeClientDeregistrationRequest(
    const ClientDeregistrationRequest& request);

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
absl::StatusOr<KeyUpdateAnswer> ParseKeyUpdateAnswer(const nlohmann::json& body);
absl::StatusOr<nlohmann::json> SerializeKeyUpdateAnswer(const KeyUpdateAnswer& answer);

absl::StatusOr<KeyDeregistrationRequest> ParseKeyDeregistrationRequest(absl::string_view body);
absl::StatusOr<std::string> SerializeKeyDeregistrationRequest(
    const KeyDeregistrationRequest& request);

absl::StatusOr<DeregistrationRequest> ParseDeregistrationRequest(absl::string_view body);
absl::StatusOr<std::string> SerializeDeregistrationRequest(const DeregistrationRequest& request);

}  // namespace exchange
}  // namespace onem2m

#endif  // ONEM2M_COMMON_EXCHANGE_MAF_MESSAGES_H_

#include "common/exchange/maf_messages.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "common/exchange/internal/json_fields.h"

namespace onem2m {
namespace exchange {
namespace {

using nlohmann::json;
namespace in = internal;

absl::StatusOr<json> ParseObject(absl::string_view body, absl::string_view where,
                                 std::initializer_list<absl::string_view> allowed) {
  absl::StatusOr<json> j = in::ParseStrictJson(body);
  if (!j.ok()) return j.status();
  absl::Status s = in::RejectUnknownFields(*j, where, allowed);
  if (!s.ok()) return s;
  return j;
}

absl::Status CheckObject(const json& j, absl::string_view where,
                         std::initializer_list<absl::string_view> allowed) {
  absl::Status s = in::RequireObject(j, where);
  if (!s.ok()) return s;
  return in::RejectUnknownFields(j, where, allowed);
}

absl::Status CheckIds(const std::vector<std::string>& ids, absl::string_view where,
                      absl::string_view field) {
  if (ids.empty() || ids.size() > kMaxTargetIds) {
    return absl::InvalidArgumentError(
        absl::StrCat("field \"", where, ".", field, "\" must have 1..", kMaxTargetIds, " entries"));
  }
  for (const std::string& id : ids) {
    absl::Status s = in::CheckId(id, where, field);
    if (!s.ok()) return s;
  }
  return absl::OkStatus();
}

absl::Status CheckSuid(int suid, absl::string_view where) {
  if (suid < kMinSuid || suid > kMaxSuid) {
    return absl::InvalidArgumentError(
        absl::StrCat("field \"", where, ".suid\" must be in ", kMinSuid, "..", kMaxSuid));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::optional<std::vector<std::string>>> ReadOptionalIdList(
    const json& j, absl::string_view where, absl::string_view field) {
  if (!j.contains(std::string(field))) return std::optional<std::vector<std::string>>();
  absl::StatusOr<std::vector<std::string>> ids = in::ReadIdList(j, where, field, 1, kMaxTargetIds);
  if (!ids.ok()) return ids.status();
  return std::optional<std::vector<std::string>>(std::move(*ids));
}

}  // namespace

// --- 8.8.2.3 Client Registration ---

absl::StatusOr<ClientRegistrationRequest> ParseClientRegistrationRequest(absl::string_view body) {
  constexpr absl::string_view kWhere = "clientRegistration";
  absl::StatusOr<json> j = ParseObject(body, kWhere, {"expirationTime"});
  if (!j.ok()) return j.status();
  ClientRegistrationRequest out;
  absl::StatusOr<std::optional<absl::Time>> t = in::ReadOptionalTime(*j, kWhere, "expirationTime");
  if (!t.ok()) return t.status();
  out.expiration_time = *t;
  return out;
}

absl::StatusOr<std::string> SerializeClientRegistrationRequest(
    const ClientRegistrationRequest& request) {
  json j = json::object();
  if (request.expiration_time) j["expirationTime"] = in::FormatM2mTime(*request.expiration_time);
  return in::DumpJson(j);
}

absl::StatusOr<ClientRegistrationAnswer> ParseClientRegistrationAnswer(const json& body) {
  constexpr absl::string_view kWhere = "clientRegistrationAnswer";
  absl::Status s = CheckObject(
      body, kWhere, {"mafClientRegID", "mafClientID", "expirationTime", "assignedSymmKeyID"});
  if (!s.ok()) return s;
  ClientRegistrationAnswer out;
  absl::StatusOr<std::string> reg = in::ReadId(body, kWhere, "mafClientRegID");
  if (!reg.ok()) return reg.status();
  out.maf_client_reg_id = std::move(*reg);
  absl::StatusOr<std::string> client = in::ReadId(body, kWhere, "mafClientID");
  if (!client.ok()) return client.status();
  out.maf_client_id = std::move(*client);
  absl::StatusOr<absl::Time> t = in::ReadTime(body, kWhere, "expirationTime");
  if (!t.ok()) return t.status();
  out.expiration_time = *t;
  absl::StatusOr<std::string> km = in::ReadId(body, kWhere, "assignedSymmKeyID");
  if (!km.ok()) return km.status();
  out.assigned_symm_key_id = std::move(*km);
  return out;
}

absl::StatusOr<json> SerializeClientRegistrationAnswer(const ClientRegistrationAnswer& answer) {
  constexpr absl::string_view kWhere = "clientRegistrationAnswer";
  absl::Status s = in::CheckId(answer.maf_client_reg_id, kWhere, "mafClientRegID");
  if (s.ok()) s = in::CheckId(answer.maf_client_id, kWhere, "mafClientID");
  if (s.ok()) s = in::CheckId(answer.assigned_symm_key_id, kWhere, "assignedSymmKeyID");
  if (!s.ok()) return s;
  json j = json::object();
  j["mafClientRegID"] = answer.maf_client_reg_id;
  j["mafClientID"] = answer.maf_client_id;
  j["expirationTime"] = in::FormatM2mTime(answer.expiration_time);
  j["assignedSymmKeyID"] = answer.assigned_symm_key_id;
  return j;
}

// --- 8.8.2.7 Key Registration ---

absl::StatusOr<KeyRegistrationRequest> ParseKeyRegistrationRequest(absl::string_view body) {
  constexpr absl::string_view kWhere = "keyRegistration";
  absl::StatusOr<json> j =
      ParseObject(body, kWhere, {"targetIDs", "suid", "expirationTime", "keyValue"});
  if (!j.ok()) return j.status();
  KeyRegistrationRequest out;
  absl::StatusOr<std::vector<std::string>> ids =
      in::ReadIdList(*j, kWhere, "targetIDs", 1, kMaxTargetIds);
  if (!ids.ok()) return ids.status();
  out.target_ids = std::move(*ids);
  absl::StatusOr<int64_t> suid = in::ReadInt(*j, kWhere, "suid", kMinSuid, kMaxSuid);
  if (!suid.ok()) return suid.status();
  out.suid = static_cast<int>(*suid);
  absl::StatusOr<std::optional<absl::Time>> t = in::ReadOptionalTime(*j, kWhere, "expirationTime");
  if (!t.ok()) return t.status();
  out.expiration_time = *t;
  if (j->contains("keyValue")) {
    absl::StatusOr<SecretBytes> key = in::ReadKey(*j, kWhere, "keyValue");
    if (!key.ok()) return key.status();
    out.key_value = std::move(*key);
  }
  return out;
}

absl::StatusOr<std::string> SerializeKeyRegistrationRequest(const KeyRegistrationRequest& request) {
  constexpr absl::string_view kWhere = "keyRegistration";
  absl::Status s = CheckIds(request.target_ids, kWhere, "targetIDs");
  if (s.ok()) s = CheckSuid(request.suid, kWhere);
  if (s.ok() && request.key_value) s = in::CheckKey(*request.key_value, kWhere, "keyValue");
  if (!s.ok()) return s;
  json j = json::object();
  j["targetIDs"] = request.target_ids;
  j["suid"] = request.suid;
  if (request.expiration_time) j["expirationTime"] = in::FormatM2mTime(*request.expiration_time);
  if (request.key_value) j["keyValue"] = in::EncodeKey(*request.key_value);
  return in::DumpJson(j);
}

absl::StatusOr<KeyRegistrationAnswer> ParseKeyRegistrationAnswer(const json& body) {
  constexpr absl::string_view kWhere = "keyRegistrationAnswer";
  absl::Status s = CheckObject(body, kWhere, {"keyID", "expirationTime"});
  if (!s.ok()) return s;
  KeyRegistrationAnswer out;
  absl::StatusOr<std::string> id = in::ReadId(body, kWhere, "keyID");
  if (!id.ok()) return id.status();
  out.key_id = std::move(*id);
  absl::StatusOr<absl::Time> t = in::ReadTime(body, kWhere, "expirationTime");
  if (!t.ok()) return t.status();
  out.expiration_time = *t;
  return out;
}

absl::StatusOr<json> SerializeKeyRegistrationAnswer(const KeyRegistrationAnswer& answer) {
  absl::Status s = in::CheckId(answer.key_id, "keyRegistrationAnswer", "keyID");
  if (!s.ok()) return s;
  json j = json::object();
  j["keyID"] = answer.key_id;
  j["expirationTime"] = in::FormatM2mTime(answer.expiration_time);
  return j;
}

// --- 8.8.2.8 Key Retrieval ---

absl::StatusOr<KeyRetrievalRequest> ParseKeyRetrievalRequest(absl::string_view body) {
  constexpr absl::string_view kWhere = "keyRetrieval";
  absl::StatusOr<json> j = ParseObject(body, kWhere, {"keyID"});
  if (!j.ok()) return j.status();
  absl::StatusOr<std::string> id = in::ReadId(*j, kWhere, "keyID");
  if (!id.ok()) return id.status();
  return KeyRetrievalRequest{std::move(*id)};
}

absl::StatusOr<std::string> SerializeKeyRetrievalRequest(const KeyRetrievalRequest& request) {
  absl::Status s = in::CheckId(request.key_id, "keyRetrieval", "keyID");
  if (!s.ok()) return s;
  json j = json::object();
  j["keyID"] = request.key_id;
  return in::DumpJson(j);
}

absl::StatusOr<KeyRetrievalAnswer> ParseKeyRetrievalAnswer(const json& body) {
  constexpr absl::string_view kWhere = "keyRetrievalAnswer";
  absl::Status s = CheckObject(body, kWhere, {"keyValue", "suid", "expirationTime"});
  if (!s.ok()) return s;
  KeyRetrievalAnswer out;
  absl::StatusOr<SecretBytes> key = in::ReadKey(body, kWhere, "keyValue");
  if (!key.ok()) return key.status();
  out.key_value = std::move(*key);
  absl::StatusOr<int64_t> suid = in::ReadInt(body, kWhere, "suid", kMinSuid, kMaxSuid);
  if (!suid.ok()) return suid.status();
  out.suid = static_cast<int>(*suid);
  absl::StatusOr<absl::Time> t = in::ReadTime(body, kWhere, "expirationTime");
  if (!t.ok()) return t.status();
  out.expiration_time = *t;
  return out;
}

absl::StatusOr<json> SerializeKeyRetrievalAnswer(const KeyRetrievalAnswer& answer) {
  constexpr absl::string_view kWhere = "keyRetrievalAnswer";
  absl::Status s = in::CheckKey(answer.key_value, kWhere, "keyValue");
  if (s.ok()) s = CheckSuid(answer.suid, kWhere);
  if (!s.ok()) return s;
  json j = json::object();
  j["keyValue"] = in::EncodeKey(answer.key_value);
  j["suid"] = answer.suid;
  j["expirationTime"] = in::FormatM2mTime(answer.expiration_time);
  return j;
}

// --- 8.8.2.9 Key Registration Update ---

absl::StatusOr<KeyUpdateRequest> ParseKeyUpdateRequest(absl::string_view body) {
  constexpr absl::string_view kWhere = "keyUpdate";
  absl::StatusOr<json> j = ParseObject(body, kWhere, {"keyID", "targetIDs", "expirationTime"});
  if (!j.ok()) return j.status();
  KeyUpdateRequest out;
  absl::StatusOr<std::string> id = in::ReadId(*j, kWhere, "keyID");
  if (!id.ok()) return id.status();
  out.key_id = std::move(*id);
  absl::StatusOr<std::optional<std::vector<std::string>>> ids =
      ReadOptionalIdList(*j, kWhere, "targetIDs");
  if (!ids.ok()) return ids.status();
  out.target_ids = std::move(*ids);
  absl::StatusOr<std::optional<absl::Time>> t = in::ReadOptionalTime(*j, kWhere, "expirationTime");
  if (!t.ok()) return t.status();
  out.expiration_time = *t;
  if (!out.target_ids && !out.expiration_time) {
    return absl::InvalidArgumentError(
        "keyUpdate needs at least one of \"targetIDs\" and \"expirationTime\"");
  }
  return out;
}

absl::StatusOr<std::string> SerializeKeyUpdateRequest(const KeyUpdateRequest& request) {
  constexpr absl::string_view kWhere = "keyUpdate";
  absl::Status s = in::CheckId(request.key_id, kWhere, "keyID");
  if (s.ok() && request.target_ids) s = CheckIds(*request.target_ids, kWhere, "targetIDs");
  if (s.ok() && !request.target_ids && !request.expiration_time) {
    s = absl::InvalidArgumentError(
        "keyUpdate needs at least one of \"targetIDs\" and \"expirationTime\"");
  }
  if (!s.ok()) return s;
  json j = json::object();
  j["keyID"] = request.key_id;
  if (request.target_ids) j["targetIDs"] = *request.target_ids;
  if (request.expiration_time) j["expirationTime"] = in::FormatM2mTime(*request.expiration_time);
  return in::DumpJson(j);
}

// --- 8.8.2.10 De-Registration ---

absl::StatusOr<DeregistrationRequest> ParseDeregistrationRequest(absl::string_view body) {
  constexpr absl::string_view kWhere = "deregistration";
  absl::StatusOr<json> j = ParseObject(body, kWhere, {"mafClientRegID", "keyID"});
  if (!j.ok()) return j.status();
  DeregistrationRequest out;
  absl::StatusOr<std::optional<std::string>> reg = in::ReadOptionalId(*j, kWhere, "mafClientRegID");
  if (!reg.ok()) return reg.status();
  out.maf_client_reg_id = std::move(*reg);
  absl::StatusOr<std::optional<std::string>> key = in::ReadOptionalId(*j, kWhere, "keyID");
  if (!key.ok()) return key.status();
  out.key_id = std::move(*key);
  if (out.maf_client_reg_id.has_value() == out.key_id.has_value()) {
    return absl::InvalidArgumentError(
        "deregistration needs exactly one of \"mafClientRegID\" and \"keyID\"");
  }
  return out;
}

absl::StatusOr<std::string> SerializeDeregistrationRequest(const DeregistrationRequest& request) {
  constexpr absl::string_view kWhere = "deregistration";
  if (request.maf_client_reg_id.has_value() == request.key_id.has_value()) {
    return absl::InvalidArgumentError(
        "deregistration needs exactly one of \"mafClientRegID\" and \"keyID\"");
  }
  json j = json::object();
  if (request.maf_client_reg_id) {
    absl::Status s = in::CheckId(*request.maf_client_reg_id, kWhere, "mafClientRegID");
    if (!s.ok()) return s;
    j["mafClientRegID"] = *request.maf_client_reg_id;
  } else {
    absl::Status s = in::CheckId(*request.key_id, kWhere, "keyID");
    if (!s.ok()) return s;
    j["keyID"] = *request.key_id;
  }
  return in::DumpJson(j);
}

}  // namespace exchange
}  // namespace onem2m

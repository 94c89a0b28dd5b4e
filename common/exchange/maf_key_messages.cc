// The key procedures of the MAF Security Framework (TS-0003 8.8.2.7 .. 8.8.2.10; docs/protocol.md
// 7): key registration, retrieval, registration update and de-registration, the combined
// de-registration alias, and the joined Key Identifier (RelativeKeyID '@' MAF-FQDN). The schemas
// are declared in maf_messages.h; the shared field checks are internal/maf_fields.h.
#include <utility>

#include "absl/strings/str_cat.h"
#include "common/exchange/internal/json_fields.h"
#include "common/exchange/internal/maf_fields.h"
#include "common/exchange/maf_messages.h"

namespace onem2m {
namespace exchange {

using nlohmann::json;
namespace in = internal;
using internal::CheckFqdn;
using internal::CheckIds;
using internal::CheckObject;
using internal::CheckOptionalLabels;
using internal::CheckRelative;
using internal::CheckSuid;
using internal::Has;
using internal::ParseObject;
using internal::PutLabels;
using internal::ReadFqdnInto;
using internal::ReadIdInto;
using internal::ReadKeyRef;
using internal::ReadLabelsInto;
using internal::ReadOptionalIdList;
using internal::ReadOptionalTimeInto;
using internal::ReadSuid;
using internal::ReadTimeInto;
using internal::WriteKeyRef;

std::string KeyRef::KeyId() const {
  return maf_fqdn.empty() ? relative_key_id : absl::StrCat(relative_key_id, "@", maf_fqdn);
}

absl::StatusOr<KeyRef> SplitKeyId(absl::string_view key_id, absl::string_view field) {
  const size_t at = key_id.rfind('@');
  if (at == absl::string_view::npos || at == 0 || at + 1 == key_id.size()) {
    return absl::InvalidArgumentError(
        absl::StrCat("field \"", field, "\" must be RelativeKeyID@MAF-FQDN"));
  }
  return KeyRef{std::string(key_id.substr(0, at)), std::string(key_id.substr(at + 1))};
}
// --- 8.8.2.7 Key Registration (Tables 8.8.2.7-1, 8.8.2.7-2) ---

absl::StatusOr<KeyRegistrationRequest> ParseKeyRegistrationRequest(absl::string_view body) {
  constexpr absl::string_view kWhere = "keyRegistration";
  absl::StatusOr<json> j = ParseObject(
      body, kWhere,
      {"mafFQDN", "expirationTime", "labels", "adminFQDN", "suid", "targetIDs", "keyValue"});
  if (!j.ok()) return j.status();
  KeyRegistrationRequest out;
  absl::Status s = ReadFqdnInto(*j, kWhere, "mafFQDN", &out.maf_fqdn);
  if (s.ok()) s = ReadTimeInto(*j, kWhere, &out.expiration_time);
  if (s.ok()) s = ReadLabelsInto(*j, kWhere, &out.labels);
  if (s.ok()) s = ReadFqdnInto(*j, kWhere, "adminFQDN", &out.admin_fqdn);
  if (!s.ok()) return s;
  absl::StatusOr<int> suid = ReadSuid(*j, kWhere);
  if (!suid.ok()) return suid.status();
  out.suid = *suid;
  absl::StatusOr<std::optional<std::vector<std::string>>> ids =
      ReadOptionalIdList(*j, kWhere, "targetIDs");
  if (!ids.ok()) return ids.status();
  out.target_ids = std::move(*ids);
  if (Has(*j, "keyValue")) {
    absl::StatusOr<SecretBytes> key = in::ReadKey(*j, kWhere, "keyValue");
    if (!key.ok()) return key.status();
    out.key_value = std::move(*key);
  }
  return out;
}

absl::StatusOr<std::string> SerializeKeyRegistrationRequest(const KeyRegistrationRequest& request) {
  constexpr absl::string_view kWhere = "keyRegistration";
  absl::Status s = CheckFqdn(request.maf_fqdn, kWhere, "mafFQDN");
  if (s.ok()) s = CheckOptionalLabels(request.labels, kWhere);
  if (s.ok()) s = CheckFqdn(request.admin_fqdn, kWhere, "adminFQDN");
  if (s.ok()) s = CheckSuid(request.suid, kWhere);
  if (s.ok() && request.target_ids) s = CheckIds(*request.target_ids, kWhere, "targetIDs");
  if (s.ok() && request.key_value) s = in::CheckKey(*request.key_value, kWhere, "keyValue");
  if (!s.ok()) return s;
  json j = json::object();
  j["mafFQDN"] = request.maf_fqdn;
  j["expirationTime"] = in::FormatM2mTime(request.expiration_time);
  PutLabels(request.labels, &j);
  j["adminFQDN"] = request.admin_fqdn;
  j["suid"] = request.suid;
  if (request.target_ids) j["targetIDs"] = *request.target_ids;
  if (request.key_value) j["keyValue"] = in::EncodeKey(*request.key_value);
  return in::DumpJson(j);
}

absl::StatusOr<KeyRegistrationAnswer> ParseKeyRegistrationAnswer(const json& body) {
  constexpr absl::string_view kWhere = "keyRegistrationAnswer";
  absl::Status s = CheckObject(body, kWhere,
                               {"relativeKeyID", "expirationTime", "sourceMafClientID", "labels",
                                "adminFQDN", "suid", "targetIDs"});
  if (!s.ok()) return s;
  KeyRegistrationAnswer out;
  s = ReadIdInto(body, kWhere, "relativeKeyID", &out.relative_key_id);
  if (s.ok()) s = CheckRelative(out.relative_key_id, kWhere);
  if (s.ok()) s = ReadTimeInto(body, kWhere, &out.expiration_time);
  if (s.ok()) s = ReadIdInto(body, kWhere, "sourceMafClientID", &out.source_maf_client_id);
  if (s.ok()) s = ReadLabelsInto(body, kWhere, &out.labels);
  if (s.ok()) s = ReadFqdnInto(body, kWhere, "adminFQDN", &out.admin_fqdn);
  if (!s.ok()) return s;
  absl::StatusOr<int> suid = ReadSuid(body, kWhere);
  if (!suid.ok()) return suid.status();
  out.suid = *suid;
  absl::StatusOr<std::vector<std::string>> ids =
      in::ReadIdList(body, kWhere, "targetIDs", 1, kMaxTargetIds);
  if (!ids.ok()) return ids.status();
  out.target_ids = std::move(*ids);
  return out;
}

absl::StatusOr<json> SerializeKeyRegistrationAnswer(const KeyRegistrationAnswer& answer) {
  constexpr absl::string_view kWhere = "keyRegistrationAnswer";
  absl::Status s = CheckRelative(answer.relative_key_id, kWhere);
  if (s.ok()) s = in::CheckId(answer.source_maf_client_id, kWhere, "sourceMafClientID");
  if (s.ok()) s = CheckOptionalLabels(answer.labels, kWhere);
  if (s.ok()) s = CheckFqdn(answer.admin_fqdn, kWhere, "adminFQDN");
  if (s.ok()) s = CheckSuid(answer.suid, kWhere);
  if (s.ok()) s = CheckIds(answer.target_ids, kWhere, "targetIDs");
  if (!s.ok()) return s;
  json j = json::object();
  j["relativeKeyID"] = answer.relative_key_id;
  j["expirationTime"] = in::FormatM2mTime(answer.expiration_time);
  j["sourceMafClientID"] = answer.source_maf_client_id;
  PutLabels(answer.labels, &j);
  j["adminFQDN"] = answer.admin_fqdn;
  j["suid"] = answer.suid;
  j["targetIDs"] = answer.target_ids;
  return j;
}

// --- 8.8.2.8 Key Retrieval (Tables 8.8.2.8-1, 8.8.2.8-2) ---

absl::StatusOr<KeyRetrievalRequest> ParseKeyRetrievalRequest(absl::string_view body) {
  constexpr absl::string_view kWhere = "keyRetrieval";
  // Table 8.8.2.8-1 has RelativeKeyID only; "keyID" is the joined alias.
  absl::StatusOr<json> j = ParseObject(body, kWhere, {"relativeKeyID", "keyID"});
  if (!j.ok()) return j.status();
  absl::StatusOr<KeyRef> ref = ReadKeyRef(*j, kWhere, /*fqdn_required=*/false);
  if (!ref.ok()) return ref.status();
  return KeyRetrievalRequest{std::move(*ref)};
}

absl::StatusOr<std::string> SerializeKeyRetrievalRequest(const KeyRetrievalRequest& request) {
  json j = json::object();
  absl::Status s = WriteKeyRef(request.key, "keyRetrieval", /*with_fqdn=*/false, &j);
  if (!s.ok()) return s;
  return in::DumpJson(j);
}

absl::StatusOr<KeyRetrievalAnswer> ParseKeyRetrievalAnswer(const json& body) {
  constexpr absl::string_view kWhere = "keyRetrievalAnswer";
  absl::Status s = CheckObject(
      body, kWhere,
      {"expirationTime", "sourceMafClientID", "labels", "adminFQDN", "suid", "keyValue"});
  if (!s.ok()) return s;
  KeyRetrievalAnswer out;
  s = ReadTimeInto(body, kWhere, &out.expiration_time);
  if (s.ok()) s = ReadIdInto(body, kWhere, "sourceMafClientID", &out.source_maf_client_id);
  if (s.ok()) s = ReadLabelsInto(body, kWhere, &out.labels);
  if (s.ok()) s = ReadFqdnInto(body, kWhere, "adminFQDN", &out.admin_fqdn);
  if (!s.ok()) return s;
  absl::StatusOr<int> suid = ReadSuid(body, kWhere);
  if (!suid.ok()) return suid.status();
  out.suid = *suid;
  absl::StatusOr<SecretBytes> key = in::ReadKey(body, kWhere, "keyValue");
  if (!key.ok()) return key.status();
  out.key_value = std::move(*key);
  return out;
}

absl::StatusOr<json> SerializeKeyRetrievalAnswer(const KeyRetrievalAnswer& answer) {
  constexpr absl::string_view kWhere = "keyRetrievalAnswer";
  absl::Status s = in::CheckId(answer.source_maf_client_id, kWhere, "sourceMafClientID");
  if (s.ok()) s = CheckOptionalLabels(answer.labels, kWhere);
  if (s.ok()) s = CheckFqdn(answer.admin_fqdn, kWhere, "adminFQDN");
  if (s.ok()) s = CheckSuid(answer.suid, kWhere);
  if (s.ok()) s = in::CheckKey(answer.key_value, kWhere, "keyValue");
  if (!s.ok()) return s;
  json j = json::object();
  j["expirationTime"] = in::FormatM2mTime(answer.expiration_time);
  j["sourceMafClientID"] = answer.source_maf_client_id;
  PutLabels(answer.labels, &j);
  j["adminFQDN"] = answer.admin_fqdn;
  j["suid"] = answer.suid;
  j["keyValue"] = in::EncodeKey(answer.key_value);
  return j;
}

// --- 8.8.2.9 Key Registration Update (Tables 8.8.2.9-1, 8.8.2.9-2) ---

absl::StatusOr<KeyUpdateRequest> ParseKeyUpdateRequest(absl::string_view body) {
  constexpr absl::string_view kWhere = "keyUpdate";
  absl::StatusOr<json> j = ParseObject(
      body, kWhere, {"mafFQDN", "relativeKeyID", "keyID", "expirationTime", "labels", "targetIDs"});
  if (!j.ok()) return j.status();
  KeyUpdateRequest out;
  absl::StatusOr<KeyRef> ref = ReadKeyRef(*j, kWhere, /*fqdn_required=*/true);
  if (!ref.ok()) return ref.status();
  out.key = std::move(*ref);
  absl::Status s = ReadOptionalTimeInto(*j, kWhere, &out.expiration_time);
  if (s.ok()) s = ReadLabelsInto(*j, kWhere, &out.labels);
  if (!s.ok()) return s;
  absl::StatusOr<std::optional<std::vector<std::string>>> ids =
      ReadOptionalIdList(*j, kWhere, "targetIDs");
  if (!ids.ok()) return ids.status();
  out.target_ids = std::move(*ids);
  if (!out.expiration_time && !out.labels && !out.target_ids) {
    return absl::InvalidArgumentError(
        "keyUpdate needs at least one of \"expirationTime\", \"labels\" and \"targetIDs\" "
        "(Table 8.8.2.9-1)");
  }
  return out;
}

absl::StatusOr<std::string> SerializeKeyUpdateRequest(const KeyUpdateRequest& request) {
  constexpr absl::string_view kWhere = "keyUpdate";
  json j = json::object();
  absl::Status s = WriteKeyRef(request.key, kWhere, /*with_fqdn=*/true, &j);
  if (s.ok()) s = CheckOptionalLabels(request.labels, kWhere);
  if (s.ok() && request.target_ids) s = CheckIds(*request.target_ids, kWhere, "targetIDs");
  if (s.ok() && !request.expiration_time && !request.labels && !request.target_ids) {
    s = absl::InvalidArgumentError(
        "keyUpdate needs at least one of \"expirationTime\", \"labels\" and \"targetIDs\"");
  }
  if (!s.ok()) return s;
  if (request.expiration_time) j["expirationTime"] = in::FormatM2mTime(*request.expiration_time);
  PutLabels(request.labels, &j);
  if (request.target_ids) j["targetIDs"] = *request.target_ids;
  return in::DumpJson(j);
}

absl::StatusOr<KeyUpdateAnswer> ParseKeyUpdateAnswer(const json& body) {
  constexpr absl::string_view kWhere = "keyUpdateAnswer";
  absl::Status s = CheckObject(body, kWhere, {"expirationTime", "labels", "targetIDs"});
  if (!s.ok()) return s;
  KeyUpdateAnswer out;
  s = ReadOptionalTimeInto(body, kWhere, &out.expiration_time);
  if (s.ok()) s = ReadLabelsInto(body, kWhere, &out.labels);
  if (!s.ok()) return s;
  absl::StatusOr<std::optional<std::vector<std::string>>> ids =
      ReadOptionalIdList(body, kWhere, "targetIDs");
  if (!ids.ok()) return ids.status();
  out.target_ids = std::move(*ids);
  return out;
}

absl::StatusOr<json> SerializeKeyUpdateAnswer(const KeyUpdateAnswer& answer) {
  constexpr absl::string_view kWhere = "keyUpdateAnswer";
  absl::Status s = CheckOptionalLabels(answer.labels, kWhere);
  if (s.ok() && answer.target_ids) s = CheckIds(*answer.target_ids, kWhere, "targetIDs");
  if (!s.ok()) return s;
  json j = json::object();
  if (answer.expiration_time) j["expirationTime"] = in::FormatM2mTime(*answer.expiration_time);
  PutLabels(answer.labels, &j);
  if (answer.target_ids) j["targetIDs"] = *answer.target_ids;
  return j;
}

// --- 8.8.2.10 Key De-Registration (Table 8.8.2.10-1) ---

absl::StatusOr<KeyDeregistrationRequest> ParseKeyDeregistrationRequest(absl::string_view body) {
  constexpr absl::string_view kWhere = "keyDeregistration";
  absl::StatusOr<json> j = ParseObject(body, kWhere, {"mafFQDN", "relativeKeyID", "keyID"});
  if (!j.ok()) return j.status();
  absl::StatusOr<KeyRef> ref = ReadKeyRef(*j, kWhere, /*fqdn_required=*/true);
  if (!ref.ok()) return ref.status();
  return KeyDeregistrationRequest{std::move(*ref)};
}

absl::StatusOr<std::string> SerializeKeyDeregistrationRequest(
    const KeyDeregistrationRequest& request) {
  json j = json::object();
  absl::Status s = WriteKeyRef(request.key, "keyDeregistration", /*with_fqdn=*/true, &j);
  if (!s.ok()) return s;
  return in::DumpJson(j);
}

// --- The combined de-registration alias (POST /maf/deregistration) ---

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

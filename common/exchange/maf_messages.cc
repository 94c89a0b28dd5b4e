#include "common/exchange/maf_messages.h"

#include <cstdint>
#include <utility>

#include "absl/strings/str_cat.h"
#include "common/exchange/internal/json_fields.h"

namespace onem2m {
namespace exchange {
namespace {

using nlohmann::json;
namespace in = internal;

absl::Status Invalid(absl::string_view where, absl::string_view field, absl::string_view what) {
  return absl::InvalidArgumentError(absl::StrCat("field \"", where, ".", field, "\" ", what));
}

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

bool Has(const json& j, absl::string_view field) { return j.contains(std::string(field)); }

// --- identifiers, lists and labels ---

absl::Status CheckIds(const std::vector<std::string>& ids, absl::string_view where,
                      absl::string_view field) {
  if (ids.empty() || ids.size() > kMaxTargetIds) {
    return Invalid(where, field, absl::StrCat("must have 1..", kMaxTargetIds, " entries"));
  }
  for (const std::string& id : ids) {
    absl::Status s = in::CheckId(id, where, field);
    if (!s.ok()) return s;
  }
  return absl::OkStatus();
}

absl::StatusOr<std::optional<std::vector<std::string>>> ReadOptionalIdList(
    const json& j, absl::string_view where, absl::string_view field) {
  if (!Has(j, field)) return std::optional<std::vector<std::string>>();
  absl::StatusOr<std::vector<std::string>> ids = in::ReadIdList(j, where, field, 1, kMaxTargetIds);
  if (!ids.ok()) return ids.status();
  return std::optional<std::vector<std::string>>(std::move(*ids));
}

// CheckToken applies TS-0004 xs:token (6.3.2): no leading, trailing or doubled spaces (control
// characters are refused by CheckId already).
absl::Status CheckToken(const std::string& label, absl::string_view where) {
  if (label.front() == ' ' || label.back() == ' ' || label.find("  ") != std::string::npos) {
    return Invalid(where, "labels",
                   "entries must be xs:token: no leading, trailing or repeated spaces");
  }
  return absl::OkStatus();
}

absl::Status CheckLabels(const Labels& labels, absl::string_view where) {
  if (labels.empty() || labels.size() > kMaxLabels) {
    return Invalid(where, "labels", absl::StrCat("must have 1..", kMaxLabels, " entries"));
  }
  for (const std::string& l : labels) {
    absl::Status s = in::CheckId(l, where, "labels");
    if (s.ok()) s = CheckToken(l, where);
    if (!s.ok()) return s;
  }
  return absl::OkStatus();
}

// ReadOptionalLabels reads m2m:labels (TS-0004 Table 6.3.3-1): a list of at least one xs:token.
absl::StatusOr<std::optional<Labels>> ReadOptionalLabels(const json& j, absl::string_view where) {
  if (!Has(j, "labels")) return std::optional<Labels>();
  absl::StatusOr<std::vector<std::string>> l = in::ReadIdList(j, where, "labels", 1, kMaxLabels);
  if (!l.ok()) return l.status();
  for (const std::string& label : *l) {
    absl::Status s = CheckToken(label, where);
    if (!s.ok()) return s;
  }
  return std::optional<Labels>(std::move(*l));
}

// ReadFqdn reads an FQDN parameter (mafFQDN, adminFQDN, fqdn): an identifier without '@'.
absl::StatusOr<std::string> ReadFqdn(const json& j, absl::string_view where,
                                     absl::string_view field) {
  absl::StatusOr<std::string> v = in::ReadId(j, where, field);
  if (!v.ok()) return v.status();
  if (v->find_first_of("@ /") != std::string::npos) {
    return Invalid(where, field, "must be an FQDN");
  }
  return v;
}

absl::Status CheckFqdn(const std::string& v, absl::string_view where, absl::string_view field) {
  absl::Status s = in::CheckId(v, where, field);
  if (s.ok() && v.find_first_of("@ /") != std::string::npos) {
    s = Invalid(where, field, "must be an FQDN");
  }
  return s;
}

// --- SUID ---

absl::Status CheckSuid(int64_t suid, absl::string_view where) {
  if (suid < kMinMafSuid || suid > kMaxMafSuid) {
    return Invalid(where, "suid",
                   absl::StrCat("must be ", kMinMafSuid, "..", kMaxMafSuid,
                                " (a MAF-distributed symmetric key, TS-0004 Table 6.3.4.2.39-1); "
                                "got ",
                                suid));
  }
  return absl::OkStatus();
}

absl::StatusOr<int> ReadSuid(const json& j, absl::string_view where) {
  absl::StatusOr<int64_t> suid = in::ReadInt(j, where, "suid", INT32_MIN, INT32_MAX);
  if (!suid.ok()) return suid.status();
  absl::Status s = CheckSuid(*suid, where);
  if (!s.ok()) return s;
  return static_cast<int>(*suid);
}

absl::StatusOr<std::optional<int>> ReadOptionalPort(const json& j, absl::string_view where,
                                                    absl::string_view field) {
  if (!Has(j, field)) return std::optional<int>();
  absl::StatusOr<int64_t> p = in::ReadInt(j, where, field, 1, 65535);
  if (!p.ok()) return p.status();
  return std::optional<int>(static_cast<int>(*p));
}

// --- key references (RelativeKeyID + MAF-FQDN, or the joined alias) ---

absl::Status CheckRelative(const std::string& rel, absl::string_view where) {
  absl::Status s = in::CheckId(rel, where, "relativeKeyID");
  if (s.ok() && rel.find('@') != std::string::npos) {
    s = Invalid(where, "relativeKeyID", "must not contain '@' (use \"keyID\" for the joined form)");
  }
  return s;
}

// ReadKeyRef reads {"relativeKeyID", "mafFQDN"} (mafFQDN mandatory when `fqdn_required`, and only
// allowed by the caller's field list when the table has it) or the alias {"keyID"}, whose FQDN
// must then agree with a "mafFQDN" sent beside it.
absl::StatusOr<KeyRef> ReadKeyRef(const json& j, absl::string_view where, bool fqdn_required) {
  const bool joined = Has(j, "keyID");
  if (joined && Has(j, "relativeKeyID")) {
    return absl::InvalidArgumentError(
        absl::StrCat(where, " needs one of \"relativeKeyID\" and \"keyID\", not both"));
  }
  std::optional<std::string> fqdn;
  if (Has(j, "mafFQDN")) {
    absl::StatusOr<std::string> f = ReadFqdn(j, where, "mafFQDN");
    if (!f.ok()) return f.status();
    fqdn = std::move(*f);
  }
  if (joined) {
    absl::StatusOr<std::string> id = in::ReadId(j, where, "keyID");
    if (!id.ok()) return id.status();
    absl::StatusOr<KeyRef> ref = SplitKeyId(*id, absl::StrCat(where, ".keyID"));
    if (!ref.ok()) return ref.status();
    if (fqdn.has_value() && *fqdn != ref->maf_fqdn) {
      return Invalid(where, "mafFQDN", "differs from the FQDN of \"keyID\"");
    }
    return ref;
  }
  if (!Has(j, "relativeKeyID")) {
    return absl::InvalidArgumentError(
        absl::StrCat("field \"", where, ".relativeKeyID\" is missing"));
  }
  absl::StatusOr<std::string> rel = in::ReadId(j, where, "relativeKeyID");
  if (!rel.ok()) return rel.status();
  absl::Status s = CheckRelative(*rel, where);
  if (!s.ok()) return s;
  if (fqdn_required && !fqdn.has_value()) {
    return absl::InvalidArgumentError(absl::StrCat("field \"", where, ".mafFQDN\" is missing"));
  }
  return KeyRef{std::move(*rel), fqdn.value_or("")};
}

// WriteKeyRef writes the tables' form: relativeKeyID, plus mafFQDN when `with_fqdn`.
absl::Status WriteKeyRef(const KeyRef& ref, absl::string_view where, bool with_fqdn, json* j) {
  absl::Status s = CheckRelative(ref.relative_key_id, where);
  if (s.ok() && with_fqdn) s = CheckFqdn(ref.maf_fqdn, where, "mafFQDN");
  if (!s.ok()) return s;
  (*j)["relativeKeyID"] = ref.relative_key_id;
  if (with_fqdn) (*j)["mafFQDN"] = ref.maf_fqdn;
  return absl::OkStatus();
}

absl::Status ReadOptionalTimeInto(const json& j, absl::string_view where,
                                  std::optional<absl::Time>* out) {
  absl::StatusOr<std::optional<absl::Time>> t = in::ReadOptionalTime(j, where, "expirationTime");
  if (!t.ok()) return t.status();
  *out = *t;
  return absl::OkStatus();
}

absl::Status ReadTimeInto(const json& j, absl::string_view where, absl::Time* out) {
  absl::StatusOr<absl::Time> t = in::ReadTime(j, where, "expirationTime");
  if (!t.ok()) return t.status();
  *out = *t;
  return absl::OkStatus();
}

absl::Status ReadLabelsInto(const json& j, absl::string_view where, std::optional<Labels>* out) {
  absl::StatusOr<std::optional<Labels>> l = ReadOptionalLabels(j, where);
  if (!l.ok()) return l.status();
  *out = std::move(*l);
  return absl::OkStatus();
}

absl::Status ReadIdInto(const json& j, absl::string_view where, absl::string_view field,
                        std::string* out) {
  absl::StatusOr<std::string> v = in::ReadId(j, where, field);
  if (!v.ok()) return v.status();
  *out = std::move(*v);
  return absl::OkStatus();
}

absl::Status ReadFqdnInto(const json& j, absl::string_view where, absl::string_view field,
                          std::string* out) {
  absl::StatusOr<std::string> v = ReadFqdn(j, where, field);
  if (!v.ok()) return v.status();
  *out = std::move(*v);
  return absl::OkStatus();
}

void PutLabels(const std::optional<Labels>& labels, json* j) {
  if (labels.has_value()) (*j)["labels"] = *labels;
}

absl::Status CheckOptionalLabels(const std::optional<Labels>& labels, absl::string_view where) {
  return labels.has_value() ? CheckLabels(*labels, where) : absl::OkStatus();
}

// Tables 8.8.2.4-1 and 8.8.2.6-1 carry the same two parameters, MAF-FQDN and mafClientRegID: one
// reader and one writer serve both requests (`where` names the table's message in errors).
template <typename Request>
absl::StatusOr<Request> ParseRegistrationRef(absl::string_view body, absl::string_view where) {
  absl::StatusOr<json> j = ParseObject(body, where, {"mafFQDN", "mafClientRegID"});
  if (!j.ok()) return j.status();
  Request out;
  absl::Status s = ReadFqdnInto(*j, where, "mafFQDN", &out.maf_fqdn);
  if (s.ok()) s = ReadIdInto(*j, where, "mafClientRegID", &out.maf_client_reg_id);
  if (!s.ok()) return s;
  return out;
}

absl::StatusOr<std::string> SerializeRegistrationRef(const std::string& maf_fqdn,
                                                     const std::string& maf_client_reg_id,
                                                     absl::string_view where) {
  absl::Status s = CheckFqdn(maf_fqdn, where, "mafFQDN");
  if (s.ok()) s = in::CheckId(maf_client_reg_id, where, "mafClientRegID");
  if (!s.ok()) return s;
  json j = json::object();
  j["mafFQDN"] = maf_fqdn;
  j["mafClientRegID"] = maf_client_reg_id;
  return in::DumpJson(j);
}

}  // namespace

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

// --- 8.8.2.3 Client Registration (Tables 8.8.2.3-1, 8.8.2.3-2) ---

absl::StatusOr<ClientRegistrationRequest> ParseClientRegistrationRequest(absl::string_view body) {
  constexpr absl::string_view kWhere = "clientRegistration";
  absl::StatusOr<json> j =
      ParseObject(body, kWhere, {"mafFQDN", "expirationTime", "labels", "adminFQDN"});
  if (!j.ok()) return j.status();
  ClientRegistrationRequest out;
  absl::Status s = ReadFqdnInto(*j, kWhere, "mafFQDN", &out.maf_fqdn);
  if (s.ok()) s = ReadTimeInto(*j, kWhere, &out.expiration_time);
  if (s.ok()) s = ReadLabelsInto(*j, kWhere, &out.labels);
  if (s.ok()) s = ReadFqdnInto(*j, kWhere, "adminFQDN", &out.admin_fqdn);
  if (!s.ok()) return s;
  return out;
}

absl::StatusOr<std::string> SerializeClientRegistrationRequest(
    const ClientRegistrationRequest& request) {
  constexpr absl::string_view kWhere = "clientRegistration";
  absl::Status s = CheckFqdn(request.maf_fqdn, kWhere, "mafFQDN");
  if (s.ok()) s = CheckFqdn(request.admin_fqdn, kWhere, "adminFQDN");
  if (s.ok()) s = CheckOptionalLabels(request.labels, kWhere);
  if (!s.ok()) return s;
  json j = json::object();
  j["mafFQDN"] = request.maf_fqdn;
  j["expirationTime"] = in::FormatM2mTime(request.expiration_time);
  PutLabels(request.labels, &j);
  j["adminFQDN"] = request.admin_fqdn;
  return in::DumpJson(j);
}

absl::StatusOr<ClientRegistrationAnswer> ParseClientRegistrationAnswer(const json& body) {
  constexpr absl::string_view kWhere = "clientRegistrationAnswer";
  absl::Status s = CheckObject(body, kWhere,
                               {"mafClientRegID", "labels", "expirationTime", "mafClientID",
                                "adminFQDN", "assignedSymmKeyID"});
  if (!s.ok()) return s;
  ClientRegistrationAnswer out;
  s = ReadIdInto(body, kWhere, "mafClientRegID", &out.maf_client_reg_id);
  if (s.ok()) s = ReadLabelsInto(body, kWhere, &out.labels);
  if (s.ok()) s = ReadTimeInto(body, kWhere, &out.expiration_time);
  if (s.ok()) s = ReadIdInto(body, kWhere, "mafClientID", &out.maf_client_id);
  if (s.ok()) s = ReadFqdnInto(body, kWhere, "adminFQDN", &out.admin_fqdn);
  if (!s.ok()) return s;
  absl::StatusOr<std::optional<std::string>> km =
      in::ReadOptionalId(body, kWhere, "assignedSymmKeyID");
  if (!km.ok()) return km.status();
  out.assigned_symm_key_id = std::move(*km);
  return out;
}

absl::StatusOr<json> SerializeClientRegistrationAnswer(const ClientRegistrationAnswer& answer) {
  constexpr absl::string_view kWhere = "clientRegistrationAnswer";
  absl::Status s = in::CheckId(answer.maf_client_reg_id, kWhere, "mafClientRegID");
  if (s.ok()) s = CheckOptionalLabels(answer.labels, kWhere);
  if (s.ok()) s = in::CheckId(answer.maf_client_id, kWhere, "mafClientID");
  if (s.ok()) s = CheckFqdn(answer.admin_fqdn, kWhere, "adminFQDN");
  if (s.ok() && answer.assigned_symm_key_id) {
    s = in::CheckId(*answer.assigned_symm_key_id, kWhere, "assignedSymmKeyID");
  }
  if (!s.ok()) return s;
  json j = json::object();
  j["mafClientRegID"] = answer.maf_client_reg_id;
  PutLabels(answer.labels, &j);
  j["expirationTime"] = in::FormatM2mTime(answer.expiration_time);
  j["mafClientID"] = answer.maf_client_id;
  j["adminFQDN"] = answer.admin_fqdn;
  if (answer.assigned_symm_key_id) j["assignedSymmKeyID"] = *answer.assigned_symm_key_id;
  return j;
}

// --- 8.8.2.4 Client Configuration Retrieval (Tables 8.8.2.4-1, 8.8.2.4-2, 12.4.2-1) ---

absl::StatusOr<ClientConfigRetrievalRequest> ParseClientConfigRetrievalRequest(
    absl::string_view body) {
  return ParseRegistrationRef<ClientConfigRetrievalRequest>(body, "clientConfigRetrieval");
}

absl::StatusOr<std::string> SerializeClientConfigRetrievalRequest(
    const ClientConfigRetrievalRequest& request) {
  return SerializeRegistrationRef(request.maf_fqdn, request.maf_client_reg_id,
                                  "clientConfigRetrieval");
}

absl::StatusOr<ClientConfigRetrievalAnswer> ParseClientConfigRetrievalAnswer(const json& body) {
  constexpr absl::string_view kWhere = "clientConfigRetrievalAnswer";
  absl::Status s = CheckObject(body, kWhere, {"mafClientCfg"});
  if (!s.ok()) return s;
  if (!Has(body, "mafClientCfg")) {
    return absl::InvalidArgumentError(
        absl::StrCat("field \"", kWhere, ".mafClientCfg\" is missing"));
  }
  const json& cfg = body["mafClientCfg"];
  constexpr absl::string_view kCfg = "mafClientCfg";
  s = CheckObject(
      cfg, kCfg,
      {"expirationTime", "labels", "fqdn", "adminFQDN", "httpPort", "coapPort", "websocketPort"});
  if (!s.ok()) return s;
  ClientConfigRetrievalAnswer out;
  MafClientConfig& c = out.maf_client_cfg;
  s = ReadOptionalTimeInto(cfg, kCfg, &c.expiration_time);
  if (s.ok()) s = ReadLabelsInto(cfg, kCfg, &c.labels);
  if (s.ok()) s = ReadFqdnInto(cfg, kCfg, "fqdn", &c.fqdn);
  if (s.ok()) s = ReadFqdnInto(cfg, kCfg, "adminFQDN", &c.admin_fqdn);
  if (!s.ok()) return s;
  for (auto [field, port] :
       {std::pair<absl::string_view, std::optional<int>*>{"httpPort", &c.http_port},
        {"coapPort", &c.coap_port},
        {"websocketPort", &c.websocket_port}}) {
    absl::StatusOr<std::optional<int>> p = ReadOptionalPort(cfg, kCfg, field);
    if (!p.ok()) return p.status();
    *port = *p;
  }
  return out;
}

absl::StatusOr<json> SerializeClientConfigRetrievalAnswer(
    const ClientConfigRetrievalAnswer& answer) {
  constexpr absl::string_view kCfg = "mafClientCfg";
  const MafClientConfig& c = answer.maf_client_cfg;
  absl::Status s = CheckOptionalLabels(c.labels, kCfg);
  if (s.ok()) s = CheckFqdn(c.fqdn, kCfg, "fqdn");
  if (s.ok()) s = CheckFqdn(c.admin_fqdn, kCfg, "adminFQDN");
  if (!s.ok()) return s;
  json cfg = json::object();
  if (c.expiration_time) cfg["expirationTime"] = in::FormatM2mTime(*c.expiration_time);
  PutLabels(c.labels, &cfg);
  cfg["fqdn"] = c.fqdn;
  cfg["adminFQDN"] = c.admin_fqdn;
  for (auto [field, port] :
       {std::pair<const char*, const std::optional<int>*>{"httpPort", &c.http_port},
        {"coapPort", &c.coap_port},
        {"websocketPort", &c.websocket_port}}) {
    if (!port->has_value()) continue;
    if (**port < 1 || **port > 65535) return Invalid(kCfg, field, "must be in 1..65535");
    cfg[field] = **port;
  }
  json j = json::object();
  j["mafClientCfg"] = std::move(cfg);
  return j;
}

// --- 8.8.2.5 Client Registration Update (Tables 8.8.2.5-1, 8.8.2.5-2) ---

absl::StatusOr<ClientRegistrationUpdateRequest> ParseClientRegistrationUpdateRequest(
    absl::string_view body) {
  constexpr absl::string_view kWhere = "clientRegistrationUpdate";
  absl::StatusOr<json> j =
      ParseObject(body, kWhere, {"mafFQDN", "mafClientRegID", "expirationTime", "labels"});
  if (!j.ok()) return j.status();
  ClientRegistrationUpdateRequest out;
  absl::Status s = ReadFqdnInto(*j, kWhere, "mafFQDN", &out.maf_fqdn);
  if (s.ok()) s = ReadIdInto(*j, kWhere, "mafClientRegID", &out.maf_client_reg_id);
  if (s.ok()) s = ReadOptionalTimeInto(*j, kWhere, &out.expiration_time);
  if (s.ok()) s = ReadLabelsInto(*j, kWhere, &out.labels);
  if (!s.ok()) return s;
  if (!out.expiration_time && !out.labels) {
    return absl::InvalidArgumentError(absl::StrCat(
        kWhere, " needs at least one of \"expirationTime\" and \"labels\" (Table 8.8.2.5-1)"));
  }
  return out;
}

absl::StatusOr<std::string> SerializeClientRegistrationUpdateRequest(
    const ClientRegistrationUpdateRequest& request) {
  constexpr absl::string_view kWhere = "clientRegistrationUpdate";
  absl::Status s = CheckFqdn(request.maf_fqdn, kWhere, "mafFQDN");
  if (s.ok()) s = in::CheckId(request.maf_client_reg_id, kWhere, "mafClientRegID");
  if (s.ok()) s = CheckOptionalLabels(request.labels, kWhere);
  if (s.ok() && !request.expiration_time && !request.labels) {
    s = absl::InvalidArgumentError(
        absl::StrCat(kWhere, " needs at least one of \"expirationTime\" and \"labels\""));
  }
  if (!s.ok()) return s;
  json j = json::object();
  j["mafFQDN"] = request.maf_fqdn;
  j["mafClientRegID"] = request.maf_client_reg_id;
  if (request.expiration_time) j["expirationTime"] = in::FormatM2mTime(*request.expiration_time);
  PutLabels(request.labels, &j);
  return in::DumpJson(j);
}

absl::StatusOr<ClientRegistrationUpdateAnswer> ParseClientRegistrationUpdateAnswer(
    const json& body) {
  constexpr absl::string_view kWhere = "clientRegistrationUpdateAnswer";
  absl::Status s = CheckObject(body, kWhere, {"expirationTime", "labels", "assignedSymmKeyID"});
  if (!s.ok()) return s;
  ClientRegistrationUpdateAnswer out;
  s = ReadOptionalTimeInto(body, kWhere, &out.expiration_time);
  if (s.ok()) s = ReadLabelsInto(body, kWhere, &out.labels);
  if (!s.ok()) return s;
  absl::StatusOr<std::optional<std::string>> km =
      in::ReadOptionalId(body, kWhere, "assignedSymmKeyID");
  if (!km.ok()) return km.status();
  out.assigned_symm_key_id = std::move(*km);
  return out;
}

absl::StatusOr<json> SerializeClientRegistrationUpdateAnswer(
    const ClientRegistrationUpdateAnswer& answer) {
  constexpr absl::string_view kWhere = "clientRegistrationUpdateAnswer";
  absl::Status s = CheckOptionalLabels(answer.labels, kWhere);
  if (s.ok() && answer.assigned_symm_key_id) {
    s = in::CheckId(*answer.assigned_symm_key_id, kWhere, "assignedSymmKeyID");
  }
  if (!s.ok()) return s;
  json j = json::object();
  if (answer.expiration_time) j["expirationTime"] = in::FormatM2mTime(*answer.expiration_time);
  PutLabels(answer.labels, &j);
  if (answer.assigned_symm_key_id) j["assignedSymmKeyID"] = *answer.assigned_symm_key_id;
  return j;
}

// --- 8.8.2.6 Client De-Registration (Table 8.8.2.6-1) ---

absl::StatusOr<ClientDeregistrationRequest> ParseClientDeregistrationRequest(
    absl::string_view body) {
  return ParseRegistrationRef<ClientDeregistrationRequest>(body, "clientDeregistration");
}

absl::StatusOr<std::string> SerializeClientDeregistrationRequest(
    const ClientDeregistrationRequest& request) {
  return SerializeRegistrationRef(request.maf_fqdn, request.maf_client_reg_id,
                                  "clientDeregistration");
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

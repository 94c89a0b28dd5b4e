// The client procedures of the MAF Security Framework (TS-0003 8.8.2.3 .. 8.8.2.6; docs/protocol.md
// 7): client registration, configuration retrieval, registration update and de-registration. The
// schemas are declared in maf_messages.h; the shared field checks are internal/maf_fields.h.
#include <utility>

#include "common/exchange/internal/json_fields.h"
#include "common/exchange/internal/maf_fields.h"
#include "common/exchange/maf_messages.h"

namespace onem2m {
namespace exchange {
namespace {

using nlohmann::json;
namespace in = internal;
using internal::CheckFqdn;
using internal::CheckObject;
using internal::CheckOptionalLabels;
using internal::Has;
using internal::Invalid;
using internal::ParseObject;
using internal::PutLabels;
using internal::ReadFqdnInto;
using internal::ReadIdInto;
using internal::ReadLabelsInto;
using internal::ReadOptionalPort;
using internal::ReadOptionalTimeInto;
using internal::ReadTimeInto;

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

}  // namespace exchange
}  // namespace onem2m

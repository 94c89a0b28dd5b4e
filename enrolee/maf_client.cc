#include "enrolee/maf_client.h"

#include <algorithm>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/crypto/key_derivation.h"
#include "common/exchange/maf_messages.h"
#include "common/exchange/routes.h"
#include "common/exchange/rsc.h"
#include "common/tls/psk_context.h"
#include "enrolee/exchange_client.h"

namespace onem2m::enrolee {

absl::StatusOr<MafCredential> DeriveMafCredential(const SecretBytes& ke, absl::string_view maf_id,
                                                  absl::string_view maf_fqdn) {
  absl::StatusOr<SecretBytes> km = crypto::DeriveKm(ke, maf_id);
  if (!km.ok()) return km.status();
  absl::StatusOr<std::string> km_id = crypto::DeriveKmId(*km, maf_fqdn);
  if (!km_id.ok()) return km_id.status();
  return MafCredential{std::move(*km), std::move(*km_id)};
}

absl::StatusOr<std::unique_ptr<MafClient>> MafClient::ConnectWithRetry(
    const MafClientOptions& options, const RetryPolicy& policy) {
  absl::StatusOr<std::unique_ptr<MafClient>> client = absl::UnknownError("not attempted");
  absl::Status s = RetryWithBackoff(policy, [&] {
    client = Connect(options);
    return client.status();
  });
  if (!s.ok()) return s;
  return client;
}

absl::StatusOr<std::unique_ptr<MafClient>> MafClient::Connect(const MafClientOptions& o) {
  tls::ClientOptions co;
  co.transport = o.transport;
  co.cipher_suites = o.cipher_suites;
  co.tls13 = o.tls13;
  co.psk_identity = o.psk_identity;
  co.psk = o.psk;
  co.server_name = o.maf_fqdn;
  absl::StatusOr<std::shared_ptr<const tls::PskContext>> ctx = tls::PskContext::NewClient(co);
  if (!ctx.ok()) return ctx.status();
  absl::StatusOr<std::unique_ptr<tls::BlockingClient>> client = tls::BlockingClient::Connect(
      *ctx, o.maf_host, static_cast<uint16_t>(o.maf_port), absl::Now() + o.timeout);
  if (!client.ok()) return client.status();
  return std::unique_ptr<MafClient>(new MafClient(o, std::move(*client)));
}

MafClient::~MafClient() {
  if (client_) (void)client_->Close(absl::Now() + absl::Milliseconds(200));
}

absl::StatusOr<exchange::Response> MafClient::Exchange(exchange::Request request) {
  if (request.request_id.empty()) request.request_id = NewRequestId();
  if (request.originator.empty()) {
    request.originator = options_.originator.empty() ? options_.psk_identity : options_.originator;
  }
  if (request.content_type.empty()) request.content_type = std::string(exchange::kJsonMediaType);
  return ExchangeOverSession(*client_, options_.transport, request, options_.maf_fqdn,
                             absl::Now() + options_.timeout);
}

absl::StatusOr<exchange::Response> MafClient::Post(absl::string_view path, std::string body,
                                                   int want_rsc) {
  exchange::Request r;
  r.method = exchange::Method::kPost;
  r.path = std::string(path);
  r.body = std::move(body);
  absl::StatusOr<exchange::Response> resp = Exchange(std::move(r));
  if (!resp.ok()) return resp.status();
  if (resp->rsc != want_rsc) {
    std::string dbg = resp->body.is_object() && resp->body.contains("m2m:dbg") &&
                              resp->body["m2m:dbg"].is_string()
                          ? resp->body["m2m:dbg"].get<std::string>()
                          : resp->body.dump();
    absl::StatusCode code =
        resp->rsc == exchange::kRscTargetNotReachable ? absl::StatusCode::kUnavailable
        : resp->rsc == exchange::kRscNotFound         ? absl::StatusCode::kNotFound
                                                      : absl::StatusCode::kFailedPrecondition;
    return absl::Status(code, absl::StrCat("MAF answered RSC ", resp->rsc, ": ", dbg));
  }
  return resp;
}

absl::StatusOr<exchange::Response> MafClient::Run(exchange::Operation op,
                                                  absl::StatusOr<std::string> body) {
  if (!body.ok()) return body.status();
  return Post(exchange::PathFor(op), std::move(*body), exchange::SuccessRsc(op));
}

absl::StatusOr<exchange::KeyRef> MafClient::OwnKey(absl::string_view key_id) const {
  absl::StatusOr<exchange::KeyRef> ref = exchange::SplitKeyId(key_id);
  if (!ref.ok()) return ref.status();
  if (!absl::EqualsIgnoreCase(ref->maf_fqdn, options_.maf_fqdn)) {
    return absl::InvalidArgumentError("the Key Identifier names another MAF");
  }
  return ref;
}

absl::StatusOr<MafRegistration> MafClient::RegisterClient(
    absl::string_view expected_km_id, std::optional<absl::Time> expiry,
    std::optional<std::vector<std::string>> labels) {
  exchange::ClientRegistrationRequest req;
  req.maf_fqdn = options_.maf_fqdn;
  req.expiration_time = expiry.value_or(absl::Now() + kDefaultProposedLifetime);
  req.labels = std::move(labels);
  req.admin_fqdn = AdminFqdn();
  absl::StatusOr<exchange::Response> resp = Run(exchange::Operation::kMafClientRegistration,
                                                exchange::SerializeClientRegistrationRequest(req));
  if (!resp.ok()) return resp.status();
  absl::StatusOr<exchange::ClientRegistrationAnswer> a =
      exchange::ParseClientRegistrationAnswer(resp->body);
  if (!a.ok()) return a.status();
  const std::string km_id = a->assigned_symm_key_id.value_or("");
  if (!expected_km_id.empty() && km_id != expected_km_id) {
    return absl::DataLossError("the MAF's assignedSymmKeyID differs from the KmID derived locally");
  }
  return MafRegistration{a->maf_client_reg_id, a->maf_client_id,
                         a->expiration_time,   km_id,
                         a->admin_fqdn,        a->labels.value_or(std::vector<std::string>{})};
}

absl::StatusOr<exchange::MafClientConfig> MafClient::RetrieveClientConfig(
    absl::string_view reg_id) {
  absl::StatusOr<exchange::Response> resp = Run(
      exchange::Operation::kMafClientConfigRetrieval,
      exchange::SerializeClientConfigRetrievalRequest({options_.maf_fqdn, std::string(reg_id)}));
  if (!resp.ok()) return resp.status();
  absl::StatusOr<exchange::ClientConfigRetrievalAnswer> a =
      exchange::ParseClientConfigRetrievalAnswer(resp->body);
  if (!a.ok()) return a.status();
  return std::move(a->maf_client_cfg);
}

absl::StatusOr<exchange::ClientRegistrationUpdateAnswer> MafClient::UpdateClientRegistration(
    absl::string_view reg_id, std::optional<absl::Time> expiry,
    std::optional<std::vector<std::string>> labels) {
  exchange::ClientRegistrationUpdateRequest req{options_.maf_fqdn, std::string(reg_id), expiry,
                                                std::move(labels)};
  absl::StatusOr<exchange::Response> resp =
      Run(exchange::Operation::kMafClientUpdate,
          exchange::SerializeClientRegistrationUpdateRequest(req));
  if (!resp.ok()) return resp.status();
  return exchange::ParseClientRegistrationUpdateAnswer(resp->body);
}

absl::Status MafClient::DeregisterClient(absl::string_view reg_id) {
  return Run(exchange::Operation::kMafClientDeregistration,
             exchange::SerializeClientDeregistrationRequest(
                 {options_.maf_fqdn, std::string(reg_id)}))
      .status();
}

absl::StatusOr<RegisteredKey> MafClient::RegisterKey(
    const std::vector<std::string>& target_ids, int suid, std::optional<absl::Time> expiry,
    std::optional<SecretBytes> key_value, std::optional<std::vector<std::string>> labels) {
  std::optional<crypto::DerivedKey> local;
  if (!key_value.has_value()) {
    absl::StatusOr<SecretBytes> exported =
        client_->session().Export(crypto::kConnectionExporterLabel, crypto::kExportLen);
    if (!exported.ok()) return exported.status();
    absl::StatusOr<crypto::DerivedKey> k = crypto::KeyFromExport(*exported, options_.maf_fqdn);
    if (!k.ok()) return k.status();
    local = std::move(*k);
  }
  exchange::KeyRegistrationRequest req;
  req.maf_fqdn = options_.maf_fqdn;
  req.expiration_time = expiry.value_or(absl::Now() + kDefaultProposedLifetime);
  req.labels = std::move(labels);
  req.admin_fqdn = AdminFqdn();
  req.suid = suid;
  if (!target_ids.empty()) req.target_ids = target_ids;
  req.key_value = key_value;
  absl::StatusOr<exchange::Response> resp =
      Run(exchange::Operation::kMafKeyRegistration, exchange::SerializeKeyRegistrationRequest(req));
  if (!resp.ok()) return resp.status();
  absl::StatusOr<exchange::KeyRegistrationAnswer> a =
      exchange::ParseKeyRegistrationAnswer(resp->body);
  if (!a.ok()) return a.status();
  RegisteredKey out;
  out.key_id = exchange::KeyRef{a->relative_key_id, options_.maf_fqdn}.KeyId();
  out.expires_at = a->expiration_time;
  out.suid = a->suid;
  out.target_ids = a->target_ids;
  out.source_maf_client_id = a->source_maf_client_id;
  if (local.has_value()) {
    if (!absl::EqualsIgnoreCase(out.key_id, local->key_id)) {
      return absl::DataLossError("the MAF's RelativeKeyID differs from the one derived locally");
    }
    out.key_id = local->key_id;
    out.kc = std::move(local->key);
  } else {
    out.kc = std::move(*key_value);
  }
  return out;
}

absl::StatusOr<RetrievedKey> MafClient::RetrieveKey(absl::string_view key_id) {
  absl::StatusOr<exchange::KeyRef> ref = OwnKey(key_id);
  if (!ref.ok()) return ref.status();
  absl::StatusOr<exchange::Response> resp =
      Run(exchange::Operation::kMafKeyRetrieval, exchange::SerializeKeyRetrievalRequest({*ref}));
  if (!resp.ok()) return resp.status();
  absl::StatusOr<exchange::KeyRetrievalAnswer> a = exchange::ParseKeyRetrievalAnswer(resp->body);
  if (!a.ok()) return a.status();
  return RetrievedKey{std::move(a->key_value), a->suid,
                      a->expiration_time,      a->source_maf_client_id,
                      a->admin_fqdn,           a->labels.value_or(std::vector<std::string>{})};
}

absl::StatusOr<exchange::KeyUpdateAnswer> MafClient::UpdateKey(
    absl::string_view key_id, std::optional<absl::Time> expiry,
    std::optional<std::vector<std::string>> labels,
    std::optional<std::vector<std::string>> target_ids) {
  absl::StatusOr<exchange::KeyRef> ref = OwnKey(key_id);
  if (!ref.ok()) return ref.status();
  exchange::KeyUpdateRequest req{*ref, expiry, std::move(labels), std::move(target_ids)};
  absl::StatusOr<exchange::Response> resp =
      Run(exchange::Operation::kMafKeyUpdate, exchange::SerializeKeyUpdateRequest(req));
  if (!resp.ok()) return resp.status();
  return exchange::ParseKeyUpdateAnswer(resp->body);
}

absl::Status MafClient::DeregisterKey(absl::string_view key_id) {
  absl::StatusOr<exchange::KeyRef> ref = OwnKey(key_id);
  if (!ref.ok()) return ref.status();
  return Run(exchange::Operation::kMafKeyDeregistration,
             exchange::SerializeKeyDeregistrationRequest({*ref}))
      .status();
}

}  // namespace onem2m::enrolee

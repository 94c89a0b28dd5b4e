#include "enrolee/maf_client.h"

#include <algorithm>
#include <utility>

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

absl::StatusOr<MafRegistration> MafClient::RegisterClient(absl::string_view expected_km_id,
                                                          std::optional<absl::Time> expiry) {
  exchange::ClientRegistrationRequest req;
  req.expiration_time = expiry;
  absl::StatusOr<std::string> body = exchange::SerializeClientRegistrationRequest(req);
  if (!body.ok()) return body.status();
  absl::StatusOr<exchange::Response> resp =
      Post(exchange::PathFor(exchange::Operation::kMafClientRegistration), std::move(*body),
           exchange::SuccessRsc(exchange::Operation::kMafClientRegistration));
  if (!resp.ok()) return resp.status();
  absl::StatusOr<exchange::ClientRegistrationAnswer> a =
      exchange::ParseClientRegistrationAnswer(resp->body);
  if (!a.ok()) return a.status();
  if (!expected_km_id.empty() && a->assigned_symm_key_id != expected_km_id) {
    return absl::DataLossError("the MAF's assignedSymmKeyID differs from the KmID derived locally");
  }
  return MafRegistration{a->maf_client_reg_id, a->maf_client_id, a->expiration_time,
                         a->assigned_symm_key_id};
}

absl::StatusOr<RegisteredKey> MafClient::RegisterKey(const std::vector<std::string>& target_ids,
                                                     int suid, std::optional<absl::Time> expiry,
                                                     std::optional<SecretBytes> key_value) {
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
  req.target_ids = target_ids;
  req.suid = suid;
  req.expiration_time = expiry;
  req.key_value = key_value;
  absl::StatusOr<std::string> body = exchange::SerializeKeyRegistrationRequest(req);
  if (!body.ok()) return body.status();
  absl::StatusOr<exchange::Response> resp =
      Post(exchange::PathFor(exchange::Operation::kMafKeyRegistration), std::move(*body),
           exchange::SuccessRsc(exchange::Operation::kMafKeyRegistration));
  if (!resp.ok()) return resp.status();
  absl::StatusOr<exchange::KeyRegistrationAnswer> a =
      exchange::ParseKeyRegistrationAnswer(resp->body);
  if (!a.ok()) return a.status();
  RegisteredKey out;
  out.key_id = a->key_id;
  out.expires_at = a->expiration_time;
  if (local.has_value()) {
    if (a->key_id != local->key_id) {
      return absl::DataLossError("the MAF's Key Identifier differs from the one derived locally");
    }
    out.kc = std::move(local->key);
  } else {
    out.kc = std::move(*key_value);
  }
  return out;
}

absl::StatusOr<RetrievedKey> MafClient::RetrieveKey(absl::string_view key_id) {
  exchange::KeyRetrievalRequest req;
  req.key_id = std::string(key_id);
  absl::StatusOr<std::string> body = exchange::SerializeKeyRetrievalRequest(req);
  if (!body.ok()) return body.status();
  absl::StatusOr<exchange::Response> resp =
      Post(exchange::PathFor(exchange::Operation::kMafKeyRetrieval), std::move(*body),
           exchange::SuccessRsc(exchange::Operation::kMafKeyRetrieval));
  if (!resp.ok()) return resp.status();
  absl::StatusOr<exchange::KeyRetrievalAnswer> a = exchange::ParseKeyRetrievalAnswer(resp->body);
  if (!a.ok()) return a.status();
  return RetrievedKey{std::move(a->key_value), a->suid, a->expiration_time};
}

}  // namespace onem2m::enrolee

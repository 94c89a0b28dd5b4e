#include "maf/server/maf_session_factory.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "common/crypto/key_derivation.h"
#include "common/exchange/maf_messages.h"
#include "common/exchange/routes.h"
#include "common/exchange/rsc.h"
#include "common/log/logger.h"
#include "maf/server/maf_psk_resolver.h"

namespace onem2m::maf {
namespace {

using exchange::ErrorResponse;
using exchange::Response;

Response Fail(const absl::Status& s) { return ErrorResponse(s); }

Response ClientRegistration(const ProcedureContext& ctx, const MafSession& s,
                            const exchange::Request& request) {
  absl::StatusOr<exchange::ClientRegistrationRequest> req =
      exchange::ParseClientRegistrationRequest(request.body);
  if (!req.ok()) return Fail(req.status());
  absl::Time want = req->expiration_time.value_or(absl::InfiniteFuture());
  absl::StatusOr<MafClient> client = ctx.store->RegisterClient(s.km_id, want);
  if (!client.ok()) return Fail(client.status());
  exchange::ClientRegistrationAnswer a;
  a.maf_client_reg_id = client->maf_client_reg_id;
  a.maf_client_id = client->enrolee_id.empty() ? s.enrolee_id : client->enrolee_id;
  a.expiration_time = client->expires_at;
  a.assigned_symm_key_id = s.km_id;
  absl::StatusOr<nlohmann::json> body = exchange::SerializeClientRegistrationAnswer(a);
  if (!body.ok()) return Fail(body.status());
  return Response{exchange::SuccessRsc(exchange::Operation::kMafClientRegistration),
                  std::move(*body)};
}

Response KeyRegistration(const ProcedureContext& ctx, const MafSession& s,
                         const exchange::Request& request) {
  absl::StatusOr<MafClient> client = ctx.store->GetActiveClientByKmId(s.km_id);
  if (!client.ok()) {
    return ErrorResponse(exchange::kRscOriginatorHasNoPrivilege,
                         "no active MAF Client Registration for this credential");
  }
  absl::StatusOr<exchange::KeyRegistrationRequest> req =
      exchange::ParseKeyRegistrationRequest(request.body);
  if (!req.ok()) return Fail(req.status());
  crypto::DerivedKey key;
  if (req->key_value.has_value()) {
    // A supplied value gets a random RelativeKeyID: derive one from the exporter anyway would
    // collide across registrations, so use a fresh export-independent id.
    absl::StatusOr<SecretBytes> rnd = crypto::HmacSha256(
        *req->key_value, absl::StrCat(s.km_id, absl::ToUnixNanos(ctx.Now())));
    if (!rnd.ok()) return Fail(rnd.status());
    SecretBytes buf(48);
    std::copy(rnd->data(), rnd->data() + 16, buf.mutable_data());
    absl::StatusOr<crypto::DerivedKey> named = crypto::KeyFromExport(buf, ctx.maf_fqdn);
    if (!named.ok()) return Fail(named.status());
    key.key_id = named->key_id;
    key.key = *req->key_value;
  } else {
    if (!s.export_keying_material) {
      return ErrorResponse(exchange::kRscBadRequest, "keyValue required on this transport");
    }
    absl::StatusOr<SecretBytes> exported =
        s.export_keying_material(crypto::kConnectionExporterLabel, crypto::kExportLen);
    if (!exported.ok()) return Fail(exported.status());
    absl::StatusOr<crypto::DerivedKey> derived = crypto::KeyFromExport(*exported, ctx.maf_fqdn);
    if (!derived.ok()) return Fail(derived.status());
    key = std::move(*derived);
  }
  absl::Time expires = std::min(client->expires_at, s.km_expires_at);
  if (req->expiration_time.has_value()) expires = std::min(expires, *req->expiration_time);
  absl::StatusOr<std::string> sealed = ctx.envelope->Seal(key.key, key.key_id);
  if (!sealed.ok()) return ErrorResponse(exchange::kRscInternalServerError, "internal error");
  MafKey row;
  row.key_id = key.key_id;
  row.relative_id = key.key_id.substr(0, key.key_id.find('@'));
  row.key = SealedKey{std::move(*sealed), static_cast<int32_t>(ctx.envelope->active_version())};
  row.suid = static_cast<uint32_t>(req->suid);
  row.target_ids = req->target_ids;
  row.maf_client_reg_id = client->maf_client_reg_id;
  row.km_id = s.km_id;
  row.client_id = client->enrolee_id;
  row.expires_at = expires;
  absl::StatusOr<MafKey> stored = ctx.store->RegisterKey(row);
  if (!stored.ok()) return Fail(stored.status());
  exchange::KeyRegistrationAnswer a;
  a.key_id = stored->key_id;
  a.expiration_time = stored->expires_at;
  absl::StatusOr<nlohmann::json> body = exchange::SerializeKeyRegistrationAnswer(a);
  if (!body.ok()) return Fail(body.status());
  return Response{exchange::SuccessRsc(exchange::Operation::kMafKeyRegistration),
                  std::move(*body)};
}

Response KeyRetrieval(const ProcedureContext& ctx, const MafSession& s,
                      const exchange::Request& request) {
  absl::StatusOr<exchange::KeyRetrievalRequest> req =
      exchange::ParseKeyRetrievalRequest(request.body);
  if (!req.ok()) return Fail(req.status());
  absl::StatusOr<MafKey> key = ctx.store->GetActiveKey(req->key_id);
  // Unknown and not-a-target look the same to the caller.
  if (!key.ok() || std::find(key->target_ids.begin(), key->target_ids.end(), s.enrolee_id) ==
                       key->target_ids.end()) {
    return ErrorResponse(exchange::kRscNotFound, "no such key for this target");
  }
  absl::StatusOr<SecretBytes> value = ctx.envelope->Open(key->key.ciphertext, key->key_id);
  if (!value.ok()) return ErrorResponse(exchange::kRscInternalServerError, "internal error");
  exchange::KeyRetrievalAnswer a;
  a.key_value = std::move(*value);
  a.suid = static_cast<int>(key->suid);
  a.expiration_time = key->expires_at;
  absl::StatusOr<nlohmann::json> body = exchange::SerializeKeyRetrievalAnswer(a);
  if (!body.ok()) return Fail(body.status());
  return Response{exchange::SuccessRsc(exchange::Operation::kMafKeyRetrieval), std::move(*body)};
}

class MafExchangeSession : public server::ExchangeSession {
 public:
  MafExchangeSession(const MafSessionConfig& config, MafSession session)
      : config_(config), session_(std::move(session)) {}

  void OnRequest(exchange::Request request,
                 std::function<void(exchange::Response)> respond) override {
    if (config_.handler) {
      config_.handler(session_, std::move(request), std::move(respond));
      return;
    }
    HandleBuiltIn(config_.ctx, session_, std::move(request), std::move(respond));
  }

 private:
  const MafSessionConfig& config_;
  MafSession session_;
};

}  // namespace

void HandleBuiltIn(const ProcedureContext& ctx, const MafSession& session,
                   exchange::Request request, std::function<void(exchange::Response)> respond) {
  if (ctx.Now() >= session.km_expires_at) {
    respond(ErrorResponse(exchange::kRscOriginatorHasNoPrivilege, "credential expired"));
    return;
  }
  absl::StatusOr<exchange::Operation> op = exchange::ResolveOperation(request);
  if (!op.ok()) {
    respond(ErrorResponse(op.status()));
    return;
  }
  switch (*op) {
    case exchange::Operation::kMafClientRegistration:
      respond(ClientRegistration(ctx, session, request));
      return;
    case exchange::Operation::kMafKeyRegistration:
      respond(KeyRegistration(ctx, session, request));
      return;
    case exchange::Operation::kMafKeyRetrieval:
      respond(KeyRetrieval(ctx, session, request));
      return;
    case exchange::Operation::kEnrolment:
      respond(ErrorResponse(exchange::kRscNotFound, "this is a MAF"));
      return;
    default:
      respond(ErrorResponse(exchange::kRscNotImplemented, "not implemented by this MAF build"));
      return;
  }
}

absl::StatusOr<std::unique_ptr<server::SessionHandler>> MafSessionFactory::OnHandshake(
    tls::PskSession& session, const server::ConnectionInfo& info) {
  std::optional<ResolvedIdentity> id = MafPskResolver::LastResolved(info.psk_identity);
  if (!id.has_value()) {
    if (config_.resolver == nullptr) return absl::InternalError("no resolver");
    absl::StatusOr<ResolvedKm> km =
        config_.resolver->Resolve(info.psk_identity, absl::Now() + absl::Seconds(2));
    if (!km.ok()) return km.status();
    id = MafPskResolver::FromResolved(info.psk_identity, *km);
  }
  // Export once now: the exporter depends only on the session's master secret.
  absl::StatusOr<SecretBytes> exported =
      session.Export(crypto::kConnectionExporterLabel, crypto::kExportLen);
  MafSession ms;
  ms.km_id = id->km_id;
  ms.enrolee_id = id->enrolee_id;
  ms.km_expires_at = id->expires_at;
  if (exported.ok()) {
    auto shared = std::make_shared<SecretBytes>(std::move(*exported));
    ms.export_keying_material = [shared](absl::string_view label,
                                         size_t len) -> absl::StatusOr<SecretBytes> {
      if (label != crypto::kConnectionExporterLabel || len != crypto::kExportLen) {
        return absl::InvalidArgumentError("only the connection exporter is available");
      }
      return *shared;
    };
  }
  Log(Level::kDebug, "maf_session",
      {{"km_id", ms.km_id}, {"enrolee_id", ms.enrolee_id}, {"peer", info.peer}});
  return std::make_unique<MafExchangeSession>(config_, std::move(ms));
}

}  // namespace onem2m::maf

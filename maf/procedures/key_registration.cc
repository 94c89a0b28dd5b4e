#include "maf/procedures/key_registration.h"

#include <algorithm>

#include "common/crypto/key_derivation.h"
#include "common/crypto/key_id.h"
#include "common/exchange/rsc.h"
#include "maf/procedures/client_registration.h"
#include "maf/procedures/session_check.h"

namespace onem2m {
namespace maf {
namespace {

// NamedKey returns the key and its identifier: exported from the session (8.8.2.7 default) or the
// supplied value under a random RelativeKeyID.
absl::StatusOr<crypto::DerivedKey> NamedKey(const ProcedureContext& ctx, const MafSession& session,
                                            const exchange::KeyRegistrationRequest& request) {
  if (request.key_value.has_value()) {
    absl::StatusOr<crypto::KeyId> id = crypto::KeyId::Random(ctx.maf_fqdn);
    if (!id.ok()) return id.status();
    return crypto::DerivedKey{id->ToString(), *request.key_value};
  }
  if (!session.export_keying_material) {
    return absl::InvalidArgumentError("keyValue required: this session cannot export keys");
  }
  absl::StatusOr<SecretBytes> exported =
      session.export_keying_material(crypto::kConnectionExporterLabel, crypto::kExportLen);
  if (!exported.ok()) return exported.status();
  return crypto::KeyFromExport(*exported, ctx.maf_fqdn);
}

}  // namespace

absl::StatusOr<exchange::KeyRegistrationAnswer> HandleKeyRegistration(
    const ProcedureContext& ctx, const MafSession& session,
    const exchange::KeyRegistrationRequest& request) {
  absl::Status s = CheckMafFqdn(ctx, request.maf_fqdn);
  if (s.ok()) s = CheckAdminFqdn(ctx, request.admin_fqdn);
  if (s.ok() && (request.suid < exchange::kMinMafSuid || request.suid > exchange::kMaxMafSuid)) {
    s = absl::InvalidArgumentError("suid must be 32..35: a MAF-distributed symmetric key");
  }
  if (s.ok()) s = CheckSession(ctx, session);
  if (!s.ok()) return s;
  absl::StatusOr<MafClient> client = RequireRegisteredClient(ctx, session);
  if (!client.ok()) return client.status();
  // Table 8.8.2.7-2: without targetIDs the MAF creates the list. With no administrating
  // stakeholder logic to consult, it is the Source MAF Client alone; Key Registration Update
  // (8.8.2.9) sets the real Targets later.
  const std::vector<std::string> targets =
      request.target_ids.value_or(std::vector<std::string>{client->enrolee_id});
  s = ValidateTargetIds(targets);
  if (!s.ok()) return s;
  if (request.expiration_time <= ctx.Now()) {
    return absl::InvalidArgumentError("expirationTime is not in the future");
  }
  const absl::Time expiry = std::min(client->expires_at, request.expiration_time);
  absl::StatusOr<crypto::DerivedKey> key = NamedKey(ctx, session, request);
  if (!key.ok()) return key.status();
  absl::StatusOr<std::string> sealed = ctx.envelope->Seal(key->key, key->key_id);
  if (!sealed.ok()) return sealed.status();

  MafKey k;
  k.key_id = key->key_id;
  k.relative_id = key->key_id.substr(0, key->key_id.find('@'));
  k.key = SealedKey{*std::move(sealed), static_cast<int32_t>(ctx.envelope->active_version())};
  k.suid = static_cast<uint32_t>(request.suid);
  k.target_ids = targets;
  k.labels = request.labels.value_or(std::vector<std::string>{});
  k.maf_client_reg_id = client->maf_client_reg_id;
  k.expires_at = expiry;
  absl::StatusOr<MafKey> stored = ctx.store->RegisterKey(k);
  if (stored.status().code() == absl::StatusCode::kAlreadyExists) {
    return exchange::WithRsc(stored.status(), exchange::kRscConflict);
  }
  if (stored.status().code() == absl::StatusCode::kFailedPrecondition) {
    // The registration ended between the check above and the insert.
    return exchange::WithRsc(absl::PermissionDeniedError("MAF client not registered"),
                             exchange::kRscOriginatorHasNoPrivilege);
  }
  if (!stored.ok()) return stored.status();
  exchange::KeyRegistrationAnswer a;
  a.relative_key_id = stored->relative_id;
  a.expiration_time = stored->expires_at;
  a.source_maf_client_id = stored->client_id;
  a.labels = LabelsOrNone(stored->labels);
  a.admin_fqdn = ctx.AdminFqdn();
  a.suid = static_cast<int>(stored->suid);
  a.target_ids = stored->target_ids;
  return a;
}

}  // namespace maf
}  // namespace onem2m

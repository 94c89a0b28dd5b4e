#include "maf/procedures/key_retrieval.h"

#include <algorithm>

#include "common/exchange/rsc.h"
#include "maf/procedures/client_registration.h"
#include "maf/procedures/session_check.h"

namespace onem2m {
namespace maf {

absl::StatusOr<exchange::KeyRetrievalAnswer> HandleKeyRetrieval(
    const ProcedureContext& ctx, const MafSession& session,
    const exchange::KeyRetrievalRequest& request) {
  absl::Status s = CheckSession(ctx, session);
  if (!s.ok()) return s;
  absl::StatusOr<std::string> key_id = ResolveKeyRef(ctx, request.key);
  if (!key_id.ok()) return key_id.status();
  absl::StatusOr<MafKey> key = ctx.store->GetActiveKey(*key_id);
  if (!key.ok()) return key.status();
  if (std::find(key->target_ids.begin(), key->target_ids.end(), session.enrolee_id) ==
      key->target_ids.end()) {
    return exchange::WithRsc(absl::PermissionDeniedError("not a target of this key"),
                             exchange::kRscOriginatorHasNoPrivilege);
  }
  absl::StatusOr<SecretBytes> value = ctx.envelope->Open(key->key.ciphertext, key->key_id);
  if (!value.ok()) return absl::InternalError("stored key does not unseal");
  exchange::KeyRetrievalAnswer a;
  a.expiration_time = key->expires_at;
  a.source_maf_client_id = key->client_id;
  a.labels = LabelsOrNone(key->labels);
  a.admin_fqdn = ctx.AdminFqdn();
  a.suid = static_cast<int>(key->suid);
  a.key_value = *std::move(value);
  return a;
}

}  // namespace maf
}  // namespace onem2m

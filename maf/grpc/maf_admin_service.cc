#include "maf/grpc/maf_admin_service.h"

#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/crypto/key_id.h"
#include "common/grpc/mtls.h"
#include "common/kek/kek_admin.h"
#include "common/log/logger.h"
#include "maf/grpc/proto_convert.h"

namespace onem2m {
namespace maf {
namespace v1 = ::onem2m::rsp::v1;
namespace {

constexpr size_t kMaxReasonLen = 1024;

grpc::Status ToGrpc(const absl::Status& s) { return grpcutil::ToGrpcStatus(s); }

absl::Status CheckReason(const std::string& reason) {
  if (reason.empty()) return absl::InvalidArgumentError("reason is required");
  if (reason.size() > kMaxReasonLen) return absl::InvalidArgumentError("reason too long");
  return absl::OkStatus();
}

absl::Status CheckPageSize(int32_t page_size) {
  if (page_size < 0) return absl::InvalidArgumentError("page_size must not be negative");
  return absl::OkStatus();
}

}  // namespace

MafAdminServiceImpl::MafAdminServiceImpl(MafAdminServiceOptions options) : o_(std::move(options)) {
  if (o_.clock == nullptr) o_.clock = Clock::Real();
}

grpc::Status MafAdminServiceImpl::Authorize(const grpc::ServerContext& context,
                                            std::string* out_identity) const {
  const std::vector<std::string> names = grpcutil::PeerDnsNames(context);
  if (names.empty()) {
    return grpc::Status(grpc::StatusCode::UNAUTHENTICATED, "no verified client certificate");
  }
  for (const std::string& n : names) {
    if (o_.admins.count(n) > 0) {
      *out_identity = n;
      return grpc::Status::OK;
    }
  }
  Audit("maf_admin_denied", {{"caller", absl::StrJoin(names, ",")}});
  return grpc::Status(grpc::StatusCode::PERMISSION_DENIED, "caller is not a MAF administrator");
}

void MafAdminServiceImpl::ForgetCached(const crypto::KeyId& km_id) const {
  if (o_.on_client_revoked) o_.on_client_revoked(km_id);
}

absl::StatusOr<MafClient> MafAdminServiceImpl::FindClient(bool by_reg_id, const std::string& reg_id,
                                                          bool by_km_id,
                                                          const std::string& km_id) const {
  if (by_reg_id) {
    if (reg_id.empty()) return absl::InvalidArgumentError("maf_client_reg_id is empty");
    return o_.store->GetClient(reg_id);
  }
  if (by_km_id) {
    absl::StatusOr<crypto::KeyId> id = crypto::KeyId::Parse(km_id);
    if (!id.ok()) return absl::InvalidArgumentError("km_id is not a KmID");
    return o_.store->GetLatestClientByKmId(*id);
  }
  return absl::InvalidArgumentError("a selector is required");
}

absl::StatusOr<MafCredential> MafAdminServiceImpl::FindCredential(bool by_km_id,
                                                                  const std::string& km_id,
                                                                  bool by_ke_id,
                                                                  const std::string& ke_id) const {
  if (!by_km_id && !by_ke_id) return absl::InvalidArgumentError("a selector is required");
  absl::StatusOr<crypto::KeyId> id = crypto::KeyId::Parse(by_km_id ? km_id : ke_id);
  if (!id.ok()) {
    return absl::InvalidArgumentError(by_km_id ? "km_id is not a KmID" : "ke_id is not a KeID");
  }
  return o_.store->FindCredential(by_km_id ? CredentialKey::kKmId : CredentialKey::kKeId, *id);
}

grpc::Status MafAdminServiceImpl::ListCredentials(grpc::ServerContext* context,
                                                  const v1::ListCredentialsRequest* request,
                                                  v1::ListCredentialsResponse* response) {
  std::string who;
  grpc::Status auth = Authorize(*context, &who);
  if (!auth.ok()) return auth;
  absl::Status s = CheckPageSize(request->page_size());
  if (!s.ok()) return ToGrpc(s);
  ListCredentialsRequest req;
  req.page_size = request->page_size();
  req.page_token = request->page_token();
  req.enrolee_id = request->enrolee_id_filter();
  req.mef_fqdn = request->mef_fqdn_filter();
  if (!CredentialStateFilter(request->state_filter(), &req.state)) {
    return ToGrpc(absl::InvalidArgumentError("unknown state_filter"));
  }
  absl::StatusOr<ListCredentialsResponse> page = o_.store->ListCredentials(req);
  if (!page.ok()) return ToGrpc(page.status());
  const absl::Time now = Now();
  for (const MafCredential& c : page->credentials) {
    CredentialToProto(c, now, response->add_credentials());
  }
  response->set_next_page_token(page->next_page_token);
  return grpc::Status::OK;
}

grpc::Status MafAdminServiceImpl::GetCredential(grpc::ServerContext* context,
                                                const v1::GetCredentialRequest* request,
                                                v1::MafCredential* response) {
  std::string who;
  grpc::Status auth = Authorize(*context, &who);
  if (!auth.ok()) return auth;
  absl::StatusOr<MafCredential> c = FindCredential(request->has_km_id(), request->km_id(),
                                                   request->has_ke_id(), request->ke_id());
  if (!c.ok()) return ToGrpc(c.status());
  CredentialToProto(*c, Now(), response);
  return grpc::Status::OK;
}

grpc::Status MafAdminServiceImpl::RevokeCredential(grpc::ServerContext* context,
                                                   const v1::RevokeCredentialRequest* request,
                                                   v1::MafCredential* response) {
  std::string who;
  grpc::Status auth = Authorize(*context, &who);
  if (!auth.ok()) return auth;
  absl::Status s = CheckReason(request->reason());
  if (!s.ok()) return ToGrpc(s);
  absl::StatusOr<MafCredential> c = FindCredential(request->has_km_id(), request->km_id(),
                                                   request->has_ke_id(), request->ke_id());
  if (!c.ok()) return ToGrpc(c.status());
  absl::StatusOr<MafCredential> revoked =
      o_.store->RevokeCredential(c->km_id, Revocation{who, request->reason(), {}});
  Audit("maf_admin_revoke_credential",
        {{"caller", who},
         {"km_id", c->km_id.ToString()},
         {"ke_id", c->ke_id.ToString()},
         {"enrolee_id", c->enrolee_id},
         {"reason", request->reason()},
         {"outcome", revoked.ok() ? "ok" : revoked.status().ToString()}});
  if (!revoked.ok()) return ToGrpc(revoked.status());
  // The store refuses the Km from now on; this replica's cache must not serve it either.
  ForgetCached(revoked->km_id);
  CredentialToProto(*revoked, Now(), response);
  return grpc::Status::OK;
}

grpc::Status MafAdminServiceImpl::ListClients(grpc::ServerContext* context,
                                              const v1::ListClientsRequest* request,
                                              v1::ListClientsResponse* response) {
  std::string who;
  grpc::Status auth = Authorize(*context, &who);
  if (!auth.ok()) return auth;
  absl::Status s = CheckPageSize(request->page_size());
  if (!s.ok()) return ToGrpc(s);
  ListClientsRequest req;
  req.page_size = request->page_size();
  req.page_token = request->page_token();
  req.client_id = request->client_id_filter();
  if (!ClientStateFilter(request->state_filter(), &req.state)) {
    return ToGrpc(absl::InvalidArgumentError("unknown state_filter"));
  }
  absl::StatusOr<ListClientsResponse> page = o_.store->ListClients(req);
  if (!page.ok()) return ToGrpc(page.status());
  const absl::Time now = Now();
  for (const MafClient& c : page->clients) ClientToProto(c, now, response->add_clients());
  response->set_next_page_token(page->next_page_token);
  return grpc::Status::OK;
}

grpc::Status MafAdminServiceImpl::GetClient(grpc::ServerContext* context,
                                            const v1::GetClientRequest* request,
                                            v1::MafClient* response) {
  std::string who;
  grpc::Status auth = Authorize(*context, &who);
  if (!auth.ok()) return auth;
  absl::StatusOr<MafClient> c =
      FindClient(request->has_maf_client_reg_id(), request->maf_client_reg_id(),
                 request->has_km_id(), request->km_id());
  if (!c.ok()) return ToGrpc(c.status());
  ClientToProto(*c, Now(), response);
  return grpc::Status::OK;
}

grpc::Status MafAdminServiceImpl::GetKey(grpc::ServerContext* context,
                                         const v1::GetMafKeyRequest* request,
                                         v1::MafKey* response) {
  std::string who;
  grpc::Status auth = Authorize(*context, &who);
  if (!auth.ok()) return auth;
  absl::StatusOr<crypto::KeyId> key_id = crypto::KeyId::Parse(request->key_id());
  if (!key_id.ok()) return ToGrpc(absl::InvalidArgumentError("key_id is not a Key Identifier"));
  absl::StatusOr<MafKey> k = o_.store->GetKey(key_id->ToString());
  if (!k.ok()) return ToGrpc(k.status());
  KeyToProto(*k, Now(), response);
  return grpc::Status::OK;
}

grpc::Status MafAdminServiceImpl::ListKeys(grpc::ServerContext* context,
                                           const v1::ListKeysRequest* request,
                                           v1::ListKeysResponse* response) {
  std::string who;
  grpc::Status auth = Authorize(*context, &who);
  if (!auth.ok()) return auth;
  absl::Status s = CheckPageSize(request->page_size());
  if (!s.ok()) return ToGrpc(s);
  ListKeysRequest req;
  req.page_size = request->page_size();
  req.page_token = request->page_token();
  req.maf_client_reg_id = request->maf_client_reg_id_filter();
  req.target_id = request->target_id_filter();
  if (!KeyStateFilter(request->state_filter(), &req.state)) {
    return ToGrpc(absl::InvalidArgumentError("unknown state_filter"));
  }
  absl::StatusOr<ListKeysResponse> page = o_.store->ListKeys(req);
  if (!page.ok()) return ToGrpc(page.status());
  const absl::Time now = Now();
  for (const MafKey& k : page->keys) KeyToProto(k, now, response->add_keys());
  response->set_next_page_token(page->next_page_token);
  return grpc::Status::OK;
}

grpc::Status MafAdminServiceImpl::RevokeClient(grpc::ServerContext* context,
                                               const v1::RevokeClientRequest* request,
                                               v1::MafClient* response) {
  std::string who;
  grpc::Status auth = Authorize(*context, &who);
  if (!auth.ok()) return auth;
  absl::Status s = CheckReason(request->reason());
  if (!s.ok()) return ToGrpc(s);
  absl::StatusOr<MafClient> c =
      FindClient(request->has_maf_client_reg_id(), request->maf_client_reg_id(),
                 request->has_km_id(), request->km_id());
  if (!c.ok()) return ToGrpc(c.status());
  absl::StatusOr<MafClient> revoked =
      o_.store->RevokeClient(c->maf_client_reg_id, Revocation{who, request->reason(), {}});
  Audit("maf_admin_revoke_client",
        {{"caller", who},
         {"maf_client_reg_id", c->maf_client_reg_id},
         {"km_id", c->km_id.ToString()},
         {"reason", request->reason()},
         {"outcome", revoked.ok() ? "ok" : revoked.status().ToString()}});
  if (!revoked.ok()) return ToGrpc(revoked.status());
  ForgetCached(revoked->km_id);
  ClientToProto(*revoked, Now(), response);
  return grpc::Status::OK;
}

grpc::Status MafAdminServiceImpl::RevokeKey(grpc::ServerContext* context,
                                            const v1::RevokeKeyRequest* request,
                                            v1::MafKey* response) {
  std::string who;
  grpc::Status auth = Authorize(*context, &who);
  if (!auth.ok()) return auth;
  absl::StatusOr<crypto::KeyId> key_id = crypto::KeyId::Parse(request->key_id());
  if (!key_id.ok()) return ToGrpc(absl::InvalidArgumentError("key_id is not a Key Identifier"));
  absl::Status s = CheckReason(request->reason());
  if (!s.ok()) return ToGrpc(s);
  const std::string canonical = key_id->ToString();
  absl::StatusOr<MafKey> k = o_.store->RevokeKey(canonical, Revocation{who, request->reason(), {}});
  Audit("maf_admin_revoke_key", {{"caller", who},
                                 {"key_id", canonical},
                                 {"reason", request->reason()},
                                 {"outcome", k.ok() ? "ok" : k.status().ToString()}});
  if (!k.ok()) return ToGrpc(k.status());
  KeyToProto(*k, Now(), response);
  return grpc::Status::OK;
}

grpc::Status MafAdminServiceImpl::KekStatus(grpc::ServerContext* context,
                                            const v1::KekStatusRequest* /*request*/,
                                            v1::KekStatusResponse* response) {
  std::string who;
  grpc::Status auth = Authorize(*context, &who);
  if (!auth.ok()) return auth;
  if (o_.envelope == nullptr) {
    return ToGrpc(absl::FailedPreconditionError("the admin API has no keyring"));
  }
  absl::StatusOr<std::vector<KekVersionCount>> counts = o_.store->CountKekVersions();
  if (!counts.ok()) return ToGrpc(counts.status());
  std::vector<kek::ColumnCount> columns;
  for (const KekVersionCount& c : *counts) {
    columns.push_back({std::string(SealedColumnName(c.column)), c.kek_version, c.rows});
  }
  kek::FillKekStatus(*o_.envelope, columns, response);
  return grpc::Status::OK;
}

grpc::Status MafAdminServiceImpl::RewrapBatch(grpc::ServerContext* context,
                                              const v1::RewrapBatchRequest* request,
                                              v1::RewrapBatchResponse* response) {
  std::string who;
  grpc::Status auth = Authorize(*context, &who);
  if (!auth.ok()) return auth;
  if (o_.envelope == nullptr) {
    return ToGrpc(absl::FailedPreconditionError("the admin API has no keyring"));
  }
  absl::StatusOr<int> batch = kek::RewrapBatchSize(*request);
  if (!batch.ok()) return ToGrpc(batch.status());
  const crypto::Envelope& envelope = *o_.envelope;
  absl::StatusOr<int32_t> active = kek::ActiveVersion(envelope);
  if (!active.ok()) return ToGrpc(active.status());
  // Km is bound to its KmID, a distributed key to its Key Identifier (docs/protocol.md section 8).
  Resealer reseal = kek::ResealerUnderActive<SealedColumn, SealedKey>(envelope, *active);
  absl::StatusOr<RewrapResult> r = o_.store->RewrapBatch(*active, *batch, reseal);
  Audit("maf_admin_kek_rewrap_batch", {{"caller", who},
                                       {"kek_version", absl::StrCat(*active)},
                                       {"outcome", r.ok() ? "ok" : r.status().ToString()},
                                       {"rewrapped", r.ok() ? absl::StrCat(r->rewrapped) : "0"},
                                       {"left", r.ok() ? absl::StrCat(r->left) : "-"}});
  if (!r.ok()) return ToGrpc(r.status());
  response->set_active_kek_version(static_cast<uint32_t>(*active));
  response->set_rows_done(r->rewrapped);
  response->set_rows_raced(r->raced);
  response->set_rows_left(r->left);
  return grpc::Status::OK;
}

}  // namespace maf
}  // namespace onem2m

// File: maf/grpc/maf_admin_service.h
//
// MafAdminServiceImpl is the operators' view of MAF credentials, clients and keys, and their
// emergency brake (proto/onem2m/rsp/v1/maf_admin.proto): list/get credentials (the Km learned from
// MEFs), clients and keys (metadata only, never key material), revoke a credential (its Km, KmID,
// KeID, clients and keys), a client (the same through its Km) or one key. Callers are
// authenticated by mutual TLS; one of their DNS names must be in the admin allow-list. Mutations
// are audited.
//
//   MafAdminServiceOptions o;
//   o.store = store.get();
//   o.admins = {"ops.example.com"};
//   o.on_client_revoked = [resolver](const crypto::KeyId& km_id) { resolver->ForgetKmId(km_id); };
//   MafAdminServiceImpl admin(std::move(o));
//   builder.RegisterService(&admin);
//
// Thread safety: handlers run concurrently; the store must outlive the service.
#ifndef ONEM2M_MAF_GRPC_MAF_ADMIN_SERVICE_H_
#define ONEM2M_MAF_GRPC_MAF_ADMIN_SERVICE_H_

#include <grpcpp/grpcpp.h>

#include <functional>
#include <set>
#include <string>

#include "common/crypto/envelope.h"
#include "common/crypto/key_id.h"
#include "maf/store/maf_store.h"
#include "proto/onem2m/rsp/v1/maf_admin.grpc.pb.h"

namespace onem2m {
namespace maf {

struct MafAdminServiceOptions {
  MafStore* store = nullptr;           // not owned
  std::set<std::string> admins;        // DNS identities allowed to call
  const Clock* clock = Clock::Real();  // for effective states; not owned
  // on_client_revoked runs after a client's or a credential's revocation committed, with the KmID,
  // so this replica's KmResolver drops the cached Km at once (other replicas' caches expire within
  // their cache_ttl).
  std::function<void(const crypto::KeyId& km_id)> on_client_revoked;
  // envelope: the MAF's keyring, for KekStatus and RewrapBatch (not owned; must outlive the
  // service). Without it those two calls answer FAILED_PRECONDITION.
  const crypto::Envelope* envelope = nullptr;
};

class MafAdminServiceImpl final : public rsp::v1::MafAdminService::Service {
 public:
  explicit MafAdminServiceImpl(MafAdminServiceOptions options);

  // MafAdminService:
  grpc::Status ListCredentials(grpc::ServerContext* context,
                               const rsp::v1::ListCredentialsRequest* request,
                               rsp::v1::ListCredentialsResponse* response) override;
  grpc::Status GetCredential(grpc::ServerContext* context,
                             const rsp::v1::GetCredentialRequest* request,
                             rsp::v1::MafCredential* response) override;
  grpc::Status RevokeCredential(grpc::ServerContext* context,
                                const rsp::v1::RevokeCredentialRequest* request,
                                rsp::v1::MafCredential* response) override;
  grpc::Status ListClients(grpc::ServerContext* context, const rsp::v1::ListClientsRequest* request,
                           rsp::v1::ListClientsResponse* response) override;
  grpc::Status GetClient(grpc::ServerContext* context, const rsp::v1::GetClientRequest* request,
                         rsp::v1::MafClient* response) override;
  grpc::Status ListKeys(grpc::ServerContext* context, const rsp::v1::ListKeysRequest* request,
                        rsp::v1::ListKeysResponse* response) override;
  grpc::Status GetKey(grpc::ServerContext* context, const rsp::v1::GetMafKeyRequest* request,
                      rsp::v1::MafKey* response) override;
  grpc::Status RevokeClient(grpc::ServerContext* context,
                            const rsp::v1::RevokeClientRequest* request,
                            rsp::v1::MafClient* response) override;
  grpc::Status RevokeKey(grpc::ServerContext* context, const rsp::v1::RevokeKeyRequest* request,
                         rsp::v1::MafKey* response) override;
  grpc::Status KekStatus(grpc::ServerContext* context, const rsp::v1::KekStatusRequest* request,
                         rsp::v1::KekStatusResponse* response) override;
  grpc::Status RewrapBatch(grpc::ServerContext* context, const rsp::v1::RewrapBatchRequest* request,
                           rsp::v1::RewrapBatchResponse* response) override;

 private:
  // Authorize returns OK with the caller's admin identity in `out_identity`, or UNAUTHENTICATED /
  // PERMISSION_DENIED.
  grpc::Status Authorize(const grpc::ServerContext& context, std::string* out_identity) const;
  // ForgetCached tells on_client_revoked (if set) of a revoked KmID.
  void ForgetCached(const crypto::KeyId& km_id) const;
  // FindClient resolves a GetClient/RevokeClient selector.
  absl::StatusOr<MafClient> FindClient(bool by_reg_id, const std::string& reg_id, bool by_km_id,
                                       const std::string& km_id) const;
  // FindCredential resolves a GetCredential/RevokeCredential selector (KmID or KeID, either hex
  // case); kInvalidArgument for no or a malformed selector.
  absl::StatusOr<MafCredential> FindCredential(bool by_km_id, const std::string& km_id,
                                               bool by_ke_id, const std::string& ke_id) const;
  absl::Time Now() const { return o_.clock->Now(); }

  MafAdminServiceOptions o_;
};

}  // namespace maf
}  // namespace onem2m

#endif  // ONEM2M_MAF_GRPC_MAF_ADMIN_SERVICE_H_

// File: maf/grpc/maf_key_service.h
//
// MafKeyServiceImpl serves Key Retrieval (TS-0003 8.8.2.8) to backend Targets over gRPC with mutual
// TLS (proto/onem2m/rsp/v1/maf_keys.proto): the caller's DNS subject alternative name must be one
// of the key's targetIDs. Every call is audited (caller, Key Identifier, outcome; never the key).
// Unknown, expired, de-registered and revoked keys all get the same NOT_FOUND.
//
//   MafKeyServiceImpl keys(store.get(), &envelope, "maf.example.com");
//   builder.RegisterService(&keys);
//
// Thread safety: handlers run concurrently; the store and envelope must outlive the service.
#ifndef ONEM2M_MAF_GRPC_MAF_KEY_SERVICE_H_
#define ONEM2M_MAF_GRPC_MAF_KEY_SERVICE_H_

#include <grpcpp/grpcpp.h>

#include <string>

#include "common/crypto/envelope.h"
#include "maf/metrics/maf_metrics.h"
#include "maf/store/maf_store.h"
#include "proto/onem2m/rsp/v1/maf_keys.grpc.pb.h"

namespace onem2m {
namespace maf {

class MafKeyServiceImpl final : public rsp::v1::MafKeyService::Service {
 public:
  // `maf_fqdn` is this MAF's FQDN: Key Identifiers naming another FQDN are INVALID_ARGUMENT.
  // Expiry is judged by the store's clock. `metrics`, when set, counts and times every call by
  // outcome (onem2m_maf_key_retrievals_total) and must outlive the service.
  MafKeyServiceImpl(MafStore* store, const crypto::Envelope* envelope, std::string maf_fqdn,
                    MafMetrics* metrics = nullptr);

  // MafKeyService:
  grpc::Status GetKey(grpc::ServerContext* context, const rsp::v1::GetKeyRequest* request,
                      rsp::v1::GetKeyResponse* response) override;

 private:
  MafStore* const store_;
  const crypto::Envelope* const envelope_;
  const std::string maf_fqdn_;
  MafMetrics* const metrics_;
};

}  // namespace maf
}  // namespace onem2m

#endif  // ONEM2M_MAF_GRPC_MAF_KEY_SERVICE_H_

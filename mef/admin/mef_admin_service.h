// File: mef/admin/mef_admin_service.h
//
// MefAdminServiceImpl implements onem2m.rsp.v1.MefAdminService (proto/onem2m/rsp/v1/
// mef_admin.proto) over an EnroleeStore: operators and the factory import pipeline create,
// import, inspect, disable, enable, revoke, delete and re-key Enrolees and list their enrolments.
// It is meant for its own mTLS port (grpcutil::MakeServerCredentials), apart from the MAF-facing
// credential service.
//
//   MefAdminOptions options;
//   options.admin_identities = {"ops.example.com"};
//   crypto::Envelope envelope(*std::move(keyring));
//   EnvelopeKpmSealer sealer(&envelope);
//   absl::StatusOr<std::unique_ptr<MefAdminServiceImpl>> service =
//       MefAdminServiceImpl::Create(store.get(), &sealer, options);
//   if (!service.ok()) return service.status();
//   builder.AddListeningPort(flags.admin_listen, *server_creds);
//   builder.RegisterService(service->get());
//
// Security properties:
// - Authorisation: a DNS name of the caller's verified client certificate must be in
//   `admin_identities`; else PERMISSION_DENIED (UNAUTHENTICATED without a certificate), audited.
// - Kpm is write-only: the request's bytes are moved into SecretBytes and the protobuf field wiped
//   before anything else happens; Kpm is sealed (KpmSealer) before it reaches the store, and no
//   response, log or audit record carries it. (gRPC's own receive buffers are not wiped.)
// - Every mutation writes one audit record (event, actor, kpm_id, outcome; ImportEnrolees one per
//   row plus one for the stream).
//
// ImportEnrolees on failure: see import_batcher.h. When the store fails mid-stream the RPC ends
// with the store's code (usually UNAVAILABLE), a message stating how many rows were stored and the
// first row that was not, and two trailing metadata entries the CLI prints:
//   kImportSummaryMetadataKey       binary ImportEnroleesSummary of the committed prefix
//   kFirstUncommittedRowMetadataKey decimal row reference of the first row not stored
// The same pair accompanies INVALID_ARGUMENT for a stream over max_import_rows.
//
// Thread safety: the service is stateless apart from its const options; every RPC may run
// concurrently (the store and sealer must be thread-safe, as their interfaces promise).
#ifndef ONEM2M_MEF_ADMIN_MEF_ADMIN_SERVICE_H_
#define ONEM2M_MEF_ADMIN_MEF_ADMIN_SERVICE_H_

#include <grpcpp/grpcpp.h>

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <set>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "common/crypto/envelope.h"
#include "common/time/clock.h"
#include "mef/admin/admin_authorizer.h"
#include "mef/admin/kpm_sealer.h"
#include "mef/store/enrolee_store.h"
#include "proto/onem2m/rsp/v1/mef_admin.grpc.pb.h"

namespace onem2m {
namespace mef {

inline constexpr char kImportSummaryMetadataKey[] = "x-onem2m-import-summary-bin";
inline constexpr char kFirstUncommittedRowMetadataKey[] = "x-onem2m-import-first-uncommitted-row";

struct MefAdminOptions {
  // admin_identities: client-certificate DNS names allowed to call the service. Required.
  std::set<std::string> admin_identities;
  // import_batch_size: rows per BulkCreate transaction in ImportEnrolees. Larger batches are
  // faster; a failed batch loses (and reports) at most this many rows of work.
  size_t import_batch_size = 1000;
  // max_import_rows: rows accepted in one ImportEnrolees stream (mef_admin.proto: 100000).
  uint64_t max_import_rows = 100000;
  // clock tells expired enrolments (common/time/clock.h); tests inject a FakeClock. Not owned;
  // must outlive the service.
  const Clock* clock = Clock::Real();
  // envelope: the MEF's keyring, for KekStatus and RewrapBatch (not owned; must outlive the
  // service). Null: those RPCs answer FAILED_PRECONDITION.
  const crypto::Envelope* envelope = nullptr;
};

class MefAdminServiceImpl final : public ::onem2m::rsp::v1::MefAdminService::Service {
 public:
  // Create checks `options` (non-empty admin list, batch size 1..10000) and returns the service.
  // `store` and `sealer` are not owned and must outlive it.
  static absl::StatusOr<std::unique_ptr<MefAdminServiceImpl>> Create(EnroleeStore* store,
                                                                     KpmSealer* sealer,
                                                                     MefAdminOptions options);

  // MefAdminService
  grpc::Status CreateEnrolee(grpc::ServerContext* context,
                             const ::onem2m::rsp::v1::CreateEnroleeRequest* request,
                             ::onem2m::rsp::v1::Enrolee* response) override;
  grpc::Status ImportEnrolees(grpc::ServerContext* context,
                              grpc::ServerReader<::onem2m::rsp::v1::ImportEnroleesRequest>* reader,
                              ::onem2m::rsp::v1::ImportEnroleesSummary* response) override;
  grpc::Status GetEnrolee(grpc::ServerContext* context,
                          const ::onem2m::rsp::v1::GetEnroleeRequest* request,
                          ::onem2m::rsp::v1::Enrolee* response) override;
  grpc::Status ListEnrolees(grpc::ServerContext* context,
                            const ::onem2m::rsp::v1::ListEnroleesRequest* request,
                            ::onem2m::rsp::v1::ListEnroleesResponse* response) override;
  grpc::Status DisableEnrolee(grpc::ServerContext* context,
                              const ::onem2m::rsp::v1::DisableEnroleeRequest* request,
                              ::onem2m::rsp::v1::Enrolee* response) override;
  grpc::Status EnableEnrolee(grpc::ServerContext* context,
                             const ::onem2m::rsp::v1::EnableEnroleeRequest* request,
                             ::onem2m::rsp::v1::Enrolee* response) override;
  grpc::Status RevokeEnrolee(grpc::ServerContext* context,
                             const ::onem2m::rsp::v1::RevokeEnroleeRequest* request,
                             ::onem2m::rsp::v1::Enrolee* response) override;
  grpc::Status DeleteEnrolee(grpc::ServerContext* context,
                             const ::onem2m::rsp::v1::DeleteEnroleeRequest* request,
                             ::onem2m::rsp::v1::DeleteEnroleeResponse* response) override;
  grpc::Status RotateKpm(grpc::ServerContext* context,
                         const ::onem2m::rsp::v1::RotateKpmRequest* request,
                         ::onem2m::rsp::v1::Enrolee* response) override;
  grpc::Status ListEnrolments(grpc::ServerContext* context,
                              const ::onem2m::rsp::v1::ListEnrolmentsRequest* request,
                              ::onem2m::rsp::v1::ListEnrolmentsResponse* response) override;
  grpc::Status SetFetchGrants(grpc::ServerContext* context,
                              const ::onem2m::rsp::v1::SetFetchGrantsRequest* request,
                              ::onem2m::rsp::v1::Enrolee* response) override;
  grpc::Status KekStatus(grpc::ServerContext* context,
                         const ::onem2m::rsp::v1::KekStatusRequest* request,
                         ::onem2m::rsp::v1::KekStatusResponse* response) override;
  grpc::Status RewrapBatch(grpc::ServerContext* context,
                           const ::onem2m::rsp::v1::RewrapBatchRequest* request,
                           ::onem2m::rsp::v1::RewrapBatchResponse* response) override;

 private:
  MefAdminServiceImpl(EnroleeStore* store, KpmSealer* sealer, MefAdminOptions options)
      : store_(store),
        sealer_(sealer),
        options_(std::move(options)),
        authorizer_(options_.admin_identities) {}

  // Authorize returns the caller's admin identity or the status to answer (audited on refusal).
  absl::StatusOr<std::string> Authorize(const grpc::ServerContext& context,
                                        absl::string_view rpc) const;
  // ChangeState runs Disable/Enable/Revoke.
  grpc::Status ChangeState(grpc::ServerContext* context, absl::string_view rpc,
                           const std::string& kpm_id, const std::string& reason,
                           EnroleeState target, ::onem2m::rsp::v1::Enrolee* response);
  // InvalidateEnrolments revokes every unrevoked enrolment of `kpm_id` (after RotateKpm).
  // FillGrants adds the enrolee's stored fetch grants to `out` (reads of Enrolee carry none).
  absl::Status FillGrants(const std::string& kpm_id, ::onem2m::rsp::v1::Enrolee* out);
  absl::Status InvalidateEnrolments(const std::string& kpm_id, int* out_revoked);

  EnroleeStore* const store_;
  KpmSealer* const sealer_;
  const MefAdminOptions options_;
  const AdminAuthorizer authorizer_;
};

}  // namespace mef
}  // namespace onem2m

#endif  // ONEM2M_MEF_ADMIN_MEF_ADMIN_SERVICE_H_

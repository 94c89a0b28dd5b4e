// MefAdminService's keyring RPCs (docs/operations.md key rotation): how many sealed columns each
// KEK version holds, and one batch of rewrapping under the active version. See
// mef_admin_service.h.
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/grpc/mtls.h"
#include "common/kek/kek_admin.h"
#include "common/log/logger.h"
#include "mef/admin/admin_rpc_common.h"
#include "mef/admin/mef_admin_service.h"

namespace onem2m {
namespace mef {
namespace {

namespace v1 = ::onem2m::rsp::v1;
using admin_rpc::Outcome;
using grpcutil::ToGrpcStatus;

}  // namespace

grpc::Status MefAdminServiceImpl::KekStatus(grpc::ServerContext* context,
                                            const v1::KekStatusRequest* /*request*/,
                                            v1::KekStatusResponse* response) {
  absl::StatusOr<std::string> who = Authorize(*context, "KekStatus");
  if (!who.ok()) return ToGrpcStatus(who.status());
  if (options_.envelope == nullptr) {
    return ToGrpcStatus(absl::FailedPreconditionError("the admin API has no keyring"));
  }
  absl::StatusOr<std::vector<KekVersionCount>> counts = store_->CountKekVersions();
  if (!counts.ok()) return ToGrpcStatus(counts.status());
  std::vector<kek::ColumnCount> columns;
  for (const KekVersionCount& c : *counts) {
    columns.push_back({std::string(SealedColumnName(c.column)), c.kek_version, c.rows});
  }
  kek::FillKekStatus(*options_.envelope, columns, response);
  return grpc::Status::OK;
}

grpc::Status MefAdminServiceImpl::RewrapBatch(grpc::ServerContext* context,
                                              const v1::RewrapBatchRequest* request,
                                              v1::RewrapBatchResponse* response) {
  absl::StatusOr<std::string> who = Authorize(*context, "RewrapBatch");
  if (!who.ok()) return ToGrpcStatus(who.status());
  if (options_.envelope == nullptr) {
    return ToGrpcStatus(absl::FailedPreconditionError("the admin API has no keyring"));
  }
  absl::StatusOr<int> batch = kek::RewrapBatchSize(*request);
  if (!batch.ok()) return ToGrpcStatus(batch.status());
  const crypto::Envelope& envelope = *options_.envelope;
  absl::StatusOr<int32_t> active = kek::ActiveVersion(envelope);
  if (!active.ok()) return ToGrpcStatus(active.status());
  // The id is the associated data both blobs are bound to (kpm_id for Kpm, ke_id for Ke).
  Resealer reseal = kek::ResealerUnderActive<SealedColumn, SealedKey>(envelope, *active);
  absl::StatusOr<RewrapResult> r = store_->RewrapBatch(*active, *batch, reseal);
  Audit("kek_rewrap_batch",
        {{"actor", *who},
         {"kek_version", absl::StrCat(*active)},
         {"outcome", Outcome(r.status())},
         {"rewrapped", r.ok() ? absl::StrCat(r->rewrapped) : "0"},
         {"left", r.ok() ? absl::StrCat(r->left) : "-"},
         {"detail", r.ok() ? std::string() : std::string(r.status().message())}});
  if (!r.ok()) return ToGrpcStatus(r.status());
  response->set_active_kek_version(static_cast<uint32_t>(*active));
  response->set_rows_done(r->rewrapped);
  response->set_rows_raced(r->raced);
  response->set_rows_left(r->left);
  return grpc::Status::OK;
}

}  // namespace mef
}  // namespace onem2m

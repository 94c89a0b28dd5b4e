// MefAdminService's lifecycle RPCs: an enrolee's state (disable, enable, revoke), its deletion
// (its enrolments invalidated first) and the rotation of its Kpm. See mef_admin_service.h.
#include <string>

#include "absl/strings/str_cat.h"
#include "common/grpc/mtls.h"
#include "mef/admin/admin_rpc_common.h"
#include "mef/admin/enrolee_validation.h"
#include "mef/admin/mef_admin_service.h"
#include "mef/admin/proto_convert.h"

namespace onem2m {
namespace mef {
namespace {

namespace v1 = ::onem2m::rsp::v1;
using admin_rpc::AuditMutation;
using admin_rpc::kMaxPageSize;
using admin_rpc::SetActor;
using admin_rpc::WipeKpmField;
using grpcutil::ToGrpcStatus;

}  // namespace

grpc::Status MefAdminServiceImpl::ChangeState(grpc::ServerContext* context, absl::string_view rpc,
                                              const std::string& kpm_id, const std::string& reason,
                                              EnroleeState target, v1::Enrolee* response) {
  absl::StatusOr<std::string> who = Authorize(*context, rpc);
  if (!who.ok()) return ToGrpcStatus(who.status());
  absl::Status s = ValidateKpmIdField(kpm_id);
  if (s.ok()) s = ValidateReason(reason, /*required=*/target == EnroleeState::kRevoked);
  absl::StatusOr<Enrolee> e = s.ok() ? store_->SetState(kpm_id, target) : s;
  AuditMutation(absl::StrCat("enrolee_", EnroleeStateName(target)), *who, kpm_id, e.status(),
                reason);
  if (!e.ok()) return ToGrpcStatus(e.status());
  *response = EnroleeToProto(*e);
  v1::StateChange* change = response->mutable_last_state_change();
  SetActor(*who, change->mutable_actor());
  SetTimestamp(e->updated_at, change->mutable_time());
  change->set_reason(reason);
  return grpc::Status::OK;
}

grpc::Status MefAdminServiceImpl::DisableEnrolee(grpc::ServerContext* context,
                                                 const v1::DisableEnroleeRequest* request,
                                                 v1::Enrolee* response) {
  return ChangeState(context, "DisableEnrolee", request->kpm_id(), request->reason(),
                     EnroleeState::kDisabled, response);
}

grpc::Status MefAdminServiceImpl::EnableEnrolee(grpc::ServerContext* context,
                                                const v1::EnableEnroleeRequest* request,
                                                v1::Enrolee* response) {
  return ChangeState(context, "EnableEnrolee", request->kpm_id(), request->reason(),
                     EnroleeState::kActive, response);
}

grpc::Status MefAdminServiceImpl::RevokeEnrolee(grpc::ServerContext* context,
                                                const v1::RevokeEnroleeRequest* request,
                                                v1::Enrolee* response) {
  return ChangeState(context, "RevokeEnrolee", request->kpm_id(), request->reason(),
                     EnroleeState::kRevoked, response);
}

grpc::Status MefAdminServiceImpl::DeleteEnrolee(grpc::ServerContext* context,
                                                const v1::DeleteEnroleeRequest* request,
                                                v1::DeleteEnroleeResponse* response) {
  absl::StatusOr<std::string> who = Authorize(*context, "DeleteEnrolee");
  if (!who.ok()) return ToGrpcStatus(who.status());
  const std::string& kpm_id = request->kpm_id();
  absl::Status s = ValidateKpmIdField(kpm_id);
  if (s.ok()) s = ValidateReason(request->reason(), /*required=*/false);
  // Count the enrolments first: the store's delete does not report them. Under a concurrent
  // bootstrap the count may be off by the racing enrolment; the delete itself is still complete.
  uint32_t count = 0;
  ListEnrolmentsRequest list;
  list.kpm_id = kpm_id;
  list.page_size = kMaxPageSize;
  while (s.ok()) {
    absl::StatusOr<ListEnrolmentsResponse> page = store_->ListEnrolments(list);
    if (!page.ok()) {
      s = page.status();
      break;
    }
    count += static_cast<uint32_t>(page->enrolments.size());
    if (page->next_page_token.empty()) break;
    list.page_token = page->next_page_token;
  }
  if (s.ok()) s = store_->DeleteEnrolee(kpm_id);
  AuditMutation("enrolee_delete", *who, kpm_id, s, request->reason());
  if (!s.ok()) return ToGrpcStatus(s);
  response->set_deleted_enrolment_count(count);
  return grpc::Status::OK;
}

absl::Status MefAdminServiceImpl::InvalidateEnrolments(const std::string& kpm_id,
                                                       int* out_revoked) {
  *out_revoked = 0;
  ListEnrolmentsRequest list;
  list.kpm_id = kpm_id;
  list.page_size = kMaxPageSize;
  for (;;) {
    absl::StatusOr<ListEnrolmentsResponse> page = store_->ListEnrolments(list);
    if (!page.ok()) return page.status();
    for (const Enrolment& e : page->enrolments) {
      if (e.revoked) continue;
      absl::Status s = store_->RevokeEnrolment(e.ke_id);
      if (!s.ok() && s.code() != absl::StatusCode::kNotFound) return s;
      ++*out_revoked;
    }
    if (page->next_page_token.empty()) return absl::OkStatus();
    list.page_token = page->next_page_token;
  }
}

grpc::Status MefAdminServiceImpl::RotateKpm(grpc::ServerContext* context,
                                            const v1::RotateKpmRequest* request,
                                            v1::Enrolee* response) {
  SecretBytes kpm = SecretBytes::Copy(request->new_kpm());
  WipeKpmField(request->new_kpm());
  absl::StatusOr<std::string> who = Authorize(*context, "RotateKpm");
  if (!who.ok()) return ToGrpcStatus(who.status());
  const std::string& kpm_id = request->kpm_id();
  absl::Status s = ValidateKpmIdField(kpm_id);
  if (s.ok()) s = ValidateKpmSize("new_kpm", kpm.size());
  if (s.ok()) s = ValidateReason(request->reason(), /*required=*/false);
  SealedKey sealed;
  if (s.ok()) {
    absl::StatusOr<SealedKey> sk = sealer_->Seal(kpm, kpm_id);
    s = sk.status();
    if (s.ok()) sealed = *std::move(sk);
  }
  kpm.Clear();
  absl::StatusOr<Enrolee> e = s.ok() ? store_->RotateKpm(kpm_id, sealed) : s;
  WipeString(&sealed.ciphertext);
  // mef_admin.proto: the old Kpm's enrolments must stop working. The store's RotateKpm leaves them,
  // so revoke them here (each revocation reaches MAF replicas through the change feed).
  int revoked = 0;
  absl::Status inv = e.ok() ? InvalidateEnrolments(kpm_id, &revoked) : absl::OkStatus();
  if (!inv.ok()) {
    e = absl::Status(inv.code(),
                     absl::StrCat("Kpm was replaced but invalidating the old enrolments failed "
                                  "after ",
                                  revoked, " of them: ", inv.message(),
                                  "; retry RotateKpm with the same new Kpm"));
  }
  AuditMutation("enrolee_rotate_kpm", *who, kpm_id, e.status(), request->reason());
  if (!e.ok()) return ToGrpcStatus(e.status());
  *response = EnroleeToProto(*e);
  SetTimestamp(e->updated_at, response->mutable_kpm_set_time());
  return grpc::Status::OK;
}

}  // namespace mef
}  // namespace onem2m

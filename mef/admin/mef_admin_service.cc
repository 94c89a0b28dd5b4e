#include "mef/admin/mef_admin_service.h"

#include <algorithm>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/grpc/mtls.h"
#include "common/kek/kek_admin.h"
#include "common/log/logger.h"
#include "common/paging/page_token.h"
#include "common/secret_bytes.h"
#include "mef/admin/enrolee_validation.h"
#include "mef/admin/import_batcher.h"
#include "mef/admin/proto_convert.h"

namespace onem2m {
namespace mef {
namespace {

namespace v1 = ::onem2m::rsp::v1;
using grpcutil::ToGrpcStatus;

constexpr int kDefaultPageSize = 100;
constexpr int kMaxPageSize = 1000;
// A filtered list scans at most this many store pages per call and then returns a short page
// with a token, so one request cannot pin a store connection for a full-table scan.
constexpr int kMaxStorePagesPerList = 20;

absl::StatusOr<int> PageSize(int32_t requested) {
  if (requested < 0) return absl::InvalidArgumentError("page_size: must not be negative");
  if (requested == 0) return kDefaultPageSize;
  return std::min<int>(requested, kMaxPageSize);
}

std::string Outcome(const absl::Status& s) {
  return std::string(absl::StatusCodeToString(s.code()));
}

void AuditMutation(absl::string_view event, const std::string& actor, const std::string& kpm_id,
                   const absl::Status& outcome, const std::string& reason = "") {
  Audit(event, {{"actor", actor},
                {"kpm_id", kpm_id},
                {"outcome", Outcome(outcome)},
                {"reason", reason},
                {"detail", outcome.ok() ? std::string() : std::string(outcome.message())}});
}

// WipeKpmField wipes a Kpm that arrived in a const request. The synchronous API hands requests
// as const, but the message is a heap object gRPC created for this call and nothing reads the
// field after us, so removing const to scrub it is sound.
void WipeKpmField(const std::string& field) { WipeString(const_cast<std::string*>(&field)); }

void SetActor(const std::string& identity, v1::AuditActor* out) { out->set_identity(identity); }

// ImportFailure ends an ImportEnrolees stream that did not complete: the summary of the
// committed prefix goes into trailing metadata and the message says where the stored rows end.
grpc::Status ImportFailure(grpc::ServerContext* context, const ImportBatcher& batcher,
                           const absl::Status& cause, const std::string& actor) {
  const v1::ImportEnroleesSummary summary = batcher.Summary();
  std::string first_row = batcher.first_uncommitted_row() == 0
                              ? std::string("none")
                              : absl::StrCat(batcher.first_uncommitted_row());
  context->AddTrailingMetadata(kImportSummaryMetadataKey, summary.SerializeAsString());
  context->AddTrailingMetadata(kFirstUncommittedRowMetadataKey, first_row);
  Audit("enrolee_import", {{"actor", actor},
                           {"outcome", Outcome(cause)},
                           {"received", absl::StrCat(summary.received_count())},
                           {"accepted", absl::StrCat(summary.accepted_count())},
                           {"rejected", absl::StrCat(summary.rejected_count())},
                           {"first_uncommitted_row", first_row}});
  return ToGrpcStatus(absl::Status(
      cause.code(),
      absl::StrCat("import stopped: ", cause.message(), "; ", summary.accepted_count(),
                   " rows were stored and ", summary.rejected_count(),
                   " rejected (see summary) out of ", summary.received_count(),
                   " received; stream positions before ", batcher.first_uncommitted_position(),
                   " are final; nothing from row ", first_row, " (stream position ",
                   batcher.first_uncommitted_position(),
                   ") on was stored; re-send from there, or re-send everything: stored rows come "
                   "back as ALREADY_EXISTS")));
}

}  // namespace

absl::StatusOr<std::unique_ptr<MefAdminServiceImpl>> MefAdminServiceImpl::Create(
    EnroleeStore* store, KpmSealer* sealer, MefAdminOptions options) {
  if (store == nullptr || sealer == nullptr) {
    return absl::InvalidArgumentError("MefAdminServiceImpl needs a store and a sealer");
  }
  if (options.admin_identities.empty()) {
    return absl::InvalidArgumentError("MefAdminServiceImpl: admin_identities is empty");
  }
  if (options.import_batch_size == 0 || options.import_batch_size > 10000) {
    return absl::InvalidArgumentError("MefAdminServiceImpl: import_batch_size must be 1..10000");
  }
  if (options.clock == nullptr) options.clock = Clock::Real();
  return std::unique_ptr<MefAdminServiceImpl>(
      new MefAdminServiceImpl(store, sealer, std::move(options)));
}

absl::StatusOr<std::string> MefAdminServiceImpl::Authorize(const grpc::ServerContext& context,
                                                           absl::string_view rpc) const {
  const std::vector<std::string> names = grpcutil::PeerDnsNames(context);
  absl::StatusOr<std::string> who = authorizer_.Authorize(names);
  if (!who.ok()) {
    Audit("mef_admin_denied", {{"rpc", std::string(rpc)},
                               {"peer", names.empty() ? std::string() : names.front()},
                               {"outcome", Outcome(who.status())}});
  }
  return who;
}

grpc::Status MefAdminServiceImpl::CreateEnrolee(grpc::ServerContext* context,
                                                const v1::CreateEnroleeRequest* request,
                                                v1::Enrolee* response) {
  SecretBytes kpm = SecretBytes::Copy(request->kpm());
  WipeKpmField(request->kpm());
  absl::StatusOr<std::string> who = Authorize(*context, "CreateEnrolee");
  if (!who.ok()) return ToGrpcStatus(who.status());

  const std::string& kpm_id = request->spec().kpm_id();
  absl::StatusOr<Enrolee> enrolee = SpecToEnrolee(request->spec());
  absl::Status s = enrolee.status();
  if (s.ok()) s = ValidateKpmSize("kpm", kpm.size());
  if (s.ok()) {
    absl::StatusOr<SealedKey> sealed = sealer_->Seal(kpm, kpm_id);
    s = sealed.status();
    if (s.ok()) enrolee->kpm = *std::move(sealed);
  }
  kpm.Clear();
  absl::StatusOr<Enrolee> created = s.ok() ? store_->CreateEnrolee(*enrolee) : s;
  if (enrolee.ok()) WipeString(&enrolee->kpm.ciphertext);
  AuditMutation("enrolee_create", *who, kpm_id, created.status());
  if (!created.ok()) return ToGrpcStatus(created.status());
  *response = EnroleeToProto(*created);
  SetGrants(enrolee->fetch_grants, response->mutable_spec());
  SetActor(*who, response->mutable_created_by());
  SetTimestamp(created->created_at, response->mutable_kpm_set_time());
  return grpc::Status::OK;
}

grpc::Status MefAdminServiceImpl::ImportEnrolees(
    grpc::ServerContext* context, grpc::ServerReader<v1::ImportEnroleesRequest>* reader,
    v1::ImportEnroleesSummary* response) {
  absl::StatusOr<std::string> who = Authorize(*context, "ImportEnrolees");
  if (!who.ok()) return ToGrpcStatus(who.status());

  ImportBatcher batcher(store_, sealer_, options_.import_batch_size, *who);
  v1::ImportEnroleesRequest row;
  while (reader->Read(&row)) {
    if (batcher.received_count() >= options_.max_import_rows) {
      WipeString(row.mutable_enrolee()->mutable_kpm());
      // Keep what came before the limit, as the proto promises.
      absl::Status flushed = batcher.Flush();
      if (!flushed.ok()) return ImportFailure(context, batcher, flushed, *who);
      return ImportFailure(
          context, batcher,
          absl::InvalidArgumentError(absl::StrCat("more than ", options_.max_import_rows,
                                                  " rows in one stream; split the file")),
          *who);
    }
    absl::Status s = batcher.Add(&row);
    if (!s.ok()) return ImportFailure(context, batcher, s, *who);
  }
  if (context->IsCancelled()) {
    // The client went away: it cannot learn the outcome of the buffered rows, so they are not
    // written; everything already committed stays (re-sending reports it as ALREADY_EXISTS).
    batcher.DropPending();
    return ImportFailure(context, batcher, absl::CancelledError("client cancelled the stream"),
                         *who);
  }
  absl::Status s = batcher.Flush();
  if (!s.ok()) return ImportFailure(context, batcher, s, *who);
  *response = batcher.Summary();
  Audit("enrolee_import", {{"actor", *who},
                           {"outcome", "OK"},
                           {"received", absl::StrCat(response->received_count())},
                           {"accepted", absl::StrCat(response->accepted_count())},
                           {"rejected", absl::StrCat(response->rejected_count())}});
  return grpc::Status::OK;
}

grpc::Status MefAdminServiceImpl::GetEnrolee(grpc::ServerContext* context,
                                             const v1::GetEnroleeRequest* request,
                                             v1::Enrolee* response) {
  absl::StatusOr<std::string> who = Authorize(*context, "GetEnrolee");
  if (!who.ok()) return ToGrpcStatus(who.status());
  absl::Status s = ValidateKpmIdField(request->kpm_id());
  if (!s.ok()) return ToGrpcStatus(s);
  absl::StatusOr<Enrolee> e = store_->GetEnrolee(request->kpm_id());
  if (!e.ok()) return ToGrpcStatus(e.status());
  *response = EnroleeToProto(*e);
  s = FillGrants(e->kpm_id, response);
  if (!s.ok()) return ToGrpcStatus(s);
  return grpc::Status::OK;
}

absl::Status MefAdminServiceImpl::FillGrants(const std::string& kpm_id, v1::Enrolee* out) {
  absl::StatusOr<std::vector<FetchGrant>> grants = store_->GetFetchGrants(kpm_id);
  if (grants.status().code() == absl::StatusCode::kUnimplemented) return absl::OkStatus();
  if (!grants.ok()) return grants.status();
  SetGrants(*grants, out->mutable_spec());
  return absl::OkStatus();
}

grpc::Status MefAdminServiceImpl::SetFetchGrants(grpc::ServerContext* context,
                                                 const v1::SetFetchGrantsRequest* request,
                                                 v1::Enrolee* response) {
  absl::StatusOr<std::string> who = Authorize(*context, "SetFetchGrants");
  if (!who.ok()) return ToGrpcStatus(who.status());
  const std::string& kpm_id = request->kpm_id();
  absl::Status s = ValidateKpmIdField(kpm_id);
  absl::StatusOr<std::vector<FetchGrant>> grants = GrantsFromProto(request->fetch_grants());
  if (s.ok()) s = grants.status();
  if (s.ok()) s = store_->SetFetchGrants(kpm_id, *grants);
  absl::StatusOr<Enrolee> e = s.ok() ? store_->GetEnrolee(kpm_id) : s;
  AuditMutation("enrolee_set_fetch_grants", *who, kpm_id, e.status());
  if (!e.ok()) return ToGrpcStatus(e.status());
  *response = EnroleeToProto(*e);
  SetGrants(*grants, response->mutable_spec());
  return grpc::Status::OK;
}

grpc::Status MefAdminServiceImpl::ListEnrolees(grpc::ServerContext* context,
                                               const v1::ListEnroleesRequest* request,
                                               v1::ListEnroleesResponse* response) {
  absl::StatusOr<std::string> who = Authorize(*context, "ListEnrolees");
  if (!who.ok()) return ToGrpcStatus(who.status());
  absl::StatusOr<int> page_size = PageSize(request->page_size());
  if (!page_size.ok()) return ToGrpcStatus(page_size.status());
  absl::StatusOr<std::optional<EnroleeState>> state = StateFromProto(request->state_filter());
  if (!state.ok()) return ToGrpcStatus(state.status());
  const std::string& maf = request->maf_id_filter();
  const std::string filter_key = absl::StrCat("s=", request->state_filter(), ";m=", maf);
  absl::StatusOr<std::string> token = paging::DecodePageToken(request->page_token(), filter_key);
  if (!token.ok()) return ToGrpcStatus(token.status());

  // The store filters by state; the MAF-ID filter is applied here. Each store page asks for
  // exactly the rows still missing, so every row of every store page is examined and the store's
  // next token is always a correct resume point.
  ListEnroleesRequest store_request;
  store_request.state = *state;
  store_request.page_token = *token;
  std::string next;
  for (int pages = 0; pages < kMaxStorePagesPerList; ++pages) {
    store_request.page_size = *page_size - response->enrolees_size();
    absl::StatusOr<ListEnroleesResponse> page = store_->ListEnrolees(store_request);
    if (!page.ok()) return ToGrpcStatus(page.status());
    for (const Enrolee& e : page->enrolees) {
      if (!maf.empty() && e.maf_id != maf) continue;
      *response->add_enrolees() = EnroleeToProto(e);
    }
    next = page->next_page_token;
    if (next.empty() || response->enrolees_size() >= *page_size) break;
    store_request.page_token = next;
  }
  response->set_next_page_token(paging::EncodePageToken(filter_key, next));
  return grpc::Status::OK;
}

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

grpc::Status MefAdminServiceImpl::ListEnrolments(grpc::ServerContext* context,
                                                 const v1::ListEnrolmentsRequest* request,
                                                 v1::ListEnrolmentsResponse* response) {
  absl::StatusOr<std::string> who = Authorize(*context, "ListEnrolments");
  if (!who.ok()) return ToGrpcStatus(who.status());
  if (request->selector_case() == v1::ListEnrolmentsRequest::kEnroleeId) {
    // The store indexes enrolments by KpmID only; a scan by Enrolee-ID is not offered yet.
    return ToGrpcStatus(absl::UnimplementedError(
        "selecting enrolments by enrolee_id is not supported yet; select by kpm_id"));
  }
  if (request->selector_case() != v1::ListEnrolmentsRequest::kKpmId) {
    return ToGrpcStatus(absl::InvalidArgumentError("selector: kpm_id is required"));
  }
  const std::string& kpm_id = request->kpm_id();
  absl::Status s = ValidateKpmIdField(kpm_id);
  if (!s.ok()) return ToGrpcStatus(s);
  absl::StatusOr<int> page_size = PageSize(request->page_size());
  if (!page_size.ok()) return ToGrpcStatus(page_size.status());
  const std::string filter_key =
      absl::StrCat("k=", kpm_id, ";i=", request->include_invalidated() ? 1 : 0);
  absl::StatusOr<std::string> token = paging::DecodePageToken(request->page_token(), filter_key);
  if (!token.ok()) return ToGrpcStatus(token.status());
  absl::StatusOr<Enrolee> enrolee = store_->GetEnrolee(kpm_id);
  if (!enrolee.ok()) return ToGrpcStatus(enrolee.status());
  // Every enrolment of a non-active Enrolee is unusable, whatever its own flag says.
  const bool all_invalid = enrolee->state != EnroleeState::kActive;
  const absl::Time now = options_.clock->Now();

  ListEnrolmentsRequest store_request;
  store_request.kpm_id = kpm_id;
  store_request.page_token = *token;
  std::string next;
  for (int pages = 0; pages < kMaxStorePagesPerList; ++pages) {
    store_request.page_size = *page_size - response->enrolments_size();
    absl::StatusOr<ListEnrolmentsResponse> page = store_->ListEnrolments(store_request);
    if (!page.ok()) return ToGrpcStatus(page.status());
    for (const Enrolment& e : page->enrolments) {
      v1::Enrolment out = EnrolmentToProto(e, now);
      if (all_invalid) out.set_invalidated(true);
      if (out.invalidated() && !request->include_invalidated()) continue;
      *response->add_enrolments() = std::move(out);
    }
    next = page->next_page_token;
    if (next.empty() || response->enrolments_size() >= *page_size) break;
    store_request.page_token = next;
  }
  response->set_next_page_token(paging::EncodePageToken(filter_key, next));
  return grpc::Status::OK;
}

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

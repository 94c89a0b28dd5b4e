#include "mef/admin/mef_admin_service.h"

#include <algorithm>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/grpc/mtls.h"
#include "common/log/logger.h"
#include "common/paging/page_token.h"
#include "common/secret_bytes.h"
#include "mef/admin/admin_rpc_common.h"
#include "mef/admin/enrolee_validation.h"
#include "mef/admin/import_batcher.h"
#include "mef/admin/proto_convert.h"

namespace onem2m {
namespace mef {
namespace {

namespace v1 = ::onem2m::rsp::v1;
using admin_rpc::AuditMutation;
using admin_rpc::kMaxStorePagesPerList;
using admin_rpc::Outcome;
using admin_rpc::PageSize;
using admin_rpc::SetActor;
using admin_rpc::WipeKpmField;
using grpcutil::ToGrpcStatus;

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

}  // namespace mef
}  // namespace onem2m

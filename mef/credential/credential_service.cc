#include "mef/credential/credential_service.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/crypto/key_derivation.h"
#include "common/crypto/key_id.h"
#include "common/grpc/mtls.h"
#include "common/log/logger.h"
#include "common/secret_bytes.h"

namespace onem2m {
namespace mef {
namespace {

namespace v1 = ::onem2m::rsp::v1;

constexpr uint32_t kDefaultHeartbeatMs = 250;
constexpr uint32_t kMinHeartbeatMs = 100;
constexpr uint32_t kMaxHeartbeatMs = 1000;
// Untrusted KeIDs are quoted in the audit log only up to this length (a valid one is <= 286).
constexpr size_t kMaxAuditedKeIdLen = 300;

void SetTime(absl::Time t, google::protobuf::Timestamp* out) {
  const int64_t s = absl::ToUnixSeconds(t);
  out->set_seconds(s);
  out->set_nanos(static_cast<int32_t>(absl::ToInt64Nanoseconds(t - absl::FromUnixSeconds(s))));
}

grpc::Status NotFound() {
  return grpc::Status(grpc::StatusCode::NOT_FOUND, std::string(kNotFoundMessage));
}

}  // namespace

absl::string_view FetchOutcomeName(FetchOutcome outcome) {
  switch (outcome) {
    case FetchOutcome::kOk:
      return "ok";
    case FetchOutcome::kInvalid:
      return "invalid";
    case FetchOutcome::kUnauthenticated:
      return "unauthenticated";
    case FetchOutcome::kNotFound:
      return "not_found";
    case FetchOutcome::kPermissionDenied:
      return "permission_denied";
    case FetchOutcome::kUnavailable:
      return "unavailable";
    case FetchOutcome::kError:
      return "error";
  }
  return "error";
}

absl::StatusOr<std::unique_ptr<MefCredentialServiceImpl>> MefCredentialServiceImpl::Create(
    EnroleeStore* store, const KeOpener* opener, Options options) {
  if (store == nullptr || opener == nullptr) {
    return absl::InvalidArgumentError("credential service needs a store and a Ke opener");
  }
  if (options.watch_poll_interval < absl::Milliseconds(1) ||
      options.watch_poll_interval > absl::Seconds(1)) {
    return absl::InvalidArgumentError("watch_poll_interval must be 1 ms..1 s");
  }
  if (options.watch_batch_limit < 1) options.watch_batch_limit = 1000;
  if (options.fetch_threads < 1 || options.fetch_batch < 1 || options.fetch_max_waiting < 1) {
    return absl::InvalidArgumentError(
        "fetch_threads, fetch_batch and fetch_max_waiting must be at least 1");
  }
  return std::unique_ptr<MefCredentialServiceImpl>(
      new MefCredentialServiceImpl(store, opener, std::move(options)));
}

MefCredentialServiceImpl::MefCredentialServiceImpl(EnroleeStore* store, const KeOpener* opener,
                                                   Options options)
    : store_(store),
      opener_(opener),
      options_(std::move(options)),
      directory_(store),
      batcher_(
          [this](FetchBatcher::Call* call, grpc::ServerCompletionQueue* cq) {
            RequestFetchCredential(call->context(), call->mutable_request(), call->responder(), cq,
                                   cq, call->tag());
          },
          [this](absl::Span<FetchBatcher::Call* const> batch, FetchBatcher::Turn* turn) {
            FetchBatch(batch, turn);
          },
          {/*threads=*/options_.fetch_threads, /*max_batch=*/options_.fetch_batch,
           /*requests_ahead=*/128, /*one_batch_at_a_time=*/true,
           /*max_waiting=*/options_.fetch_max_waiting, /*thread_name=*/"mef-fetch"},
          [this](absl::Span<FetchBatcher::Call* const> calls) { Overflow(calls); }) {
  // Km leaves SecretBytes only in the response message (see the header): wiped once sent.
  batcher_.SetResponseScrubber(
      [](rsp::v1::FetchCredentialResponse* response) { WipeString(response->mutable_km()); });
}

void MefCredentialServiceImpl::Register(grpc::ServerBuilder* builder) {
  builder->RegisterService(this);
  batcher_.AddQueues(builder);
}

void MefCredentialServiceImpl::Start() { batcher_.Start(); }

void MefCredentialServiceImpl::Stop() { batcher_.Stop(); }

void MefCredentialServiceImpl::Shutdown() {
  absl::MutexLock lock(&mu_);
  shutting_down_ = true;
}

bool MefCredentialServiceImpl::WaitForShutdown(absl::Duration d) {
  absl::MutexLock lock(&mu_);
  mu_.AwaitWithTimeout(absl::Condition(&shutting_down_), d);
  return shutting_down_;
}

MefCredentialServiceImpl::Fetch MefCredentialServiceImpl::Prepare(FetchBatcher::Call* call) {
  const rsp::v1::FetchCredentialRequest& request = call->request();
  Fetch f;
  f.names = grpcutil::PeerDnsNames(*call->context());
  absl::StatusOr<std::string> ke_id = crypto::CanonicalKeyId(request.ke_id());
  f.audited = ke_id.ok() ? *ke_id : request.ke_id().substr(0, kMaxAuditedKeIdLen);
  if (f.names.empty()) {
    f.outcome = FetchOutcome::kUnauthenticated;
    f.status = grpc::Status(grpc::StatusCode::UNAUTHENTICATED, "no client certificate identity");
    return f;
  }
  const absl::Status valid = Check(ke_id, request.suid());
  if (!valid.ok()) {
    f.outcome = FetchOutcome::kInvalid;
    f.status = grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, std::string(valid.message()));
    return f;
  }
  f.valid = true;
  return f;
}

void MefCredentialServiceImpl::FetchBatch(absl::Span<FetchBatcher::Call* const> batch,
                                          FetchBatcher::Turn* turn) {
  const absl::Time start = absl::Now();
  const auto now = absl::ToChronoTime(start);  // for the calls' deadlines
  std::vector<Fetch> fetches;
  fetches.reserve(batch.size());
  std::vector<std::string> keys;  // the valid calls' KeIDs, for one store read
  std::vector<size_t> asking;     // keys[j] is asked by batch[asking[j]]
  for (size_t i = 0; i < batch.size(); ++i) {
    fetches.push_back(Prepare(batch[i]));
    Fetch& f = fetches.back();
    if (!f.valid) continue;
    // A call that waited past its deadline (a slow store) is not worth a read any more.
    if (batch[i]->context()->deadline() <= now) {
      f.outcome = FetchOutcome::kUnavailable;
      f.status = grpc::Status(grpc::StatusCode::DEADLINE_EXCEEDED,
                              "deadline passed before the credential store was asked");
      continue;
    }
    keys.push_back(f.audited);  // the canonical KeID
    asking.push_back(i);
  }
  if (!keys.empty()) {
    std::vector<absl::StatusOr<EnrolmentView>> views = store_->GetEnrolmentsByKeIds(keys);
    turn->Release();  // the next batch may read while this one is answered
    for (size_t j = 0; j < asking.size(); ++j) {
      const size_t i = asking[j];
      Fetch& f = fetches[i];
      f.status = Answer(f.names, f.audited, std::move(views[j]), batch[i]->response(), &f.outcome);
    }
  }
  Conclude(batch, fetches, start);
}

void MefCredentialServiceImpl::Overflow(absl::Span<FetchBatcher::Call* const> calls) {
  const absl::Time start = absl::Now();
  std::vector<Fetch> fetches;
  fetches.reserve(calls.size());
  for (FetchBatcher::Call* call : calls) {
    fetches.push_back(Prepare(call));
    Fetch& f = fetches.back();
    if (!f.valid) continue;
    f.outcome = FetchOutcome::kUnavailable;
    f.status = grpc::Status(grpc::StatusCode::UNAVAILABLE,
                            "credential service overloaded (store not answering); retry");
  }
  Conclude(calls, fetches, start);
}

void MefCredentialServiceImpl::Conclude(absl::Span<FetchBatcher::Call* const> calls,
                                        const std::vector<Fetch>& fetches, absl::Time start) {
  // Every record is out before any call is answered.
  AuditBatch audit;
  for (size_t i = 0; i < calls.size(); ++i) {
    const Fetch& f = fetches[i];
    audit.Add("credential_fetch", {{"caller", absl::StrJoin(f.names, ",")},
                                   {"ke_id", f.audited},
                                   {"suid", absl::StrCat(calls[i]->request().suid())},
                                   {"outcome", std::string(FetchOutcomeName(f.outcome))}});
  }
  audit.Write();
  const absl::Duration took = absl::Now() - start;
  for (size_t i = 0; i < calls.size(); ++i) {
    if (options_.metrics != nullptr) options_.metrics->OnFetch(fetches[i].outcome, took);
    calls[i]->Finish(fetches[i].status);
  }
}

absl::Status MefCredentialServiceImpl::Check(const absl::StatusOr<std::string>& ke_id,
                                             uint32_t suid) {
  if (!ke_id.ok()) return absl::InvalidArgumentError("malformed ke_id");
  if (suid != kSuidRspfKeySharedWithMaf) return absl::InvalidArgumentError("suid must be 21");
  return absl::OkStatus();
}

grpc::Status MefCredentialServiceImpl::Answer(const std::vector<std::string>& names,
                                              const std::string& ke_id,
                                              absl::StatusOr<EnrolmentView> view,
                                              v1::FetchCredentialResponse* response,
                                              FetchOutcome* out_outcome) {
  if (!view.ok()) {
    switch (view.status().code()) {
      case absl::StatusCode::kNotFound:
        *out_outcome = FetchOutcome::kNotFound;
        return NotFound();
      case absl::StatusCode::kUnavailable:
        *out_outcome = FetchOutcome::kUnavailable;
        return grpc::Status(grpc::StatusCode::UNAVAILABLE, "credential store unavailable");
      default:
        *out_outcome = FetchOutcome::kError;
        Log(Level::kError, "credential_fetch_store_error",
            {{"ke_id", ke_id}, {"status", view.status().ToString()}});
        return grpc::Status(grpc::StatusCode::INTERNAL, "credential store error");
    }
  }
  const Enrolment& enrolment = view->enrolment;
  // Every unusable case gives the same status and message (the proto's non-disclosure rule).
  const absl::Time now = Now();
  absl::Time expires_at = enrolment.expires_at;
  if (view->enrolee_not_after.has_value()) {
    expires_at = std::min(expires_at, *view->enrolee_not_after);
  }
  if (enrolment.revoked || view->enrolee_state != EnroleeState::kActive || now >= expires_at) {
    *out_outcome = FetchOutcome::kNotFound;
    return NotFound();
  }
  directory_.Remember(enrolment.kpm_id, {enrolment.enrolee_id, enrolment.maf_id});

  if (std::find(names.begin(), names.end(), enrolment.maf_id) == names.end()) {
    *out_outcome = FetchOutcome::kPermissionDenied;
    return grpc::Status(grpc::StatusCode::PERMISSION_DENIED,
                        "caller is not the MAF configured for this enrolment");
  }

  *out_outcome = FetchOutcome::kError;
  absl::StatusOr<SecretBytes> ke = opener_->OpenKe(enrolment.ke, enrolment.ke_id);
  if (!ke.ok()) {
    Log(Level::kError, "credential_fetch_unseal_failed",
        {{"ke_id", ke_id},
         {"kek_version", absl::StrCat(enrolment.ke.kek_version)},
         {"status", ke.status().ToString()}});
    return grpc::Status(grpc::StatusCode::INTERNAL, "stored Ke could not be opened");
  }
  absl::StatusOr<SecretBytes> km = crypto::DeriveKm(*ke, enrolment.maf_id);
  if (!km.ok()) {
    Log(Level::kError, "credential_fetch_derive_failed",
        {{"ke_id", ke_id}, {"status", km.status().ToString()}});
    return grpc::Status(grpc::StatusCode::INTERNAL, "Km derivation failed");
  }
  // The one place Km leaves SecretBytes: the protocol hands it to the MAF (see the header).
  response->set_km(km->Reveal().data(), km->size());
  response->set_enrolee_id(enrolment.enrolee_id);
  response->set_maf_id(enrolment.maf_id);
  SetTime(expires_at, response->mutable_expires_at());
  response->set_ke_id(ke_id);
  *out_outcome = FetchOutcome::kOk;
  return grpc::Status::OK;
}

grpc::Status MefCredentialServiceImpl::WatchRevocations(
    grpc::ServerContext* context, const v1::WatchRevocationsRequest* request,
    grpc::ServerWriter<v1::RevocationEvent>* writer) {
  const std::vector<std::string> names = grpcutil::PeerDnsNames(*context);
  if (names.empty()) {
    return grpc::Status(grpc::StatusCode::UNAUTHENTICATED, "no client certificate identity");
  }
  uint32_t hb_ms = request->heartbeat_interval_ms();
  if (hb_ms == 0) hb_ms = kDefaultHeartbeatMs;
  if (hb_ms < kMinHeartbeatMs || hb_ms > kMaxHeartbeatMs) {
    return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                        "heartbeat_interval_ms must be 0 or 100..1000");
  }
  const absl::Duration heartbeat = absl::Milliseconds(hb_ms);

  absl::StatusOr<int64_t> latest = store_->LatestChangeSeq();
  if (!latest.ok()) return grpcutil::ToGrpcStatus(latest.status());
  int64_t seq = *latest;
  if (!request->start_from_now()) {
    if (request->resume_cursor().empty()) {
      return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                          "resume_cursor or start_from_now is required");
    }
    absl::StatusOr<int64_t> resume = ParseCursor(request->resume_cursor());
    if (!resume.ok()) return grpcutil::ToGrpcStatus(resume.status());
    // A cursor past our newest entry comes from another feed: the MAF must resynchronise.
    if (*resume > *latest) {
      return grpc::Status(grpc::StatusCode::OUT_OF_RANGE,
                          "resume_cursor is not from this MEF's history; restart from now");
    }
    seq = *resume;
  }
  Log(Level::kInfo, "revocation_watch_open",
      {{"caller", absl::StrJoin(names, ",")}, {"cursor", FormatCursor(seq)}});

  absl::Time last_sent = absl::InfinitePast();
  for (;;) {
    if (WaitForShutdown(absl::ZeroDuration())) {
      return grpc::Status(grpc::StatusCode::UNAVAILABLE, "MEF shutting down; reconnect");
    }
    if (context->IsCancelled()) return grpc::Status::CANCELLED;

    absl::StatusOr<std::vector<StateChange>> changes =
        store_->ListStateChangesSince(seq, options_.watch_batch_limit);
    if (!changes.ok()) {
      // Stop heartbeating: the MAF must not believe it is up to date while we cannot see.
      return grpc::Status(grpc::StatusCode::UNAVAILABLE, "revocation feed unavailable");
    }
    for (const StateChange& change : *changes) {
      absl::StatusOr<std::optional<v1::RevocationEvent>> ev =
          MapStateChange(change, names, &directory_);
      if (!ev.ok()) {
        return grpc::Status(grpc::StatusCode::UNAVAILABLE, "revocation feed unavailable");
      }
      if (ev->has_value()) {
        if (!writer->Write(**ev)) return grpc::Status::CANCELLED;
        last_sent = absl::Now();
      }
      seq = change.seq;
    }
    if (absl::Now() - last_sent >= heartbeat) {
      v1::RevocationEvent hb;
      hb.set_kind(v1::RevocationEvent::KIND_HEARTBEAT);
      hb.set_cursor(FormatCursor(seq));
      SetTime(absl::Now(), hb.mutable_time());
      if (!writer->Write(hb)) return grpc::Status::CANCELLED;
      last_sent = absl::Now();
    }
    // A full page means more is waiting: read on at once instead of sleeping.
    if (static_cast<int>(changes->size()) >= options_.watch_batch_limit) continue;
    const absl::Duration wait =
        std::min(options_.watch_poll_interval, last_sent + heartbeat - absl::Now());
    if (WaitForShutdown(std::max(wait, absl::ZeroDuration()))) {
      return grpc::Status(grpc::StatusCode::UNAVAILABLE, "MEF shutting down; reconnect");
    }
  }
}

}  // namespace mef
}  // namespace onem2m

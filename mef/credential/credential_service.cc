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

void SetTime(absl::Time t, google::protobuf::Timestamp* out) {
  const int64_t s = absl::ToUnixSeconds(t);
  out->set_seconds(s);
  out->set_nanos(static_cast<int32_t>(absl::ToInt64Nanoseconds(t - absl::FromUnixSeconds(s))));
}

grpc::Status ToGrpc(const absl::Status& s) {
  return grpc::Status(static_cast<grpc::StatusCode>(s.code()), std::string(s.message()));
}

}  // namespace

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
  if (options.fetch_threads < 1 || options.fetch_batch < 1 || options.fetch_max_waiting < 1 ||
      options.fetch_reads < 1 || options.fetch_overlap_min < 1) {
    return absl::InvalidArgumentError(
        "fetch_threads, fetch_batch, fetch_max_waiting, fetch_reads and fetch_overlap_min must be "
        "at least 1");
  }
  return std::unique_ptr<MefCredentialServiceImpl>(
      new MefCredentialServiceImpl(store, opener, std::move(options)));
}

MefCredentialServiceImpl::MefCredentialServiceImpl(EnroleeStore* store, const KeOpener* opener,
                                                   Options options)
    : store_(store),
      options_(std::move(options)),
      fetcher_(store, opener, {options_.clock, options_.metrics}),
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
           /*max_waiting=*/options_.fetch_max_waiting, /*thread_name=*/"mef-fetch",
           /*turns=*/options_.fetch_reads, /*overlap_min=*/options_.fetch_overlap_min},
          [this](absl::Span<FetchBatcher::Call* const> calls) { Overflow(calls); }) {
  // Km leaves SecretBytes only in the response message (see the header): wiped once sent.
  batcher_.SetResponseScrubber([](rsp::v1::FetchCredentialResponse* response) {
    WipeString(response->mutable_km());
    WipeString(response->mutable_credential());
  });
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
  f.ask.names = grpcutil::PeerDnsNames(*call->context());
  f.ask.ke_id = request.ke_id();
  f.ask.suid = request.suid();
  f.ask.target_id = request.enrolment_target_id();
  f.result = CredentialFetcher::Prepare(f.ask);
  return f;
}

void MefCredentialServiceImpl::FetchBatch(absl::Span<FetchBatcher::Call* const> batch,
                                          FetchBatcher::Turn* turn) {
  const absl::Time start = absl::Now();
  const auto now = absl::ToChronoTime(start);  // for the calls' deadlines
  std::vector<Fetch> fetches;
  fetches.reserve(batch.size());
  std::vector<crypto::KeyId> keys;  // the valid calls' KeIDs, for one store read
  std::vector<size_t> asking;       // keys[j] is asked by batch[asking[j]]
  for (size_t i = 0; i < batch.size(); ++i) {
    fetches.push_back(Prepare(batch[i]));
    FetchResult& r = fetches.back().result;
    if (!r.valid) continue;
    // A call that waited past its deadline (a slow store) is not worth a read any more.
    if (batch[i]->context()->deadline() <= now) {
      r.outcome = FetchOutcome::kUnavailable;
      r.status =
          absl::DeadlineExceededError("deadline passed before the credential store was asked");
      continue;
    }
    keys.push_back(r.ke_id);
    asking.push_back(i);
  }
  if (!keys.empty()) {
    std::vector<absl::StatusOr<EnrolmentView>> views = store_->GetEnrolmentsByKeIds(keys);
    turn->Release();  // the next batch may read while this one is answered
    for (size_t j = 0; j < asking.size(); ++j) {
      const size_t i = asking[j];
      Fetch& f = fetches[i];
      fetcher_.Decide(f.ask, std::move(views[j]), &f.result);
      if (f.result.status.ok()) Respond(f.result, f.ask.suid, batch[i]->response());
      f.result.key = SecretBytes();  // wiped: the response holds the one copy now
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
    FetchResult& r = fetches.back().result;
    if (!r.valid) continue;
    r.outcome = FetchOutcome::kUnavailable;
    r.status = absl::UnavailableError("credential service overloaded (store not answering); retry");
  }
  Conclude(calls, fetches, start);
}

void MefCredentialServiceImpl::Conclude(absl::Span<FetchBatcher::Call* const> calls,
                                        const std::vector<Fetch>& fetches, absl::Time start) {
  // Every record is out before any call is answered.
  AuditBatch audit;
  for (const Fetch& f : fetches) CredentialFetcher::Audit(f.ask, f.result, "grpc", &audit);
  audit.Write();
  const absl::Duration took = absl::Now() - start;
  for (size_t i = 0; i < calls.size(); ++i) {
    fetcher_.Count(fetches[i].result.outcome, took);
    calls[i]->Finish(ToGrpc(fetches[i].result.status));
  }
}

void MefCredentialServiceImpl::Respond(const FetchResult& result, uint32_t suid,
                                       v1::FetchCredentialResponse* response) {
  // The one place the key leaves SecretBytes: the protocol hands it to the caller (see the header).
  if (result.is_km) {
    response->set_km(result.key.Reveal().data(), result.key.size());
    response->set_maf_id(result.maf_id);
  } else {
    response->set_credential(result.key.Reveal().data(), result.key.size());
  }
  response->set_enrolee_id(result.enrolee_id);
  SetTime(result.expires_at, response->mutable_expires_at());
  response->set_ke_id(result.audited_ke_id);
  response->set_suid(suid);
  response->set_enrolment_target_id(result.target_id);
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
          MapStateChange(change, names, fetcher_.directory());
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

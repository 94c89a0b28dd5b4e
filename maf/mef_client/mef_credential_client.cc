#include "maf/mef_client/mef_credential_client.h"

#include <grpcpp/alarm.h>

#include <algorithm>
#include <memory>
#include <utility>

#include "absl/synchronization/notification.h"
#include "common/grpc/mtls.h"

namespace onem2m {
namespace maf {
namespace {

namespace v1 = ::onem2m::rsp::v1;

constexpr uint32_t kSuid = 21;  // docs/protocol.md section 5
constexpr size_t kKmLen = 32;

absl::Time FromProto(const google::protobuf::Timestamp& t) {
  return absl::FromUnixSeconds(t.seconds()) + absl::Nanoseconds(t.nanos());
}

}  // namespace

grpc::ChannelArguments MefChannelArguments() {
  grpc::ChannelArguments args;
  args.SetServiceConfigJSON(R"({"loadBalancingConfig": [{"round_robin": {}}],)"
                            R"( "healthCheckConfig": {"serviceName": ""}})");
  args.SetInt(GRPC_ARG_INITIAL_RECONNECT_BACKOFF_MS, 100);
  // gRPC also uses the minimum reconnect backoff as the connection attempt's timeout: 1 s leaves a
  // loaded MEF time for the mTLS handshake, while attempts still start every 100..300 ms.
  args.SetInt(GRPC_ARG_MIN_RECONNECT_BACKOFF_MS, 1000);
  args.SetInt(GRPC_ARG_MAX_RECONNECT_BACKOFF_MS, 300);
  args.SetInt(GRPC_ARG_KEEPALIVE_TIME_MS, 10000);
  args.SetInt(GRPC_ARG_KEEPALIVE_TIMEOUT_MS, 5000);
  args.SetInt(GRPC_ARG_KEEPALIVE_PERMIT_WITHOUT_CALLS, 1);
  return args;
}

MefCredentialClient::MefCredentialClient(std::shared_ptr<grpc::ChannelInterface> channel,
                                         std::string maf_fqdn, Backoff backoff)
    : channel_(channel),
      stub_(v1::MefCredentialService::NewStub(std::move(channel))),
      maf_fqdn_(std::move(maf_fqdn)),
      backoff_(backoff) {}

bool MefCredentialClient::MefKnownDown() const {
  return channel_ != nullptr &&
         channel_->GetState(/*try_to_connect=*/true) == GRPC_CHANNEL_TRANSIENT_FAILURE;
}

// Call is one FetchAsync. Each attempt is a callback-API RPC (Attempt); after a retryable failure
// the next attempt is scheduled on a gRPC alarm (docs/protocol.md 7: a MEF that is up but
// overloaded is retried until the caller's deadline), so between attempts the call holds no thread.
// It is kept alive by its pending attempt or alarm until `done` has run.
class MefCredentialClient::Call : public std::enable_shared_from_this<Call> {
 public:
  Call(const MefCredentialClient* client, const crypto::KeyId& ke_id, absl::Time deadline,
       FetchDone done)
      : client_(client), ke_id_(ke_id), deadline_(deadline), done_(std::move(done)) {
    request_.set_ke_id(ke_id.ToString());  // canonical text on the wire (docs/protocol.md 3)
    request_.set_suid(kSuid);
  }

  // Start begins the next attempt, or answers when the deadline passed or the MEF is known down.
  void Start();

  // OnReply takes one attempt's outcome: the answer, or a retry on the alarm.
  void OnReply(const grpc::Status& s, v1::FetchCredentialResponse* response) {
    if (s.ok()) return Finish(Parse(response));
    last_ = grpcutil::FromGrpcStatus(s);
    if (s.error_code() != grpc::StatusCode::UNAVAILABLE || client_->MefKnownDown()) {
      return Finish(std::move(last_));
    }
    const absl::Time retry_at =
        std::min(absl::Now() + client_->backoff_.Delay(attempt_++), deadline_);
    alarm_ = std::make_unique<grpc::Alarm>();
    // The lambda moves its reference out when it runs, so the alarm (owned by this call) does not
    // keep the call alive after firing.
    alarm_->Set(absl::ToChronoTime(retry_at), [self = shared_from_this()](bool) mutable {
      std::shared_ptr<Call> call = std::move(self);
      call->Start();
    });
  }

  const v1::FetchCredentialRequest& request() const { return request_; }

 private:
  absl::StatusOr<FetchedCredential> Parse(v1::FetchCredentialResponse* response) const {
    FetchedCredential out;
    out.km = SecretBytes::Copy(response->km());
    WipeString(response->mutable_km());
    // The answer's KeID is parsed like any identifier from outside, and compared as a KeyId: the
    // MEF may spell the hex in either case (docs/protocol.md 3).
    absl::StatusOr<crypto::KeyId> answered = crypto::KeyId::Parse(response->ke_id());
    if (out.km.size() != kKmLen || !answered.ok() || *answered != ke_id_) {
      return absl::InternalError("MEF answered a malformed credential");
    }
    if (response->maf_id() != client_->maf_fqdn_) {
      return absl::InternalError("MEF returned a Km derived for another MAF-ID");
    }
    out.enrolee_id = response->enrolee_id();
    out.ke_id = *std::move(answered);
    out.expires_at = FromProto(response->expires_at());
    return out;
  }

  void Finish(absl::StatusOr<FetchedCredential> result) {
    FetchDone done = std::move(done_);
    done(std::move(result));
  }

  const MefCredentialClient* const client_;
  const crypto::KeyId ke_id_;
  const absl::Time deadline_;
  FetchDone done_;
  v1::FetchCredentialRequest request_;
  std::unique_ptr<grpc::Alarm> alarm_;  // the wait before the next attempt
  absl::Status last_ = absl::DeadlineExceededError("deadline passed before the first attempt");
  int attempt_ = 0;
};

// Attempt is one FetchCredential RPC of a Call. gRPC is done with the context only at OnDone, so
// the attempt owns its context and response and deletes itself there.
class MefCredentialClient::Attempt final : public grpc::ClientUnaryReactor {
 public:
  Attempt(std::shared_ptr<Call> call, absl::Time deadline) : call_(std::move(call)) {
    context_.set_deadline(absl::ToChronoTime(deadline));
  }

  void Run(v1::MefCredentialService::Stub* stub) {
    stub->async()->FetchCredential(&context_, &call_->request(), &response_, this);
    StartCall();
  }

  void OnDone(const grpc::Status& s) override {
    // The attempt is released before the call answers: a caller woken by the answer may destroy
    // the client and its channel at once, and this context must not outlive them.
    std::shared_ptr<Call> call = std::move(call_);
    const grpc::Status status = s;
    v1::FetchCredentialResponse response = std::move(response_);
    delete this;
    call->OnReply(status, &response);
  }

 private:
  std::shared_ptr<Call> call_;
  grpc::ClientContext context_;
  v1::FetchCredentialResponse response_;
};

void MefCredentialClient::Call::Start() {
  if (absl::Now() >= deadline_) return Finish(std::move(last_));
  if (client_->MefKnownDown()) {
    // docs/protocol.md 7: while the MEF is unreachable first contacts fail fast.
    return Finish(absl::UnavailableError("MEF unreachable (no replica connected or healthy)"));
  }
  (new Attempt(shared_from_this(), deadline_))->Run(client_->stub_.get());
}

void MefCredentialClient::FetchAsync(const crypto::KeyId& ke_id, absl::Time deadline,
                                     FetchDone done) {
  std::make_shared<Call>(this, ke_id, deadline, std::move(done))->Start();
}

absl::StatusOr<FetchedCredential> MefCredentialClient::Fetch(const crypto::KeyId& ke_id,
                                                             absl::Time deadline) {
  // The answer comes by the deadline (each RPC carries it and no retry is scheduled past it), so
  // the caller waits for the answer itself, not for a time.
  struct Answer {
    absl::Notification ready;
    absl::StatusOr<FetchedCredential> value;
  };
  auto answer = std::make_shared<Answer>();
  FetchAsync(ke_id, deadline, [answer](absl::StatusOr<FetchedCredential> r) {
    answer->value = std::move(r);
    answer->ready.Notify();
  });
  answer->ready.WaitForNotification();
  return std::move(answer->value);
}

}  // namespace maf
}  // namespace onem2m

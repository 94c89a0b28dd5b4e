// File: maf/mef_client/testing/fake_mef.h
//
// FakeMef is a MEF credential service for MAF-side tests: FetchCredential answers one KeID (Km of
// 32 'm' bytes) to callers whose certificate names the MAF-ID (after `unavailable_replies`
// UNAVAILABLE answers), and WatchRevocations sends heartbeats plus whatever events a test pushes.
//
//   FakeMef mef;
//   env.Start({&mef});                        // common/testing/mtls_env.h
//   mef.Push(event);                          // delivered on every open watch
#ifndef ONEM2M_MAF_MEF_CLIENT_TESTING_FAKE_MEF_H_
#define ONEM2M_MAF_MEF_CLIENT_TESTING_FAKE_MEF_H_

#include <atomic>
#include <deque>
#include <string>

#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "common/crypto/key_id.h"
#include "common/grpc/mtls.h"
#include "proto/onem2m/rsp/v1/mef_credential.grpc.pb.h"

namespace onem2m::maf::testing {

inline constexpr char kFakeMaf[] = "maf.example.com";
inline constexpr char kFakeMef[] = "mef.example.com";

class FakeMef final : public rsp::v1::MefCredentialService::Service {
 public:
  grpc::Status FetchCredential(grpc::ServerContext* ctx, const rsp::v1::FetchCredentialRequest* req,
                               rsp::v1::FetchCredentialResponse* out) override {
    ++calls;
    if (unavailable_replies > 0) {
      --unavailable_replies;
      return grpc::Status(grpc::StatusCode::UNAVAILABLE, "overloaded");
    }
    if (!grpcutil::PeerHasIdentity(*ctx, kFakeMaf)) {
      return grpc::Status(grpc::StatusCode::PERMISSION_DENIED, "not the MAF-ID");
    }
    if (req->suid() != 21) return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "suid");
    if (req->ke_id() != ke_id) return grpc::Status(grpc::StatusCode::NOT_FOUND, "no such KeID");
    out->set_km(std::string(32, 'm'));
    out->set_enrolee_id(enrolee_id);
    out->set_maf_id(maf_id);
    out->mutable_expires_at()->set_seconds(absl::ToUnixSeconds(absl::Now() + absl::Hours(1)));
    out->set_ke_id(answer_ke_id.empty() ? ke_id : answer_ke_id);
    return grpc::Status::OK;
  }

  grpc::Status WatchRevocations(grpc::ServerContext* ctx,
                                const rsp::v1::WatchRevocationsRequest* req,
                                grpc::ServerWriter<rsp::v1::RevocationEvent>* writer) override {
    const absl::Duration beat =
        absl::Milliseconds(req->heartbeat_interval_ms() == 0 ? 250 : req->heartbeat_interval_ms());
    size_t next = 0;
    for (int64_t seq = 1; !ctx->IsCancelled(); ++seq) {
      rsp::v1::RevocationEvent ev;
      {
        absl::MutexLock lock(&mu_);
        auto pending = [this, &next] { return next < events_.size(); };
        mu_.AwaitWithTimeout(absl::Condition(&pending), beat);
        if (next < events_.size()) {
          ev = events_[next++];
        } else {
          ev.set_kind(rsp::v1::RevocationEvent::KIND_HEARTBEAT);
        }
      }
      ev.set_cursor(std::to_string(seq));
      if (!writer->Write(ev)) break;
    }
    return grpc::Status::OK;
  }

  // Push queues `event` for every watch (each watch sends all pushed events in order).
  void Push(rsp::v1::RevocationEvent event) {
    absl::MutexLock lock(&mu_);
    events_.push_back(std::move(event));
  }

  std::string ke_id = *crypto::FormatKeyId(std::string(16, 'E'), kFakeMef);
  // answer_ke_id, when set, is the KeID text the answer names instead of ke_id.
  std::string answer_ke_id;
  // key_id is ke_id as the MAF's code holds it.
  crypto::KeyId key_id() const { return *crypto::KeyId::Parse(ke_id); }
  std::string maf_id = kFakeMaf;
  std::string enrolee_id = "C-dev1";
  std::atomic<int> calls{0};
  // unavailable_replies: how many fetches to answer UNAVAILABLE (an overloaded MEF) before serving.
  std::atomic<int> unavailable_replies{0};

 private:
  absl::Mutex mu_;
  std::deque<rsp::v1::RevocationEvent> events_ ABSL_GUARDED_BY(mu_);
};

}  // namespace onem2m::maf::testing

#endif  // ONEM2M_MAF_MEF_CLIENT_TESTING_FAKE_MEF_H_

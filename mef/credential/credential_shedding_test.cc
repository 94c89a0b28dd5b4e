// MefCredentialServiceImpl's load shedding over a real gRPC server on 127.0.0.1:0 with mutual TLS,
// in front of a MemoryEnroleeStore that stops answering: calls beyond the waiting bound are refused
// at once, and a call whose deadline passed while it waited is never read.
#include "mef/credential/credential_service.h"

#include <atomic>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_split.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "common/crypto/key_id.h"
#include "common/testing/wait_for.h"
#include "gtest/gtest.h"
#include "mef/credential/testing/credential_service_fixture.h"
#include "mef/store/forwarding_enrolee_store.h"

namespace onem2m {
namespace mef {
namespace {

namespace v1 = ::onem2m::rsp::v1;
using testing::kMaf;
using testing::ReadAll;

// GatedStore holds every enrolment read until Open(), and counts the reads of each KeID.
class GatedStore final : public ForwardingEnroleeStore {
 public:
  explicit GatedStore(EnroleeStore* inner) : ForwardingEnroleeStore(inner) {}
  absl::StatusOr<EnrolmentView> GetEnrolmentByKeId(const crypto::KeyId& ke_id) override {
    {
      absl::MutexLock l(&mu_);
      ++reads_[ke_id.ToString()];
      ++waiting_;
      mu_.Await(absl::Condition(&open_));
      --waiting_;
    }
    return ForwardingEnroleeStore::GetEnrolmentByKeId(ke_id);
  }
  void Open() {
    absl::MutexLock l(&mu_);
    open_ = true;
  }
  bool WaitForReader(absl::Duration timeout) {
    absl::MutexLock l(&mu_);
    auto reading = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return waiting_ > 0; };
    return mu_.AwaitWithTimeout(absl::Condition(&reading), timeout);
  }
  int reads(const std::string& ke_id) {
    absl::MutexLock l(&mu_);
    return reads_[ke_id];
  }

 private:
  absl::Mutex mu_;
  bool open_ ABSL_GUARDED_BY(mu_) = false;
  int waiting_ ABSL_GUARDED_BY(mu_) = 0;
  std::map<std::string, int> reads_ ABSL_GUARDED_BY(mu_);
};

// Load shedding needs a store that stops answering: the memory store behind a gate.
class CredentialServiceSheddingTest : public testing::CredentialServiceFixture {
 protected:
  // Serve runs a second service on `store` with `o`, on its own port.
  void Serve(EnroleeStore* store, MefCredentialServiceImpl::Options o) {
    o.metrics = &metrics_;
    auto service = MefCredentialServiceImpl::Create(store, opener_.get(), o);
    ASSERT_TRUE(service.ok()) << service.status();
    gated_service_ = *std::move(service);
    grpc::ServerBuilder b;
    b.AddListeningPort("127.0.0.1:0", env_->ServerCredentials(), &gated_port_);
    gated_service_->Register(&b);
    gated_server_ = b.BuildAndStart();
    ASSERT_NE(gated_server_, nullptr);
    gated_service_->Start();
    stub_ = v1::MefCredentialService::NewStub(env_->Channel(gated_port_, kMaf));
  }
  void TearDown() override {
    if (gated_server_ != nullptr) gated_server_->Shutdown();
    if (gated_service_ != nullptr) gated_service_->Stop();
    gated_server_.reset();
    CredentialServiceFixture::TearDown();
  }
  grpc::Status Call(const std::string& ke_id, absl::Duration deadline) {
    grpc::ClientContext ctx;
    ctx.set_deadline(absl::ToChronoTime(absl::Now() + deadline));
    v1::FetchCredentialRequest req;
    req.set_ke_id(ke_id);
    req.set_suid(21);
    v1::FetchCredentialResponse out;
    return stub_->FetchCredential(&ctx, req, &out);
  }

  std::unique_ptr<MefCredentialServiceImpl> gated_service_;
  int gated_port_ = 0;
  std::unique_ptr<grpc::Server> gated_server_;
  std::unique_ptr<v1::MefCredentialService::Stub> stub_;
};

TEST_P(CredentialServiceSheddingTest, CallsBeyondTheWaitingBoundAreRefusedAtOnceAndAudited) {
  AddEnrolee("dev-1", kMaf);
  const std::string ke_id =
      AddEnrolment("dev-1", kMaf, SecretBytes::Random(32), now_ + absl::Hours(1));
  GatedStore gated(store_.get());
  MefCredentialServiceImpl::Options o;
  o.fetch_threads = 3;
  o.fetch_max_waiting = 2;
  Serve(&gated, o);
  std::atomic<int> ok{0}, refused{0}, other{0};
  auto call = [&] {
    grpc::Status s = Call(ke_id, absl::Seconds(20));
    if (s.ok()) {
      ++ok;
    } else if (s.error_code() == grpc::StatusCode::UNAVAILABLE) {
      ++refused;
    } else {
      ++other;
    }
  };
  std::vector<std::thread> callers;
  callers.emplace_back(call);
  ASSERT_TRUE(gated.WaitForReader(absl::Seconds(10)));  // the first batch holds the store
  for (int i = 0; i < 12; ++i) callers.emplace_back(call);
  EXPECT_TRUE(::onem2m::testing::WaitFor([&] { return refused > 0; }))
      << "calls beyond fetch_max_waiting should be refused while the store hangs";
  gated.Open();
  for (std::thread& c : callers) c.join();
  EXPECT_EQ(ok + refused, 13);
  EXPECT_GE(ok, 3);  // the first, and the two admitted
  EXPECT_EQ(other, 0);
  EXPECT_EQ(metrics_.counts[static_cast<int>(FetchOutcome::kUnavailable)], refused.load());
  const std::vector<std::string> lines =
      absl::StrSplit(ReadAll(audit_path_), '\n', absl::SkipEmpty());
  EXPECT_EQ(lines.size(), 13u);
}

TEST_P(CredentialServiceSheddingTest, ACallWhoseDeadlinePassedWhileWaitingIsNotRead) {
  AddEnrolee("dev-1", kMaf);
  AddEnrolee("dev-2", kMaf);
  const std::string first =
      AddEnrolment("dev-1", kMaf, SecretBytes::Random(32), now_ + absl::Hours(1));
  const std::string late =
      AddEnrolment("dev-2", kMaf, SecretBytes::Random(32), now_ + absl::Hours(1));
  GatedStore gated(store_.get());
  Serve(&gated, {});
  std::thread blocker([&] { EXPECT_TRUE(Call(first, absl::Seconds(20)).ok()); });
  ASSERT_TRUE(gated.WaitForReader(absl::Seconds(10)));
  grpc::Status late_status;
  std::thread late_caller([&] { late_status = Call(late, absl::Milliseconds(200)); });
  // The server sets the late call's deadline when the call reaches it, up to 200 ms after the
  // moment it is seen waiting; the gate opens only once that moment is past, or a loaded machine
  // (CI) could hand the call its batch while the server still counted it live.
  ASSERT_TRUE(::onem2m::testing::WaitFor([&] { return gated_service_->waiting_fetches() == 1; }));
  const absl::Time seen_waiting = absl::Now();
  late_caller.join();
  EXPECT_EQ(late_status.error_code(), grpc::StatusCode::DEADLINE_EXCEEDED);
  ASSERT_TRUE(::onem2m::testing::WaitFor(
      [&] { return absl::Now() > seen_waiting + absl::Milliseconds(200); }));
  gated.Open();
  blocker.join();
  // Its batch found the deadline gone: no read, and an "unavailable" audit record.
  EXPECT_TRUE(::onem2m::testing::WaitFor(
      [&] { return metrics_.counts[static_cast<int>(FetchOutcome::kUnavailable)] > 0; }));
  EXPECT_EQ(gated.reads(late), 0);
  EXPECT_EQ(gated.reads(first), 1);
  EXPECT_EQ(metrics_.counts[static_cast<int>(FetchOutcome::kUnavailable)], 1);
  EXPECT_NE(ReadAll(audit_path_).find("\"unavailable\""), std::string::npos);
}


INSTANTIATE_TEST_SUITE_P(Stores, CredentialServiceSheddingTest, ::testing::Values("memory"),
                         [](const ::testing::TestParamInfo<std::string>& i) { return i.param; });

}  // namespace
}  // namespace mef
}  // namespace onem2m

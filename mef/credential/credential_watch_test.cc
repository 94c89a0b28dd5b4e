// MefCredentialServiceImpl's WatchRevocations over a real gRPC server on 127.0.0.1:0 with mutual
// TLS, against the fake store, MemoryEnroleeStore and (when ONEM2M_TEST_PG is set) PgEnroleeStore:
// a revocation reaches its MAF within a second and no other MAF, cursors resume, shutdown and a
// failing store end the stream.
#include "mef/credential/credential_service.h"

#include <memory>
#include <string>

#include "gtest/gtest.h"
#include "mef/credential/testing/credential_service_fixture.h"
#include "common/crypto/key_id.h"

namespace onem2m {
namespace mef {
namespace {

namespace v1 = ::onem2m::rsp::v1;
using testing::kMaf;
using testing::kOtherMaf;

class CredentialWatchTest : public testing::CredentialServiceFixture {};
// Store faults need a store that can be switched off: only the fake one can.
class CredentialWatchFaultTest : public testing::CredentialServiceFixture {};

// RawWatch is one WatchRevocations call, read by the test itself.
struct RawWatch {
  grpc::ClientContext ctx;
  std::unique_ptr<v1::MefCredentialService::Stub> stub;
  std::unique_ptr<grpc::ClientReader<v1::RevocationEvent>> reader;
};

TEST_P(CredentialWatchTest, RevocationReachesTheMafWithinOneSecond) {
  AddEnrolee("dev-1", kMaf);
  AddEnrolee("dev-2", kOtherMaf);
  const std::string ke_id =
      AddEnrolment("dev-1", kMaf, SecretBytes::Random(32), now_ + absl::Hours(1));
  AddEnrolment("dev-2", kOtherMaf, SecretBytes::Random(32), now_ + absl::Hours(1));

  RawWatch w;
  w.stub = v1::MefCredentialService::NewStub(env_->Channel(port_, kMaf));
  w.ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
  v1::WatchRevocationsRequest req;
  req.set_start_from_now(true);
  req.set_heartbeat_interval_ms(100);
  w.reader = w.stub->WatchRevocations(&w.ctx, req);
  v1::RevocationEvent ev;
  ASSERT_TRUE(w.reader->Read(&ev));  // the immediate heartbeat: the stream is open
  ASSERT_EQ(ev.kind(), v1::RevocationEvent::KIND_HEARTBEAT);

  // Another MAF's enrolee first: the stream is in commit order, so its event, had it leaked,
  // would arrive before ours.
  ASSERT_TRUE(store_->SetState("dev-2", EnroleeState::kRevoked).ok());
  const absl::Time t0 = absl::Now();
  ASSERT_TRUE(store_->SetState("dev-1", EnroleeState::kRevoked).ok());
  bool revoked = false;
  bool saw_ke = false;
  while (!(revoked && saw_ke) && w.reader->Read(&ev)) {
    if (ev.kind() == v1::RevocationEvent::KIND_HEARTBEAT) continue;
    EXPECT_EQ(ev.enrolee_id(), "Cdev-1") << "event about another MAF's enrolee";
    if (!revoked && ev.kind() == v1::RevocationEvent::KIND_ENROLEE_REVOKED) {
      revoked = true;
      EXPECT_LT(absl::Now() - t0, absl::Seconds(1)) << "revocation event later than 1 s";
    }
    for (const auto& k : ev.ke_ids()) saw_ke |= (k == ke_id);
  }
  EXPECT_TRUE(revoked) << "no revocation event";
  EXPECT_TRUE(saw_ke) << "the revoked enrolee's enrolment was not invalidated";
  w.ctx.TryCancel();
}

TEST_P(CredentialWatchTest, WatchRejectsBadCursorsAndIntervals) {
  auto finish = [&](v1::WatchRevocationsRequest req) {
    RawWatch w;
    w.stub = v1::MefCredentialService::NewStub(env_->Channel(port_, kMaf));
    w.ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(5));
    w.reader = w.stub->WatchRevocations(&w.ctx, req);
    v1::RevocationEvent ev;
    while (w.reader->Read(&ev)) {
    }
    return w.reader->Finish().error_code();
  };
  v1::WatchRevocationsRequest req;
  EXPECT_EQ(finish(req), grpc::StatusCode::INVALID_ARGUMENT);  // neither cursor nor from-now
  req.set_resume_cursor("garbage");
  EXPECT_EQ(finish(req), grpc::StatusCode::INVALID_ARGUMENT);
  req.set_resume_cursor("s999999");
  EXPECT_EQ(finish(req), grpc::StatusCode::OUT_OF_RANGE);
  req.set_start_from_now(true);
  req.set_heartbeat_interval_ms(50);
  EXPECT_EQ(finish(req), grpc::StatusCode::INVALID_ARGUMENT);
}

TEST_P(CredentialWatchTest, WatchResumesFromCursorAndEndsOnShutdown) {
  AddEnrolee("dev-1", kMaf);
  const std::string ke_id =
      AddEnrolment("dev-1", kMaf, SecretBytes::Random(32), now_ + absl::Hours(1));
  RawWatch w;
  w.stub = v1::MefCredentialService::NewStub(env_->Channel(port_, kMaf));
  v1::WatchRevocationsRequest req;
  req.set_start_from_now(true);
  w.reader = w.stub->WatchRevocations(&w.ctx, req);
  v1::RevocationEvent first;
  ASSERT_TRUE(w.reader->Read(&first));  // the immediate heartbeat carries the start cursor
  EXPECT_EQ(first.kind(), v1::RevocationEvent::KIND_HEARTBEAT);
  ASSERT_TRUE(store_->RevokeEnrolment(*crypto::KeyId::Parse(ke_id)).ok());
  v1::RevocationEvent ev;
  do {
    ASSERT_TRUE(w.reader->Read(&ev));
  } while (ev.kind() == v1::RevocationEvent::KIND_HEARTBEAT);
  EXPECT_EQ(ev.kind(), v1::RevocationEvent::KIND_ENROLMENTS_INVALIDATED);
  ASSERT_EQ(ev.ke_ids_size(), 1);
  EXPECT_EQ(ev.ke_ids(0), ke_id);

  // A second stream resuming from the first heartbeat's cursor replays the same event.
  RawWatch again;
  again.stub = v1::MefCredentialService::NewStub(env_->Channel(port_, kMaf));
  v1::WatchRevocationsRequest resume;
  resume.set_resume_cursor(first.cursor());
  again.reader = again.stub->WatchRevocations(&again.ctx, resume);
  v1::RevocationEvent replay;
  ASSERT_TRUE(again.reader->Read(&replay));
  EXPECT_EQ(replay.kind(), v1::RevocationEvent::KIND_ENROLMENTS_INVALIDATED);
  EXPECT_EQ(replay.cursor(), ev.cursor());

  // Shutdown ends both streams promptly with UNAVAILABLE.
  const absl::Time t0 = absl::Now();
  service_->Shutdown();
  while (w.reader->Read(&ev)) {
  }
  while (again.reader->Read(&ev)) {
  }
  EXPECT_EQ(w.reader->Finish().error_code(), grpc::StatusCode::UNAVAILABLE);
  EXPECT_EQ(again.reader->Finish().error_code(), grpc::StatusCode::UNAVAILABLE);
  server_->Shutdown();
  EXPECT_LT(absl::Now() - t0, absl::Seconds(1));
}

TEST_P(CredentialWatchFaultTest, WatchEndsUnavailableWhenTheStoreFails) {
  RawWatch w;
  w.stub = v1::MefCredentialService::NewStub(env_->Channel(port_, kMaf));
  w.ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(5));
  v1::WatchRevocationsRequest req;
  req.set_start_from_now(true);
  w.reader = w.stub->WatchRevocations(&w.ctx, req);
  v1::RevocationEvent ev;
  ASSERT_TRUE(w.reader->Read(&ev));
  fake_->set_down(true);  // heartbeats must stop: the MAF may no longer trust its cache
  while (w.reader->Read(&ev)) {
  }
  EXPECT_EQ(w.reader->Finish().error_code(), grpc::StatusCode::UNAVAILABLE);
}


INSTANTIATE_TEST_SUITE_P(Stores, CredentialWatchTest, ::testing::Values("fake", "memory", "pg"),
                         [](const ::testing::TestParamInfo<std::string>& i) { return i.param; });
INSTANTIATE_TEST_SUITE_P(Stores, CredentialWatchFaultTest, ::testing::Values("fake"),
                         [](const ::testing::TestParamInfo<std::string>& i) { return i.param; });

}  // namespace
}  // namespace mef
}  // namespace onem2m

// The MAF's client of the MEF (maf/mef_client) against the real MEF credential service: fetch
// retries while the MEF comes up, the deadline, and the revocation watch across a MEF restart.
#include <memory>
#include <string>
#include <thread>

#include "absl/strings/match.h"
#include "common/crypto/key_derivation.h"
#include "common/crypto/key_id.h"
#include "common/testing/mtls_env.h"
#include "common/testing/status_matchers.h"
#include "common/testing/wait_for.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "maf/mef_client/mef_credential_client.h"
#include "maf/mef_client/revocation_watcher.h"
#include "mef/credential/credential_service.h"
#include "mef/credential/testing/fake_enrolee_store.h"
#include "tests/e2e/tcp_proxy.h"

namespace onem2m {
namespace mef {
namespace {

using ::onem2m::testing::IsOk;
using ::testing::Not;

using maf::Backoff;
using maf::FetchedCredential;
using maf::MefChannelArguments;
using maf::MefCredentialClient;
using maf::RevocationWatcher;

constexpr char kMaf[] = "maf.example.com";

// PlainKeOpener: the sealed "ciphertext" is Ke itself, checked against an AAD prefix; enough for
// testing the client without a keyring.
class PlainKeOpener : public KeOpener {
 public:
  absl::StatusOr<SecretBytes> OpenKe(const SealedKey& sealed,
                                     absl::string_view ke_id) const override {
    if (!absl::StartsWith(sealed.ciphertext, ke_id)) {
      return absl::DataLossError("wrong associated data");
    }
    return SecretBytes::Copy(absl::string_view(sealed.ciphertext).substr(ke_id.size()));
  }
  absl::StatusOr<SecretBytes> OpenDecoyKe() const override { return SecretBytes::Random(32); }
};

// docs/protocol.md 7 (issue 11 item 4): while the MEF is down a fetch fails at once with
// UNAVAILABLE (no caller waits its deadline), and once the MEF is back fetches succeed within a
// second, over a channel built with MefChannelArguments as the MAF builds it.
TEST(MefCredentialClientTest, FailsFastWhileTheMefIsDownAndRecoversWithinASecond) {
  testing::FakeEnroleeStore store;
  Enrolee e;
  e.kpm_id = "dev-1";
  e.kpm = SealedKey{"x", 1};
  e.enrolee_id = "Cdev-1";
  e.maf_id = kMaf;
  ASSERT_THAT(store.CreateEnrolee(e), IsOk());
  SecretBytes ke = SecretBytes::Random(32);
  Enrolment m;
  m.ke_id = *crypto::KeyId::FromParts(std::string(16, '\x42'), "mef.example.com");
  m.kpm_id = "dev-1";
  m.ke = SealedKey{m.ke_id.ToString() + std::string(ke.Reveal()), 1};
  m.enrolee_id = "Cdev-1";
  m.maf_id = kMaf;
  m.expires_at = absl::Now() + absl::Hours(1);
  ASSERT_THAT(store.RecordEnrolment(m), IsOk());
  PlainKeOpener opener;
  auto service = MefCredentialServiceImpl::Create(&store, &opener, {});
  ASSERT_THAT(service, IsOk());
  ::onem2m::testing::MtlsEnv env(::onem2m::testing::TempDir());

  // Find a free port, release it, and start the real server there only after the down phase.
  int port = 0;
  {
    grpc::ServerBuilder b;
    b.AddListeningPort("127.0.0.1:0", env.ServerCredentials(), &port);
    std::unique_ptr<grpc::Server> probe = b.BuildAndStart();
    ASSERT_NE(probe, nullptr);
    probe->Shutdown();
  }
  // The client reaches the port through a relay that counts its connection attempts.
  e2e::TcpProxy relay("127.0.0.1", port);
  MefCredentialClient client(env.Channel(relay.port(), kMaf, MefChannelArguments()), kMaf,
                             Backoff{absl::Milliseconds(20), absl::Milliseconds(200), 2.0, 0.5});
  // Down: every fetch (deadline 2 s) is refused quickly. Each try after the first waits for the
  // channel's next connection attempt (its reconnect backoff), so the tries meet the channel in
  // different phases of its down time.
  for (int i = 0; i < 4; ++i) {
    const absl::Time t = absl::Now();
    absl::StatusOr<FetchedCredential> c = client.Fetch(m.ke_id, t + absl::Seconds(2));
    ASSERT_THAT(c, Not(IsOk()));
    EXPECT_EQ(c.status().code(), absl::StatusCode::kUnavailable) << c.status();
    EXPECT_LT(absl::Now() - t, absl::Milliseconds(500)) << "a fetch waited for a MEF known down";
    ASSERT_TRUE(relay.WaitForAccepted(relay.accepted() + 1, absl::Seconds(10)))
        << "the channel stopped trying to reconnect";
  }
  // Back: the first success comes within a second of the server listening again.
  grpc::ServerBuilder b;
  b.AddListeningPort("127.0.0.1:" + std::to_string(port), env.ServerCredentials());
  (*service)->Register(&b);
  std::unique_ptr<grpc::Server> server = b.BuildAndStart();
  ASSERT_NE(server, nullptr);
  (*service)->Start();
  const absl::Time up = absl::Now();
  absl::StatusOr<FetchedCredential> c = absl::UnavailableError("not tried");
  (void)::onem2m::testing::WaitFor(
      [&] {
        c = client.Fetch(m.ke_id, absl::Now() + absl::Seconds(2));
        return c.ok();
      },
      absl::Seconds(5), absl::Milliseconds(20));
  const absl::Duration recovery = absl::Now() - up;
  ASSERT_THAT(c, IsOk());
  EXPECT_LT(recovery, absl::Seconds(1)) << recovery;
  EXPECT_TRUE(c->km.Equals(*crypto::DeriveKm(ke, kMaf)));
  (*service)->Shutdown();
  server->Shutdown();
  (*service)->Stop();
  server.reset();  // before the service (gRPC: queues outlive the server)
}

TEST(MefCredentialClientTest, GivesUpAtTheDeadline) {
  ::onem2m::testing::MtlsEnv env(::onem2m::testing::TempDir());
  int port = 0;
  {
    grpc::ServerBuilder b;
    b.AddListeningPort("127.0.0.1:0", env.ServerCredentials(), &port);
    std::unique_ptr<grpc::Server> probe = b.BuildAndStart();
    probe->Shutdown();
  }
  MefCredentialClient client(env.Channel(port, kMaf), kMaf);
  const absl::Time t0 = absl::Now();
  absl::StatusOr<FetchedCredential> c =
      client.Fetch(*crypto::KeyId::Parse("42424242424242424242424242424242@mef.example.com"),
                   t0 + absl::Milliseconds(500));
  EXPECT_THAT(c, Not(IsOk()));
  EXPECT_TRUE(c.status().code() == absl::StatusCode::kUnavailable ||
              c.status().code() == absl::StatusCode::kDeadlineExceeded)
      << c.status();
  EXPECT_LT(absl::Now() - t0, absl::Seconds(2));
}

// The watcher survives a MEF restart: it reconnects with its cursor and receives the change made
// while the MEF was down, without another resync.
TEST(RevocationWatcherTest, ReconnectsWithCursorAfterMefRestart) {
  testing::FakeEnroleeStore store;
  Enrolee e;
  e.kpm_id = "dev-1";
  e.kpm = SealedKey{"x", 1};
  e.enrolee_id = "Cdev-1";
  e.maf_id = kMaf;
  ASSERT_THAT(store.CreateEnrolee(e), IsOk());
  PlainKeOpener opener;
  ::onem2m::testing::MtlsEnv env(::onem2m::testing::TempDir());
  auto start = [&](int* port, std::unique_ptr<MefCredentialServiceImpl>* svc) {
    *svc = *MefCredentialServiceImpl::Create(&store, &opener, {});
    grpc::ServerBuilder b;
    b.AddListeningPort("127.0.0.1:" + std::to_string(*port), env.ServerCredentials(), port);
    (*svc)->Register(&b);
    std::unique_ptr<grpc::Server> server = b.BuildAndStart();
    (*svc)->Start();
    return server;
  };
  int port = 0;
  std::unique_ptr<MefCredentialServiceImpl> svc;
  std::unique_ptr<grpc::Server> server = start(&port, &svc);
  ASSERT_NE(server, nullptr);

  absl::Mutex mu;
  std::vector<rsp::v1::RevocationEvent> events;
  int resyncs = 0;
  RevocationWatcher::Options o;
  o.heartbeat_interval_ms = 100;
  o.reconnect = Backoff{absl::Milliseconds(20), absl::Milliseconds(200), 2.0, 0.5};
  o.on_event = [&](const rsp::v1::RevocationEvent& ev) {
    absl::MutexLock l(&mu);
    events.push_back(ev);
    return absl::OkStatus();
  };
  o.on_resync = [&] {
    absl::MutexLock l(&mu);
    ++resyncs;
  };
  RevocationWatcher watcher(env.Channel(port, kMaf), o);
  watcher.Start();
  auto wait_for = [](const std::function<bool()>& f) {
    return ::onem2m::testing::WaitFor(f, absl::Seconds(10), absl::Milliseconds(10));
  };
  ASSERT_TRUE(wait_for([&] { return watcher.Healthy(); }));

  svc->Shutdown();
  server->Shutdown();
  server.reset();  // before its service goes
  ASSERT_TRUE(wait_for([&] { return !watcher.Healthy(); }));
  ASSERT_THAT(store.SetState("dev-1", EnroleeState::kDisabled), IsOk());  // while the MEF is down
  server = start(&port, &svc);
  ASSERT_NE(server, nullptr);
  ASSERT_TRUE(wait_for([&] {
    absl::MutexLock l(&mu);
    return !events.empty();
  }));
  watcher.Stop();
  absl::MutexLock l(&mu);
  EXPECT_EQ(events[0].kind(), rsp::v1::RevocationEvent::KIND_ENROLEE_DISABLED);
  EXPECT_EQ(events[0].enrolee_id(), "Cdev-1");
  EXPECT_EQ(resyncs, 1);
  svc->Shutdown();
  server->Shutdown();
  server.reset();
}

}  // namespace
}  // namespace mef
}  // namespace onem2m

// PskServer's admission limits: per-source and global session caps and the memory budget.

#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "common/psk_server/psk_server_test_fixture.h"
#include "common/testing/status_matchers.h"
#include "common/testing/wait_for.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace onem2m::server::psk_server_test {
namespace {

using ::onem2m::testing::IsOk;
using ::onem2m::testing::WaitFor;
using ::testing::Not;

TEST_F(PskServerTest, PerSourceCapRefusesExtraSessions) {
  StartServer(absl::Seconds(30), 2);
  auto a = Connect(tls::Transport::kTls, "device-1", Key());
  auto b = Connect(tls::Transport::kTls, "device-1", Key());
  ASSERT_THAT(a, IsOk());
  ASSERT_THAT(b, IsOk());
  auto c = Connect(tls::Transport::kTls, "device-1", Key());
  EXPECT_THAT(c, Not(IsOk()));
  EXPECT_TRUE(WaitFor([&] { return observer_.Count(HandshakeOutcome::kRejected) >= 1; }));
}

TEST_F(PskServerTest, GlobalSessionCapRefusesNewSessionsUntilOneCloses) {
  max_sessions_ = 2;
  StartServer();
  auto a = Connect(tls::Transport::kTls, "device-1", Key());
  auto b = Connect(tls::Transport::kDtls, "device-2", Key());
  ASSERT_THAT(a, IsOk());
  ASSERT_THAT(b, IsOk());
  // Full: a third TLS connection is closed before its handshake, from any source.
  auto c = Connect(tls::Transport::kTls, "device-1", Key());
  EXPECT_THAT(c, Not(IsOk()));
  EXPECT_GE(observer_.Count(HandshakeOutcome::kOverCapacity), 1);
  EXPECT_EQ(observer_.Count(HandshakeOutcome::kRejected), 0);
  // The sessions already open keep working.
  EXPECT_NE(HttpRoundTrip(**a, "still here").find("still here"), std::string::npos);
  a->reset();
  ASSERT_TRUE(WaitForOpenSessions(*server_, 1));
  auto d = Connect(tls::Transport::kTls, "device-1", Key());
  EXPECT_THAT(d, IsOk());
}

TEST_F(PskServerTest, DtlsClientHelloPastCapGetsNoAnswer) {
  max_sessions_ = 1;
  StartServer();
  auto a = Connect(tls::Transport::kTls, "device-1", Key());
  ASSERT_THAT(a, IsOk());
  tls::ClientOptions co;
  co.transport = tls::Transport::kDtls;
  co.psk_identity = "device-2";
  co.psk = Key();
  auto ctx = tls::PskContext::NewClient(co);
  ASSERT_THAT(ctx, IsOk());
  auto b = tls::BlockingClient::Connect(*ctx, "127.0.0.1", Port(tls::Transport::kDtls),
                                        absl::Now() + absl::Seconds(2));
  EXPECT_THAT(b, Not(IsOk()));
  EXPECT_GE(observer_.Count(HandshakeOutcome::kOverCapacity), 1);
  EXPECT_EQ(server_->open_sessions(), 1);
}

TEST_F(PskServerTest, MemoryBudgetRefusesNewSessions) {
  memory_budget_bytes_ = 1;  // any heap at all is over it
  StartServer();
  auto a = Connect(tls::Transport::kTls, "device-1", Key());
  EXPECT_THAT(a, Not(IsOk()));
  EXPECT_GE(observer_.Count(HandshakeOutcome::kOverCapacity), 1);
  EXPECT_EQ(observer_.Count(HandshakeOutcome::kOk), 0);
}

}  // namespace
}  // namespace onem2m::server::psk_server_test

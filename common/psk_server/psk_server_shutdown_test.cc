// PskServer::Shutdown: it drains a request in flight, refuses new sessions meanwhile, and closes
// idle sessions at once.

#include <thread>

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

TEST_F(PskServerTest, ShutdownLetsAnInFlightRequestFinishAndRefusesNewSessions) {
  StartServer();
  factory_.gate.hold = true;
  auto c = Connect(tls::Transport::kTls, "device-1", Key());
  ASSERT_THAT(c, IsOk());
  std::string answer;
  std::thread client([&] { answer = HttpRoundTrip(**c, "in-flight"); });
  ASSERT_TRUE(factory_.gate.arrived.WaitForNotificationWithTimeout(absl::Seconds(10)));
  absl::Time start = absl::Now();
  absl::Notification stopped;
  std::thread stopper([&] {
    server_->Shutdown(absl::Seconds(5));
    stopped.Notify();
  });
  // Until the drain begins a new session is still accepted (and, idle, closed by the drain); once
  // it has begun, with the answer still held, every new session is refused.
  EXPECT_TRUE(WaitFor([&] { return !Connect(tls::Transport::kTls, "device-2", Key()).ok(); }))
      << "a new session was accepted while draining";
  EXPECT_FALSE(stopped.HasBeenNotified()) << "shutdown did not wait for the request in flight";
  factory_.gate.release.Notify();
  client.join();
  stopper.join();
  EXPECT_NE(answer.find("|in-flight"), std::string::npos) << answer;
  // Shutdown waited for the answer, not for the whole grace period.
  EXPECT_LT(absl::Now() - start, absl::Seconds(3));
  EXPECT_EQ(server_->open_sessions(), 0);
}

TEST_F(PskServerTest, ShutdownLetsServerStopWithOpenSessions) {
  StartServer();
  auto c = Connect(tls::Transport::kTls, "device-1", Key());
  ASSERT_THAT(c, IsOk());
  absl::Time start = absl::Now();
  server_->Shutdown(absl::Seconds(5));
  // The idle session is closed at once, so shutdown does not wait for the grace period.
  EXPECT_LT(absl::Now() - start, absl::Seconds(2));
  EXPECT_EQ(server_->open_sessions(), 0);
}

}  // namespace
}  // namespace onem2m::server::psk_server_test

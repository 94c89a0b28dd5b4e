// PskServer with an asynchronous PSK resolver: a pending lookup pauses only its own session, and a
// late answer (after the handshake deadline or the server) is harmless.

#include <atomic>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
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

// Echo sends `body` over either transport (HTTP over TLS, a bare datagram over DTLS) and returns
// what the echo handler answered after its "identity|export|" prefix.
std::string Echo(tls::Transport t, tls::BlockingClient& c, const std::string& body) {
  std::string answer;
  if (t == tls::Transport::kTls) {
    answer = HttpRoundTrip(c, body);
  } else {
    absl::Time deadline = absl::Now() + absl::Seconds(5);
    if (!c.Write(body, deadline).ok()) return "<write>";
    absl::StatusOr<std::string> got = c.Read(2048, deadline);
    if (!got.ok()) return "<read>";
    answer = *got;
  }
  size_t bar = answer.rfind('|');
  return bar == std::string::npos ? answer : answer.substr(bar + 1);
}

// An asynchronous resolver: "slow-*" identities are answered from another thread once released
// (or never); every other identity is answered at once, inside ResolveAsync.
class GatedAsyncResolver : public tls::PskResolver {
 public:
  ~GatedAsyncResolver() override { ReleaseAll(); }
  absl::StatusOr<tls::ResolvedPsk> Resolve(absl::string_view) override {
    return absl::InternalError("synchronous lookup on an async server");
  }
  bool SupportsAsync() const override { return true; }
  void ResolveAsync(absl::string_view identity, ResolveDone done) override {
    if (!absl::StartsWith(identity, "slow")) {
      done(Key());
      return;
    }
    absl::MutexLock l(&mu_);
    waiting_.push_back(std::move(done));
  }
  int waiting() {
    absl::MutexLock l(&mu_);
    return static_cast<int>(waiting_.size());
  }
  void ReleaseAll() {
    std::vector<ResolveDone> all;
    {
      absl::MutexLock l(&mu_);
      all.swap(waiting_);
    }
    std::thread answer([all = std::move(all)] {
      for (const ResolveDone& d : all) d(Key());
    });
    answer.join();
  }

 private:
  absl::Mutex mu_;
  std::vector<ResolveDone> waiting_;
};

TEST_F(PskServerTest, AsyncLookupsPauseSessionsWithoutStallingTheIoThreads) {
  auto resolver = std::make_shared<GatedAsyncResolver>();
  StartServer(absl::Seconds(30), 256, absl::Seconds(10), {}, "127.0.0.1", resolver);
  std::vector<std::thread> slow;
  std::atomic<int> slow_ok{0};
  for (int i = 0; i < 6; ++i) {
    tls::Transport t = i % 2 == 0 ? tls::Transport::kTls : tls::Transport::kDtls;
    slow.emplace_back([&, t, i] {
      auto c = Connect(t, absl::StrCat("slow-", i), Key());
      if (c.ok() && Echo(t, **c, "late") == "late") ++slow_ok;
    });
  }
  // (DTLS clients retransmit a lost flight after 1 s, hence the generous wait.)
  EXPECT_TRUE(WaitFor([&] { return resolver->waiting() >= 6; }));
  EXPECT_EQ(resolver->waiting(), 6);  // every I/O thread holds paused sessions...
  for (tls::Transport t : {tls::Transport::kTls, tls::Transport::kDtls}) {
    absl::Time start = absl::Now();
    auto fast = Connect(t, "device-1", Key());  // ...and still serves others at once
    EXPECT_THAT(fast, IsOk());
    if (fast.ok()) {
      EXPECT_EQ(Echo(t, **fast, "now"), "now");
    }
    EXPECT_LT(absl::Now() - start, absl::Seconds(2));
  }
  resolver->ReleaseAll();
  for (auto& t : slow) t.join();
  EXPECT_EQ(slow_ok.load(), 6);
}

TEST_F(PskServerTest, ObserverHearsHowLongEachPausedLookupWaited) {
  auto resolver = std::make_shared<GatedAsyncResolver>();
  StartServer(absl::Seconds(30), 256, absl::Seconds(10), {}, "127.0.0.1", resolver);
  std::thread slow([&] {
    auto c = Connect(tls::Transport::kTls, "slow-measured", Key());
    EXPECT_THAT(c, IsOk());
  });
  ASSERT_TRUE(WaitFor([&] { return resolver->waiting() >= 1; }));
  // The answer comes 250 ms after the lookup was asked for; the session marks its pause just after
  // asking, so the wait it reports is at least 250 ms less that instant (200 ms leaves room).
  absl::SleepFor(absl::Milliseconds(250));
  resolver->ReleaseAll();
  slow.join();
  absl::MutexLock l(&observer_.mu);
  ASSERT_EQ(observer_.lookups.size(), 1u);  // one paused handshake, one report
  EXPECT_EQ(observer_.lookups[0].first, tls::Transport::kTls);
  EXPECT_GE(observer_.lookups[0].second, absl::Milliseconds(200));
  EXPECT_LT(observer_.lookups[0].second, absl::Seconds(5));
}

TEST_F(PskServerTest, AsyncLookupOutlivingTheHandshakeDeadlineOrTheServerIsHarmless) {
  auto resolver = std::make_shared<GatedAsyncResolver>();
  StartServer(absl::Seconds(30), 256, /*hs_timeout=*/absl::Milliseconds(300), {}, "127.0.0.1",
              resolver);
  // Paused past the handshake deadline: the session closes; the late answer wakes nothing.
  auto timed_out = Connect(tls::Transport::kTls, "slow-late", Key());
  EXPECT_THAT(timed_out, Not(IsOk()));
  EXPECT_TRUE(WaitForOpenSessions(*server_, 0));
  resolver->ReleaseAll();
  // Still serving.
  auto ok = Connect(tls::Transport::kTls, "device-1", Key());
  ASSERT_THAT(ok, IsOk());
  // A lookup still pending when the server goes away: its answer arrives after shutdown.
  const int dtls_port = Port(tls::Transport::kDtls);
  std::thread pending(
      [&] { (void)ConnectToPort(tls::Transport::kDtls, "slow-shutdown", Key(), dtls_port); });
  EXPECT_TRUE(WaitFor([&] { return resolver->waiting() >= 1; }));
  EXPECT_EQ(resolver->waiting(), 1);
  server_.reset();
  resolver->ReleaseAll();
  pending.join();
}

}  // namespace
}  // namespace onem2m::server::psk_server_test

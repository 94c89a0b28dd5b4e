// Tests of the Enrolee's bootstrap retry policy (full-jitter exponential backoff with an injected
// sleep) against a port that refuses connections: which errors are retried, and the sleeps.
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <vector>

#include "absl/status/status.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "enrolee/bootstrap_client.h"
#include "enrolee/testing/fake_mef.h"
#include "gtest/gtest.h"

namespace onem2m::enrolee {
namespace {

class RefusingPort {
 public:
  RefusingPort() {
    // Bound but not listening: connects are refused, and the port stays ours for the test.
    fd_ = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = 0;
    EXPECT_EQ(bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof(a)), 0);
    socklen_t len = sizeof(a);
    EXPECT_EQ(getsockname(fd_, reinterpret_cast<sockaddr*>(&a), &len), 0);
    port_ = ntohs(a.sin_port);
  }
  ~RefusingPort() { close(fd_); }
  int port() const { return port_; }

 private:
  int fd_ = -1;
  int port_ = 0;
};

BootstrapOptions RefusedOptions(const RefusingPort& p) {
  BootstrapOptions o;
  o.mef_host = "127.0.0.1";
  o.mef_port = p.port();
  o.mef_fqdn = kMefFqdn;
  o.transport = tls::Transport::kTls;
  o.kpm_id = kKpmId;
  o.kpm = Kpm();
  o.attempt_timeout = absl::Seconds(2);
  return o;
}

TEST(IsRetryableTest, OnlyUnavailableAndDeadlineExceeded) {
  EXPECT_TRUE(IsRetryable(absl::UnavailableError("x")));
  EXPECT_TRUE(IsRetryable(absl::DeadlineExceededError("x")));
  EXPECT_FALSE(IsRetryable(absl::UnauthenticatedError("x")));
  EXPECT_FALSE(IsRetryable(absl::FailedPreconditionError("x")));
  EXPECT_FALSE(IsRetryable(absl::DataLossError("x")));
  EXPECT_FALSE(IsRetryable(absl::InvalidArgumentError("x")));
  EXPECT_FALSE(IsRetryable(absl::InternalError("x")));
  EXPECT_FALSE(IsRetryable(absl::OkStatus()));
}

TEST(BootstrapRetryTest, RefusedConnectionIsUnavailable) {
  RefusingPort p;
  auto r = Bootstrap(RefusedOptions(p));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), absl::StatusCode::kUnavailable) << r.status();
}

TEST(BootstrapRetryTest, SleepsAreFullJitterUnderDoublingCapsUpToMaxBackoff) {
  RefusingPort p;
  RetryPolicy policy;
  policy.max_attempts = 7;
  policy.initial_backoff = absl::Milliseconds(100);
  policy.max_backoff = absl::Milliseconds(500);
  std::vector<absl::Duration> sleeps;
  policy.sleep = [&sleeps](absl::Duration d) { sleeps.push_back(d); };
  absl::Time start = absl::Now();
  auto r = BootstrapWithRetry(RefusedOptions(p), policy);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_LT(absl::Now() - start, absl::Seconds(5));  // the injected sleep did not sleep
  const std::vector<absl::Duration> caps = {absl::Milliseconds(100), absl::Milliseconds(200),
                                            absl::Milliseconds(400), absl::Milliseconds(500),
                                            absl::Milliseconds(500), absl::Milliseconds(500)};
  ASSERT_EQ(sleeps.size(), caps.size());
  for (size_t i = 0; i < sleeps.size(); ++i) {
    SCOPED_TRACE(i);
    EXPECT_GE(sleeps[i], absl::ZeroDuration());
    EXPECT_LT(sleeps[i], caps[i]);
  }
}

TEST(BootstrapRetryTest, SleepsAreJittered) {
  RefusingPort p;
  RetryPolicy policy;
  policy.max_attempts = 9;
  policy.initial_backoff = absl::Seconds(10);
  policy.max_backoff = absl::Seconds(10);
  std::vector<absl::Duration> sleeps;
  policy.sleep = [&sleeps](absl::Duration d) { sleeps.push_back(d); };
  (void)BootstrapWithRetry(RefusedOptions(p), policy);
  ASSERT_EQ(sleeps.size(), 8u);
  // Eight uniform draws from [0, 10 s] at microsecond resolution are not all equal (the chance is
  // about 1e-49), so the delay is random rather than the cap itself.
  bool all_equal = true;
  for (absl::Duration d : sleeps) all_equal = all_equal && d == sleeps[0];
  EXPECT_FALSE(all_equal);
}

TEST(BootstrapRetryTest, SingleAttemptPolicyNeverSleeps) {
  RefusingPort p;
  RetryPolicy policy;
  policy.max_attempts = 1;
  std::vector<absl::Duration> sleeps;
  policy.sleep = [&sleeps](absl::Duration d) { sleeps.push_back(d); };
  auto r = BootstrapWithRetry(RefusedOptions(p), policy);
  EXPECT_EQ(r.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_TRUE(sleeps.empty());
}

// max_attempts <= 0 means one attempt, and no sleep after it.
TEST(BootstrapRetryTest, NonPositiveMaxAttemptsMakesOneAttemptWithoutSleeping) {
  RefusingPort p;
  RetryPolicy policy;
  policy.max_attempts = 0;
  std::vector<absl::Duration> sleeps;
  policy.sleep = [&sleeps](absl::Duration d) { sleeps.push_back(d); };
  auto r = BootstrapWithRetry(RefusedOptions(p), policy);
  EXPECT_EQ(r.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_TRUE(sleeps.empty()) << "slept " << sleeps.size() << " time(s) after the last attempt";
}

// Full jitter draws from [0, cap): with a 1 us cap every sleep is 0.
TEST(BootstrapRetryTest, JitterNeverReachesTheCap) {
  RefusingPort p;
  RetryPolicy policy;
  policy.max_attempts = 40;
  policy.initial_backoff = absl::Microseconds(1);
  policy.max_backoff = absl::Microseconds(1);
  std::vector<absl::Duration> sleeps;
  policy.sleep = [&sleeps](absl::Duration d) { sleeps.push_back(d); };
  (void)BootstrapWithRetry(RefusedOptions(p), policy);
  ASSERT_EQ(sleeps.size(), 39u);
  for (absl::Duration d : sleeps) EXPECT_LT(d, absl::Microseconds(1));
}

// max_backoff bounds the first sleep too, even when initial_backoff is larger.
TEST(BootstrapRetryTest, FirstSleepIsAlsoBoundedByMaxBackoff) {
  RefusingPort p;
  RetryPolicy policy;
  policy.max_attempts = 2;
  policy.initial_backoff = absl::Hours(1);
  policy.max_backoff = absl::Milliseconds(1);
  std::vector<absl::Duration> sleeps;
  policy.sleep = [&sleeps](absl::Duration d) { sleeps.push_back(d); };
  (void)BootstrapWithRetry(RefusedOptions(p), policy);
  ASSERT_EQ(sleeps.size(), 1u);
  EXPECT_LE(sleeps[0], absl::Milliseconds(1));
}

}  // namespace
}  // namespace onem2m::enrolee

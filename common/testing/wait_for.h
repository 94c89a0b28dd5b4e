// File: common/testing/wait_for.h
//
// WaitFor waits for a condition that another thread or process brings about when there is nothing
// to be notified by (a gRPC stream's health, a child process's port, a row another service
// writes): it checks `condition` every `poll` until it holds or `timeout` passes, and returns its
// last value. It returns as soon as the condition holds, so a test asserts on the state it waited
// for, never on the passing of time. Prefer an absl::Notification or an injected clock when the
// code under test offers one.
//
//   ASSERT_TRUE(WaitFor([&] { return watcher.Healthy(); }));
//   EXPECT_TRUE(WaitFor([&] { return store.Revoked(id); }, absl::Seconds(5)));
#ifndef ONEM2M_COMMON_TESTING_WAIT_FOR_H_
#define ONEM2M_COMMON_TESTING_WAIT_FOR_H_

#include <functional>

#include "absl/time/time.h"

namespace onem2m::testing {

bool WaitFor(const std::function<bool()>& condition, absl::Duration timeout = absl::Seconds(10),
             absl::Duration poll = absl::Milliseconds(5));

}  // namespace onem2m::testing

#endif  // ONEM2M_COMMON_TESTING_WAIT_FOR_H_

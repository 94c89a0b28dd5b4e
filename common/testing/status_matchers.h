// File: common/testing/status_matchers.h
//
// GoogleMock matchers for absl::Status and absl::StatusOr<T>, so a test states the code it expects
// in one line and a failure prints the status it got (message included):
//
//   EXPECT_THAT(ParseKeyId("x"), StatusIs(absl::StatusCode::kInvalidArgument));
//   EXPECT_THAT(store.Get(id), StatusIs(absl::StatusCode::kNotFound, HasSubstr("unknown")));
//   EXPECT_THAT(store.Put(row), IsOk());
//   EXPECT_THAT(ParseHex("00ff"), IsOkAndHolds(std::string("\x00\xff", 2)));
#ifndef ONEM2M_COMMON_TESTING_STATUS_MATCHERS_H_
#define ONEM2M_COMMON_TESTING_STATUS_MATCHERS_H_

#include <ostream>
#include <string>
#include <utility>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "gmock/gmock.h"

namespace onem2m::testing {
namespace internal {

inline const absl::Status& GetStatus(const absl::Status& status) { return status; }

template <typename T>
const absl::Status& GetStatus(const absl::StatusOr<T>& status_or) {
  return status_or.status();
}

class StatusIsMatcher {
 public:
  using is_gtest_matcher = void;

  StatusIsMatcher(absl::StatusCode code, ::testing::Matcher<const std::string&> message)
      : code_(code), message_(std::move(message)) {}

  template <typename T>
  bool MatchAndExplain(const T& value, ::testing::MatchResultListener* listener) const {
    const absl::Status& status = GetStatus(value);
    *listener << "which has status " << status;
    if (status.code() != code_) return false;
    return message_.MatchAndExplain(std::string(status.message()), listener);
  }

  void DescribeTo(std::ostream* os) const {
    *os << "has code " << absl::StatusCodeToString(code_) << " and a message that ";
    message_.DescribeTo(os);
  }

  void DescribeNegationTo(std::ostream* os) const {
    *os << "does not have code " << absl::StatusCodeToString(code_) << " or a message that ";
    message_.DescribeTo(os);
  }

 private:
  absl::StatusCode code_;
  ::testing::Matcher<const std::string&> message_;
};

template <typename InnerMatcher>
class IsOkAndHoldsMatcher {
 public:
  using is_gtest_matcher = void;

  explicit IsOkAndHoldsMatcher(InnerMatcher inner) : inner_(std::move(inner)) {}

  template <typename T>
  bool MatchAndExplain(const absl::StatusOr<T>& value,
                       ::testing::MatchResultListener* listener) const {
    if (!value.ok()) {
      *listener << "which has status " << value.status();
      return false;
    }
    return ::testing::SafeMatcherCast<const T&>(inner_).MatchAndExplain(*value, listener);
  }

  void DescribeTo(std::ostream* os) const { *os << "is OK and holds a value that matches"; }
  void DescribeNegationTo(std::ostream* os) const {
    *os << "is not OK or holds a value that does not match";
  }

 private:
  InnerMatcher inner_;
};

}  // namespace internal

// StatusIs matches an absl::Status or absl::StatusOr<T> with `code` and a message matching
// `message` (any message when omitted).
inline internal::StatusIsMatcher StatusIs(
    absl::StatusCode code, ::testing::Matcher<const std::string&> message = ::testing::_) {
  return internal::StatusIsMatcher(code, std::move(message));
}

// IsOk matches an OK absl::Status or an absl::StatusOr<T> holding a value.
inline internal::StatusIsMatcher IsOk() { return StatusIs(absl::StatusCode::kOk); }

// IsOkAndHolds matches an OK absl::StatusOr<T> whose value matches `inner`.
template <typename InnerMatcher>
internal::IsOkAndHoldsMatcher<InnerMatcher> IsOkAndHolds(InnerMatcher inner) {
  return internal::IsOkAndHoldsMatcher<InnerMatcher>(std::move(inner));
}

}  // namespace onem2m::testing

#endif  // ONEM2M_COMMON_TESTING_STATUS_MATCHERS_H_

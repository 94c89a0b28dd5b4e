// File: services/common/option_error.h
//
// OptionError names the flag whose value cannot be used and says why; OptionOr<T> is a T built
// from flag values, or the OptionError that stopped it. The parsers of flag values
// (listener_options.h, store_selection.h, mef_endpoints.h) return OptionOr so that they stay
// pure and testable, and ServiceSetup::Require turns an error into the one start-up failure every
// service prints: "<service>: --<option>: <status>", exit code 2.
//
//   OptionOr<StoreSelection> s = ParseStoreSelection(flags, "mef_server");
//   if (!s.ok()) std::cerr << s.error().option << ": " << s.error().status;
//   StoreSelection selection = setup.Require(std::move(s));  // dies naming the option
#ifndef ONEM2M_SERVICES_COMMON_OPTION_ERROR_H_
#define ONEM2M_SERVICES_COMMON_OPTION_ERROR_H_

#include <optional>
#include <string>
#include <utility>

#include "absl/status/status.h"

namespace onem2m::services {

// OptionError is a flag value that cannot be used: the flag's name without dashes ("pg",
// "tls_listen/dtls_listen" when the fault lies in their pair) and a status that is never OK.
struct OptionError {
  std::string option;
  absl::Status status;
};

// OptionOr holds either a value or the OptionError that prevented it, like absl::StatusOr with
// the option's name beside the status. Check ok() before using * or ->.
template <typename T>
class OptionOr {
 public:
  OptionOr(T value) : value_(std::move(value)) {}            // NOLINT(runtime/explicit)
  OptionOr(OptionError error) : error_(std::move(error)) {}  // NOLINT(runtime/explicit)

  bool ok() const { return value_.has_value(); }
  // error returns the failure; only meaningful when !ok().
  const OptionError& error() const { return error_; }

  T& operator*() & { return *value_; }
  const T& operator*() const& { return *value_; }
  T&& operator*() && { return *std::move(value_); }
  T* operator->() { return &*value_; }
  const T* operator->() const { return &*value_; }

 private:
  std::optional<T> value_;
  OptionError error_;
};

}  // namespace onem2m::services

#endif  // ONEM2M_SERVICES_COMMON_OPTION_ERROR_H_

#include "common/pg/status.h"

#include <string>

#include "absl/strings/cord.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "pqxx/except"

namespace onem2m {
namespace pg {
namespace {

constexpr absl::string_view kConnectionLossPayload = "type.onem2m/pg.connection_loss";
constexpr size_t kMaxMessage = 300;

// FirstLine keeps the server's primary message and drops DETAIL/HINT/CONTEXT/QUERY lines, which may
// quote row values.
std::string FirstLine(absl::string_view msg) {
  size_t nl = msg.find('\n');
  absl::string_view line = msg.substr(0, nl);
  while (!line.empty() && (line.back() == ' ' || line.back() == '\r')) line.remove_suffix(1);
  if (line.size() > kMaxMessage) line = line.substr(0, kMaxMessage);
  return std::string(line);
}

absl::Status ConnectionLoss(std::string message) {
  absl::Status s = absl::UnavailableError(std::move(message));
  s.SetPayload(kConnectionLossPayload, absl::Cord("1"));
  return s;
}

absl::Status FromSqlState(const std::string& state, absl::string_view what,
                          absl::string_view server_msg) {
  std::string msg = absl::StrCat(what, ": ", FirstLine(server_msg), " (SQLSTATE ", state, ")");
  if (absl::StartsWith(state, "08") || state == "57P01" || state == "57P02" || state == "57P03") {
    return ConnectionLoss(std::move(msg));
  }
  if (state == "53300") return absl::UnavailableError(std::move(msg));
  if (state == "23505") return absl::AlreadyExistsError(std::move(msg));
  if (state == "23503") return absl::FailedPreconditionError(std::move(msg));
  if (state == "40001" || state == "40P01") return absl::AbortedError(std::move(msg));
  if (state == "57014") return absl::DeadlineExceededError(std::move(msg));
  if (absl::StartsWith(state, "22") || state == "23502" || state == "23514") {
    return absl::InvalidArgumentError(std::move(msg));
  }
  return absl::InternalError(std::move(msg));
}

}  // namespace

absl::Status ToStatus(const std::exception_ptr& e, absl::string_view what) {
  try {
    std::rethrow_exception(e);
  } catch (const pqxx::in_doubt_error& ex) {
    return ConnectionLoss(absl::StrCat(what, ": connection lost during commit, outcome unknown: ",
                                       FirstLine(ex.what())));
  } catch (const pqxx::broken_connection& ex) {
    // Includes "could not connect" (refused, timeout, auth failure) and too_many_connections.
    return ConnectionLoss(absl::StrCat(what, ": database unavailable: ", FirstLine(ex.what())));
  } catch (const pqxx::sql_error& ex) {
    return FromSqlState(ex.sqlstate(), what, ex.what());
  } catch (const pqxx::failure& ex) {
    // libpqxx reports some connection losses (e.g. mid-query terminations) as plain failure.
    absl::string_view m = ex.what();
    if (absl::StrContains(m, "connection") &&
        (absl::StrContains(m, "lost") || absl::StrContains(m, "closed") ||
         absl::StrContains(m, "terminat") || absl::StrContains(m, "broken"))) {
      return ConnectionLoss(absl::StrCat(what, ": database unavailable: ", FirstLine(m)));
    }
    return absl::InternalError(absl::StrCat(what, ": ", FirstLine(m)));
  } catch (const std::exception& ex) {
    return absl::InternalError(absl::StrCat(what, ": ", FirstLine(ex.what())));
  } catch (...) {
    return absl::InternalError(absl::StrCat(what, ": unknown exception"));
  }
}

absl::Status CurrentExceptionToStatus(absl::string_view what) {
  return ToStatus(std::current_exception(), what);
}

bool IsConnectionLoss(const absl::Status& status) {
  return status.GetPayload(kConnectionLossPayload).has_value();
}

std::string ScrubSecret(absl::string_view message, absl::string_view secret) {
  if (secret.empty()) return std::string(message);
  return absl::StrReplaceAll(message, {{secret, "***"}});
}

}  // namespace pg
}  // namespace onem2m

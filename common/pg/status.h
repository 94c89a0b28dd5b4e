// File: common/pg/status.h
//
// ToStatus maps an exception thrown by libpqxx to an absl::Status. It is meant to be called only in
// a catch block inside common/pg and the stores, so pqxx exceptions never cross those boundaries.
//
//   try { ... } catch (...) { return onem2m::pg::CurrentExceptionToStatus("get enrolee"); }
//
// Mapping: lost or refused connections (pqxx::broken_connection, SQLSTATE class 08, 57P01..57P03,
// 53300 too many connections) -> kUnavailable; unique violation (23505) -> kAlreadyExists; foreign
// key violation (23503) -> kFailedPrecondition; serialization failure or deadlock (40001, 40P01) ->
// kAborted; query cancelled by statement_timeout (57014) -> kDeadlineExceeded; commit outcome
// unknown (pqxx::in_doubt_error) -> kUnavailable saying so; anything else -> kInternal.
//
// Messages carry the operation name, the SQLSTATE and only the first line of the server's message:
// the DETAIL line can quote row values ("Failing row contains (...)"), which might include sealed
// key blobs. Connection-string passwords are never part of a pqxx message, and are scrubbed anyway.
#ifndef ONEM2M_COMMON_PG_STATUS_H_
#define ONEM2M_COMMON_PG_STATUS_H_

#include <exception>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace onem2m {
namespace pg {

// CurrentExceptionToStatus maps the exception being handled (call it only inside a catch block).
// `what` names the operation for the message, e.g. "record enrolment".
absl::Status CurrentExceptionToStatus(absl::string_view what);

// ToStatus maps `e`; see the file comment.
absl::Status ToStatus(const std::exception_ptr& e, absl::string_view what);

// IsConnectionLoss reports whether `status` came from a lost or refused connection (as opposed to a
// pool-exhausted kUnavailable), i.e. whether the connection used should be discarded.
bool IsConnectionLoss(const absl::Status& status);

// ScrubSecret returns `message` with every occurrence of `secret` replaced by "***" (no-op for an
// empty secret). Used for passwords taken from a conninfo string.
std::string ScrubSecret(absl::string_view message, absl::string_view secret);

}  // namespace pg
}  // namespace onem2m

#endif  // ONEM2M_COMMON_PG_STATUS_H_

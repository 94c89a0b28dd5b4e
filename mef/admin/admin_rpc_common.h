// File: mef/admin/admin_rpc_common.h
//
// What every MefAdminService RPC (mef_admin_service.h) does the same way, shared by the files that
// implement it (mef_admin_service.cc: records and lists; mef_admin_lifecycle.cc: state, deletion
// and Kpm rotation; mef_admin_kek.cc: keyring status and rewrap): page sizes and the bound on store
// pages per list call, the audit record of a mutation, and wiping a Kpm out of a request.
// Internal to the mef_admin_service library.
#ifndef ONEM2M_MEF_ADMIN_ADMIN_RPC_COMMON_H_
#define ONEM2M_MEF_ADMIN_ADMIN_RPC_COMMON_H_

#include <algorithm>
#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "common/log/logger.h"
#include "common/secret_bytes.h"
#include "proto/onem2m/rsp/v1/mef_admin.pb.h"

namespace onem2m {
namespace mef {
namespace admin_rpc {

inline constexpr int kDefaultPageSize = 100;
inline constexpr int kMaxPageSize = 1000;
// A filtered list scans at most this many store pages per call and then returns a short page
// with a token, so one request cannot pin a store connection for a full-table scan.
inline constexpr int kMaxStorePagesPerList = 20;

// PageSize maps a request's page_size: 0 -> kDefaultPageSize, capped at kMaxPageSize.
inline absl::StatusOr<int> PageSize(int32_t requested) {
  if (requested < 0) return absl::InvalidArgumentError("page_size: must not be negative");
  if (requested == 0) return kDefaultPageSize;
  return std::min<int>(requested, kMaxPageSize);
}

// Outcome names a status in audit records.
inline std::string Outcome(const absl::Status& s) {
  return std::string(absl::StatusCodeToString(s.code()));
}

inline void AuditMutation(absl::string_view event, const std::string& actor,
                          const std::string& kpm_id, const absl::Status& outcome,
                          const std::string& reason = "") {
  Audit(event, {{"actor", actor},
                {"kpm_id", kpm_id},
                {"outcome", Outcome(outcome)},
                {"reason", reason},
                {"detail", outcome.ok() ? std::string() : std::string(outcome.message())}});
}

// WipeKpmField wipes a Kpm that arrived in a const request. The synchronous API hands requests
// as const, but the message is a heap object gRPC created for this call and nothing reads the
// field after us, so removing const to scrub it is sound.
inline void WipeKpmField(const std::string& field) { WipeString(const_cast<std::string*>(&field)); }

inline void SetActor(const std::string& identity, ::onem2m::rsp::v1::AuditActor* out) {
  out->set_identity(identity);
}

}  // namespace admin_rpc
}  // namespace mef
}  // namespace onem2m

#endif  // ONEM2M_MEF_ADMIN_ADMIN_RPC_COMMON_H_

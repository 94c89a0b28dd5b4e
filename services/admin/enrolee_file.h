// File: services/admin/enrolee_file.h
//
// Enrolee files for `rsp_admin import`: CSV (RFC 4180, header row) or JSON (an array of objects),
// with the same column/key names:
//
//   kpm_id,kpm_hex,enrolee_id,maf_id,maf_uri,lifetime_seconds,fetch_grants
//   dev-0001,00112233445566778899aabbccddeeff,C-dev-0001,maf.example.com,,86400,cse.example.com/42
//
//   [{"kpm_id": "dev-0001", "kpm_hex": "0011...", "enrolee_id": "C-dev-0001",
//     "maf_id": "maf.example.com", "maf_uri": "", "lifetime_seconds": 86400}]
//
// kpm_id, kpm_hex, enrolee_id and maf_id are required columns; maf_uri, lifetime_seconds and
// fetch_grants may be omitted or empty (empty lifetime = the MEF's default). fetch_grants is the
// enrolee's allow-list for the usage-constrained key fetch (mef_admin.proto FetchGrant):
// space-separated "<target_id>/<suid>" items. Columns may come in any order; an
// unknown or repeated column name is an error for the whole file (a typo would otherwise drop
// data silently).
//
// A file-level error (unreadable file, CSV syntax, JSON syntax, bad header) is reported by
// OpenEnroleeFile before anything is sent: the whole file is checked first. A row-level problem
// (wrong number of fields, bad hex, non-numeric lifetime) does not stop the import: the row comes
// back from Next with `error` set and is reported as rejected by the client, like the server's
// own per-row rejections. Row references are the CSV line on which the record starts (the header
// is line 1) or the 1-based index in the JSON array.
//
//   absl::StatusOr<std::unique_ptr<EnroleeSource>> src = OpenEnroleeFile("enrolees.csv");
//   SourceRow row;
//   while (*(more = (*src)->Next(&row))) { ... row.request ... }   // request.kpm is SECRET
#ifndef ONEM2M_SERVICES_ADMIN_ENROLEE_FILE_H_
#define ONEM2M_SERVICES_ADMIN_ENROLEE_FILE_H_

#include <cstdint>
#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "proto/onem2m/rsp/v1/mef_admin.pb.h"

namespace onem2m {
namespace admin {

// ParseFetchGrants appends the grants of a fetch_grants value to `spec`: space-separated
// "<target_id>/<suid>" items (e.g. "cse.example.com/42 ae.example.com/7"). InvalidArgument names
// the column for a malformed item; the MEF validates the values themselves.
absl::Status ParseFetchGrants(absl::string_view text, ::onem2m::rsp::v1::EnroleeSpec* spec);

// SourceRow is one row of an enrolee file.
struct SourceRow {
  uint64_t row = 0;  // CSV line or JSON index (1-based)
  // kpm_id as read (may be empty or invalid), for rejection reports.
  std::string kpm_id;
  // error: non-OK when the row could not be turned into a request (then `request` is empty).
  absl::Status error;
  // request: the row as a CreateEnroleeRequest. request.kpm holds Kpm: wipe it after sending.
  ::onem2m::rsp::v1::CreateEnroleeRequest request;
};

// EnroleeSource yields the rows of a checked enrolee file in order.
class EnroleeSource {
 public:
  virtual ~EnroleeSource() = default;
  // Next fills `out` and returns true, false after the last row, or an error for an I/O failure
  // (the file changed since it was checked).
  virtual absl::StatusOr<bool> Next(SourceRow* out) = 0;
  // total_rows is the number of data rows in the file.
  virtual uint64_t total_rows() const = 0;
};

// OpenEnroleeFile checks the whole file and returns a source over it; the format follows the
// extension (.csv or .json, any case).
absl::StatusOr<std::unique_ptr<EnroleeSource>> OpenEnroleeFile(const std::string& path);

// OpenCsvText and OpenJsonText are the same over in-memory text (tests, and stdin for --file=-).
absl::StatusOr<std::unique_ptr<EnroleeSource>> OpenCsvText(std::string text);
absl::StatusOr<std::unique_ptr<EnroleeSource>> OpenJsonText(const std::string& text);

// ParseKpmHex decodes a Kpm given in hex (either case) into `out`; the error never quotes it.
absl::Status ParseKpmHex(const std::string& hex, std::string* out);

}  // namespace admin
}  // namespace onem2m

#endif  // ONEM2M_SERVICES_ADMIN_ENROLEE_FILE_H_

// File: services/admin/import_runner.h
//
// RunImport streams an enrolee file to MefAdminService.ImportEnrolees and reports exactly what was
// stored. Rows the client cannot even encode (see enrolee_file.h) are rejected locally and not
// sent. The server's limit is 100000 rows per stream, so a larger file is sent as consecutive
// streams; a stream that fails stops the import.
//
// The report distinguishes three outcomes, and FormatImportReport spells each out:
// - complete: every row was sent and the server answered with a summary (rejections listed);
// - stopped by the server (e.g. store down): the server's summary of the committed prefix and the
//   first row that was NOT stored (trailing metadata, see mef/admin/mef_admin_service.h);
// - broken stream without a server summary (network, deadline): rows of earlier, completed
//   streams are stored; for the current stream the report says the outcome is unknown and that
//   re-running the import is safe (stored rows come back as ALREADY_EXISTS).
//
//   absl::StatusOr<std::unique_ptr<EnroleeSource>> src = OpenEnroleeFile(path);
//   ImportReport report = RunImport(stub.get(), src->get(), ImportOptions{});
//   std::cout << FormatImportReport(report);
//   return report.ok() ? 0 : 1;
#ifndef ONEM2M_SERVICES_ADMIN_IMPORT_RUNNER_H_
#define ONEM2M_SERVICES_ADMIN_IMPORT_RUNNER_H_

#include <cstdint>
#include <ostream>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "proto/onem2m/rsp/v1/mef_admin.grpc.pb.h"
#include "services/admin/enrolee_file.h"

namespace onem2m {
namespace admin {

struct ImportOptions {
  // progress: where the "\r imported N/M rows (X rows/s)" line goes; null for none.
  std::ostream* progress = nullptr;
  absl::Duration progress_interval = absl::Milliseconds(250);
  // rows_per_stream: at most the server's limit (100000).
  uint64_t rows_per_stream = 100000;
  // stream_deadline: deadline of each ImportEnrolees call.
  absl::Duration stream_deadline = absl::Minutes(30);
};

struct RowRejection {
  uint64_t row = 0;
  std::string kpm_id;
  std::string code;  // canonical code name, e.g. "INVALID_ARGUMENT"
  std::string reason;
  bool client_side = false;  // refused by this client, never sent
};

struct ImportReport {
  uint64_t total_rows = 0;               // data rows in the file
  uint64_t sent_rows = 0;                // rows written to a stream
  uint64_t accepted_rows = 0;            // rows the server stored (completed or reported streams)
  uint64_t rejected_rows = 0;            // client-side plus server-side rejections
  std::vector<RowRejection> rejections;  // in file order per stream
  bool rejections_truncated = false;     // the server truncated its list
  absl::Status status;                   // OK when every stream completed
  // When `status` is not OK: whether the server said where its stored rows end, and which row.
  bool server_reported_split = false;
  std::string first_uncommitted_row;      // row reference from the server, or "none"
  uint64_t unknown_outcome_from_row = 0;  // first row of a stream whose outcome is unknown
  double seconds = 0;

  bool ok() const { return status.ok() && rejected_rows == 0; }
};

// RunImport sends every row of `source`; see the file comment. `stub` is not owned. Each call's
// ClientContext gets the deadline from `options` and nothing else (the channel carries mTLS).
ImportReport RunImport(::onem2m::rsp::v1::MefAdminService::StubInterface* stub,
                       EnroleeSource* source, const ImportOptions& options);

// FormatImportReport renders the summary for people: counts, rejected rows with reasons, and on
// failure exactly which rows are stored and what to do next. Never contains Kpm.
std::string FormatImportReport(const ImportReport& report);

}  // namespace admin
}  // namespace onem2m

#endif  // ONEM2M_SERVICES_ADMIN_IMPORT_RUNNER_H_

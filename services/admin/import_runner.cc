#include "services/admin/import_runner.h"

#include <algorithm>
#include <chrono>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "common/grpc/mtls.h"
#include "common/secret_bytes.h"
#include "mef/admin/mef_admin_service.h"

namespace onem2m {
namespace admin {
namespace {

namespace v1 = ::onem2m::rsp::v1;

class Progress {
 public:
  Progress(const ImportOptions& o, uint64_t total)
      : out_(o.progress), interval_(o.progress_interval), total_(total), start_(absl::Now()) {}

  void Update(uint64_t sent, bool force) {
    if (out_ == nullptr) return;
    const absl::Time now = absl::Now();
    if (!force && now - last_ < interval_) return;
    last_ = now;
    const double secs = absl::ToDoubleSeconds(now - start_);
    const double rate = secs > 0 ? static_cast<double>(sent) / secs : 0;
    *out_ << absl::StrFormat("\r imported %d/%d rows (%.0f rows/s)", sent, total_, rate)
          << std::flush;
  }
  void Finish(uint64_t sent) {
    if (out_ == nullptr) return;
    Update(sent, /*force=*/true);
    *out_ << "\n" << std::flush;
  }

 private:
  std::ostream* const out_;
  const absl::Duration interval_;
  const uint64_t total_;
  const absl::Time start_;
  absl::Time last_ = absl::InfinitePast();
};

std::string CodeName(int code) {
  return absl::StatusCodeToString(static_cast<absl::StatusCode>(code));
}

void MergeSummary(const v1::ImportEnroleesSummary& s, ImportReport* r) {
  r->accepted_rows += s.accepted_count();
  r->rejected_rows += s.rejected_count();
  r->rejections_truncated = r->rejections_truncated || s.rejections_truncated();
  for (const auto& rej : s.rejections()) {
    RowRejection out;
    out.row = rej.row();
    out.kpm_id = rej.kpm_id();
    out.code = CodeName(rej.code());
    // The server prefixes "row N: "; the report prints the row itself.
    const std::string prefix = absl::StrCat("row ", rej.row(), ": ");
    out.reason =
        absl::StartsWith(rej.reason(), prefix) ? rej.reason().substr(prefix.size()) : rej.reason();
    r->rejections.push_back(std::move(out));
  }
}

// FindTrailer returns a trailing metadata value of the finished call, or "".
std::string FindTrailer(const grpc::ClientContext& ctx, const char* key) {
  const auto& md = ctx.GetServerTrailingMetadata();
  auto it = md.find(key);
  if (it == md.end()) return "";
  return std::string(it->second.data(), it->second.size());
}

}  // namespace

ImportReport RunImport(v1::MefAdminService::StubInterface* stub, EnroleeSource* source,
                       const ImportOptions& options) {
  ImportReport report;
  report.total_rows = source->total_rows();
  const absl::Time start = absl::Now();
  Progress progress(options, report.total_rows);
  const uint64_t per_stream = std::max<uint64_t>(1, options.rows_per_stream);
  bool source_done = false;
  while (!source_done && report.status.ok()) {
    grpc::ClientContext ctx;
    ctx.set_deadline(absl::ToChronoTime(absl::Now() + options.stream_deadline));
    v1::ImportEnroleesSummary summary;
    std::unique_ptr<grpc::ClientWriterInterface<v1::ImportEnroleesRequest>> writer =
        stub->ImportEnrolees(&ctx, &summary);
    uint64_t in_stream = 0;
    uint64_t stream_first_row = 0;
    absl::Status local;  // a read error of the file, found mid-stream
    SourceRow row;
    while (in_stream < per_stream) {
      absl::StatusOr<bool> more = source->Next(&row);
      if (!more.ok()) {
        local = more.status();
        break;
      }
      if (!*more) {
        source_done = true;
        break;
      }
      if (!row.error.ok()) {
        report.rejected_rows++;
        report.rejections.push_back(RowRejection{row.row, row.kpm_id,
                                                 CodeName(static_cast<int>(row.error.code())),
                                                 std::string(row.error.message()), true});
        continue;
      }
      v1::ImportEnroleesRequest request;
      request.set_row(row.row);
      *request.mutable_enrolee() = std::move(row.request);
      if (stream_first_row == 0) stream_first_row = row.row;
      const bool written = writer->Write(request);
      WipeString(request.mutable_enrolee()->mutable_kpm());
      WipeString(row.request.mutable_kpm());
      if (!written) break;  // the server ended the call; Finish tells why
      ++in_stream;
      ++report.sent_rows;
      progress.Update(report.sent_rows, /*force=*/false);
    }
    // Close our side in every case: the server commits what it received and says so.
    writer->WritesDone();
    const grpc::Status st = writer->Finish();
    if (st.ok()) {
      MergeSummary(summary, &report);
      if (!local.ok()) report.status = local;
      continue;
    }
    report.status = grpcutil::FromGrpcStatus(st);
    const std::string bin = FindTrailer(ctx, mef::kImportSummaryMetadataKey);
    v1::ImportEnroleesSummary partial;
    if (!bin.empty() && partial.ParseFromString(bin)) {
      MergeSummary(partial, &report);
      report.server_reported_split = true;
      report.first_uncommitted_row = FindTrailer(ctx, mef::kFirstUncommittedRowMetadataKey);
    } else {
      report.unknown_outcome_from_row = stream_first_row;
    }
  }
  progress.Finish(report.sent_rows);
  std::stable_sort(report.rejections.begin(), report.rejections.end(),
                   [](const RowRejection& a, const RowRejection& b) { return a.row < b.row; });
  report.seconds = absl::ToDoubleSeconds(absl::Now() - start);
  return report;
}

std::string FormatImportReport(const ImportReport& r) {
  std::string out = absl::StrFormat(
      "import: %d rows in file, %d sent, %d stored, %d rejected (%.1f s, %.0f rows/s)\n",
      r.total_rows, r.sent_rows, r.accepted_rows, r.rejected_rows, r.seconds,
      r.seconds > 0 ? static_cast<double>(r.sent_rows) / r.seconds : 0.0);
  if (!r.rejections.empty()) {
    absl::StrAppend(&out, "rejected rows:\n");
    for (const RowRejection& rej : r.rejections) {
      absl::StrAppend(&out, "  row ", rej.row, " kpm_id=\"", rej.kpm_id, "\" ", rej.code, ": ",
                      rej.reason, rej.client_side ? " (refused by rsp_admin, not sent)" : "", "\n");
    }
    if (r.rejections_truncated) {
      absl::StrAppend(&out,
                      "  ... the server listed only the first 1000 rejections of a stream; the "
                      "counts above are complete\n");
    }
  }
  if (!r.status.ok()) {
    absl::StrAppend(&out, "IMPORT INCOMPLETE: ", r.status.ToString(), "\n");
    if (r.server_reported_split) {
      absl::StrAppend(&out, "  The server stored exactly the ", r.accepted_rows,
                      " rows counted above. Rows from row ", r.first_uncommitted_row,
                      " on were NOT stored.\n");
    } else if (r.unknown_outcome_from_row != 0) {
      absl::StrAppend(&out, "  Rows before row ", r.unknown_outcome_from_row,
                      " are final as counted above; the outcome of rows from row ",
                      r.unknown_outcome_from_row,
                      " on is UNKNOWN (no answer from the server): some may be stored.\n");
    }
    absl::StrAppend(&out,
                    "  Re-running the same file is safe: rows already stored are reported as "
                    "ALREADY_EXISTS and not changed.\n");
  } else if (r.rejected_rows == 0) {
    absl::StrAppend(&out, "all rows stored\n");
  }
  return out;
}

}  // namespace admin
}  // namespace onem2m

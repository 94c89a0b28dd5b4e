#include "services/admin/kek_commands.h"

#include <cstdint>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "services/admin/command_util.h"

namespace onem2m {
namespace admin {
namespace {

namespace v1 = ::onem2m::rsp::v1;

grpc::Status GetStatus(const CliArgs& args, const KekApi& api, v1::KekStatusResponse* status) {
  grpc::ClientContext ctx;
  SetDeadline(args, &ctx);
  return api.status(&ctx, v1::KekStatusRequest(), status);
}

int Status(const CliArgs& args, const KekApi& api, std::ostream& out, std::ostream& err) {
  absl::StatusOr<OutputFormat> format = ParseOutputFormat(args);
  if (!format.ok()) return Usage(err, std::string(format.status().message()));
  v1::KekStatusResponse st;
  grpc::Status s = GetStatus(args, api, &st);
  if (!s.ok()) return Fail(err, api.prefix + " status", s);
  if (*format == OutputFormat::kJson) {
    PrintJson(st, out);
    return kExitOk;
  }
  out << "active_kek_version: " << st.active_kek_version() << "\nkeyring_versions:  ";
  for (uint32_t v : st.keyring_versions()) out << " " << v;
  out << "\n";
  int64_t old_rows = 0;
  for (const v1::KekVersionRows& c : st.counts()) {
    out << c.column() << " kek_version=" << c.kek_version() << " rows=" << c.rows()
        << (c.in_keyring() ? "" : " NOT IN KEYRING") << "\n";
    if (c.kek_version() != st.active_kek_version()) old_rows += c.rows();
  }
  out << "rows_under_old_versions: " << old_rows << "\n";
  return kExitOk;
}

int Rewrap(const CliArgs& args, const KekApi& api, std::ostream& out, std::ostream& err) {
  int batch = 1000;
  if (args.Has("batch_size") &&
      (!absl::SimpleAtoi(args.Get("batch_size"), &batch) || batch < 1 || batch > 10000)) {
    return Usage(err, "--batch-size must be 1..10000");
  }
  v1::RewrapBatchRequest req;
  req.set_batch_size(batch);
  int64_t done = 0;
  int64_t raced = 0;
  int batches = 0;
  const absl::Time start = absl::Now();
  v1::RewrapBatchResponse r;
  for (;;) {
    grpc::ClientContext ctx;
    SetDeadline(args, &ctx);
    r.Clear();
    grpc::Status s = api.rewrap(&ctx, req, &r);
    if (!s.ok()) {
      err << "rsp_admin: stopped after " << done << " rows re-sealed; run `rsp_admin " << api.prefix
          << " rewrap` again to resume\n";
      return Fail(err, api.prefix + " rewrap", s);
    }
    ++batches;
    done += r.rows_done();
    raced += r.rows_raced();
    err << api.prefix << " rewrap: batch " << batches << ": " << r.rows_done() << " re-sealed, "
        << done << " total, " << r.rows_left() << " left (active version " << r.active_kek_version()
        << ")\n";
    if (r.rows_left() == 0) break;
    // Rows that raced with a writer are retried by the next batch; a batch that changed nothing
    // while rows remain would loop forever, so stop and say so.
    if (r.rows_done() == 0 && r.rows_raced() == 0) {
      err << "rsp_admin: " << api.prefix << " rewrap made no progress with " << r.rows_left()
          << " rows left\n";
      return kExitFailed;
    }
  }
  out << "rewrapped " << done << " rows in " << batches << " batches (" << raced
      << " retried after concurrent writes) in "
      << absl::FormatDuration(absl::Trunc(absl::Now() - start, absl::Milliseconds(1)))
      << "; every row is now under KEK version " << r.active_kek_version() << "\n";
  return kExitOk;
}

int Retire(const CliArgs& args, const KekApi& api, std::ostream& out, std::ostream& err) {
  uint32_t version = 0;
  if (!args.Has("version") || !absl::SimpleAtoi(args.Get("version"), &version) || version == 0) {
    return Usage(err, api.prefix + " retire needs --version=N (N >= 1)");
  }
  v1::KekStatusResponse st;
  grpc::Status s = GetStatus(args, api, &st);
  if (!s.ok()) return Fail(err, api.prefix + " retire", s);
  if (version == st.active_kek_version()) {
    err << "rsp_admin: " << api.prefix << " retire refused: version " << version
        << " is the active KEK version; activate a newer version first\n";
    return kExitFailed;
  }
  int64_t rows = 0;
  for (const v1::KekVersionRows& c : st.counts()) {
    if (c.kek_version() == version) rows += c.rows();
  }
  if (rows > 0) {
    err << "rsp_admin: " << api.prefix << " retire refused: " << rows
        << " rows are still sealed under version " << version << "; run `rsp_admin " << api.prefix
        << " rewrap` first\n";
    return kExitFailed;
  }
  out << "no rows are sealed under KEK version " << version
      << ": it may now be removed from every replica's keyring\n";
  return kExitOk;
}

}  // namespace

KekApi MefKekApi(v1::MefAdminService::StubInterface* stub) {
  return KekApi{
      "kek",
      [stub](grpc::ClientContext* ctx, const v1::KekStatusRequest& req,
             v1::KekStatusResponse* resp) { return stub->KekStatus(ctx, req, resp); },
      [stub](grpc::ClientContext* ctx, const v1::RewrapBatchRequest& req,
             v1::RewrapBatchResponse* resp) { return stub->RewrapBatch(ctx, req, resp); }};
}

KekApi MafKekApi(v1::MafAdminService::StubInterface* stub) {
  return KekApi{
      "maf kek",
      [stub](grpc::ClientContext* ctx, const v1::KekStatusRequest& req,
             v1::KekStatusResponse* resp) { return stub->KekStatus(ctx, req, resp); },
      [stub](grpc::ClientContext* ctx, const v1::RewrapBatchRequest& req,
             v1::RewrapBatchResponse* resp) { return stub->RewrapBatch(ctx, req, resp); }};
}

int RunKekCommand(const std::string& sub, const CliArgs& args, const KekApi& api, std::ostream& out,
                  std::ostream& err) {
  if (sub == "status") return Status(args, api, out, err);
  if (sub == "rewrap") return Rewrap(args, api, out, err);
  if (sub == "retire") return Retire(args, api, out, err);
  return Usage(err, "unknown command '" + api.prefix + " " + sub + "'");
}

}  // namespace admin
}  // namespace onem2m

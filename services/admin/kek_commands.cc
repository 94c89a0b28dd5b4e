#include "services/admin/kek_commands.h"

#include <cstdint>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"

namespace onem2m {
namespace admin {
namespace {

namespace v1 = ::onem2m::rsp::v1;

constexpr int kExitOk = 0;
constexpr int kExitFailed = 1;
constexpr int kExitUsage = 2;

int Fail(std::ostream& err, const std::string& what, const grpc::Status& s) {
  err << "rsp_admin: " << what
      << " failed: " << absl::StatusCodeToString(static_cast<absl::StatusCode>(s.error_code()))
      << ": " << s.error_message() << "\n";
  return kExitFailed;
}

int UsageError(std::ostream& err, const std::string& problem) {
  err << "rsp_admin: " << problem << " (see rsp_admin --help)\n";
  return kExitUsage;
}

void SetDeadline(const CliArgs& args, grpc::ClientContext* ctx) {
  absl::Duration d;
  if (!absl::ParseDuration(args.Get("timeout", "30s"), &d) || d <= absl::ZeroDuration()) {
    d = absl::Seconds(30);
  }
  ctx->set_deadline(absl::ToChronoTime(absl::Now() + d));
}

grpc::Status GetStatus(const CliArgs& args, v1::MefAdminService::StubInterface* stub,
                       v1::KekStatusResponse* status) {
  grpc::ClientContext ctx;
  SetDeadline(args, &ctx);
  return stub->KekStatus(&ctx, v1::KekStatusRequest(), status);
}

int Status(const CliArgs& args, v1::MefAdminService::StubInterface* stub, std::ostream& out,
           std::ostream& err) {
  v1::KekStatusResponse st;
  grpc::Status s = GetStatus(args, stub, &st);
  if (!s.ok()) return Fail(err, "kek status", s);
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

int Rewrap(const CliArgs& args, v1::MefAdminService::StubInterface* stub, std::ostream& out,
           std::ostream& err) {
  int batch = 1000;
  if (args.Has("batch_size") &&
      (!absl::SimpleAtoi(args.Get("batch_size"), &batch) || batch < 1 || batch > 10000)) {
    return UsageError(err, "--batch-size must be 1..10000");
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
    grpc::Status s = stub->RewrapBatch(&ctx, req, &r);
    if (!s.ok()) {
      err << "rsp_admin: stopped after " << done << " rows re-sealed; run `kek rewrap` again to "
          << "resume\n";
      return Fail(err, "kek rewrap", s);
    }
    ++batches;
    done += r.rows_done();
    raced += r.rows_raced();
    err << "kek rewrap: batch " << batches << ": " << r.rows_done() << " re-sealed, " << done
        << " total, " << r.rows_left() << " left (active version " << r.active_kek_version()
        << ")\n";
    if (r.rows_left() == 0) break;
    // Rows that raced with a writer are retried by the next batch; a batch that changed nothing
    // while rows remain would loop forever, so stop and say so.
    if (r.rows_done() == 0 && r.rows_raced() == 0) {
      err << "rsp_admin: kek rewrap made no progress with " << r.rows_left() << " rows left\n";
      return kExitFailed;
    }
  }
  out << "rewrapped " << done << " rows in " << batches << " batches ("
      << raced << " retried after concurrent writes) in "
      << absl::FormatDuration(absl::Trunc(absl::Now() - start, absl::Milliseconds(1)))
      << "; every row is now under KEK version " << r.active_kek_version() << "\n";
  return kExitOk;
}

int Retire(const CliArgs& args, v1::MefAdminService::StubInterface* stub, std::ostream& out,
           std::ostream& err) {
  uint32_t version = 0;
  if (!args.Has("version") || !absl::SimpleAtoi(args.Get("version"), &version) || version == 0) {
    return UsageError(err, "kek retire needs --version=N (N >= 1)");
  }
  v1::KekStatusResponse st;
  grpc::Status s = GetStatus(args, stub, &st);
  if (!s.ok()) return Fail(err, "kek retire", s);
  if (version == st.active_kek_version()) {
    err << "rsp_admin: kek retire refused: version " << version
        << " is the active KEK version; activate a newer version first\n";
    return kExitFailed;
  }
  int64_t rows = 0;
  for (const v1::KekVersionRows& c : st.counts()) {
    if (c.kek_version() == version) rows += c.rows();
  }
  if (rows > 0) {
    err << "rsp_admin: kek retire refused: " << rows << " rows are still sealed under version "
        << version << "; run `rsp_admin kek rewrap` first\n";
    return kExitFailed;
  }
  out << "no rows are sealed under KEK version " << version
      << ": it may now be removed from every replica's keyring\n";
  return kExitOk;
}

}  // namespace

int RunKekCommand(const std::string& sub, const CliArgs& args,
                  v1::MefAdminService::StubInterface* stub, std::ostream& out,
                  std::ostream& err) {
  if (sub == "status") return Status(args, stub, out, err);
  if (sub == "rewrap") return Rewrap(args, stub, out, err);
  if (sub == "retire") return Retire(args, stub, out, err);
  return UsageError(err, "unknown command 'kek " + sub + "'");
}

}  // namespace admin
}  // namespace onem2m

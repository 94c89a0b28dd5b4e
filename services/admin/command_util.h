// File: services/admin/command_util.h
//
// What every rsp_admin command shares: exit codes and error lines, call deadlines, `--output`
// (text or JSON), `--page-size/--page-token/--all`, and reading a file or stdin (`-`).
//
//   absl::StatusOr<OutputFormat> format = ParseOutputFormat(args);
//   absl::StatusOr<PageOptions> paging = ParsePageOptions(args, /*follow_by_default=*/false);
//   if (!st.ok()) return Fail(err, "maf keys list", st);
#ifndef ONEM2M_SERVICES_ADMIN_COMMAND_UTIL_H_
#define ONEM2M_SERVICES_ADMIN_COMMAND_UTIL_H_

#include <istream>
#include <ostream>
#include <string>

#include "absl/status/statusor.h"
#include "google/protobuf/message.h"
#include "google/protobuf/timestamp.pb.h"
#include "grpcpp/grpcpp.h"
#include "services/admin/cli_args.h"
#include "services/admin/cli_parser.h"

namespace onem2m {
namespace admin {

// Usage prints "rsp_admin: <problem>" and returns kExitUsage.
int Usage(std::ostream& err, const std::string& problem);
// Fail prints "rsp_admin: <what> failed: CODE: message" and returns kExitFailed.
int Fail(std::ostream& err, const std::string& what, const grpc::Status& s);

// SetDeadline sets --timeout (default 30s) from now on `ctx`.
void SetDeadline(const CliArgs& args, grpc::ClientContext* ctx);

// FormatTime prints a timestamp as RFC 3339 UTC, or "-" when unset.
std::string FormatTime(const google::protobuf::Timestamp& t);

enum class OutputFormat { kText, kJson };
// ParseOutputFormat reads --output (text, the default, or json); INVALID_ARGUMENT otherwise.
absl::StatusOr<OutputFormat> ParseOutputFormat(const CliArgs& args);
// PrintJson writes `m` as JSON (proto field names, defaults included) and a newline.
void PrintJson(const google::protobuf::Message& m, std::ostream& out);

// PageOptions: what a list command asks for. follow is true with --all, or by default for the
// commands that always followed every page (the MEF lists) unless --page-token is given.
struct PageOptions {
  int page_size = 0;
  std::string page_token;
  bool follow = false;
};
absl::StatusOr<PageOptions> ParsePageOptions(const CliArgs& args, bool follow_by_default);

// ReadInput returns the bytes of `path`, or of `in` when `path` is "-". NotFound /
// PermissionDenied name the path.
absl::StatusOr<std::string> ReadInput(const std::string& path, std::istream& in);

}  // namespace admin
}  // namespace onem2m

#endif  // ONEM2M_SERVICES_ADMIN_COMMAND_UTIL_H_

#include "services/admin/command_util.h"

#include <iterator>

#include "absl/strings/numbers.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "common/read_file.h"
#include "google/protobuf/util/json_util.h"

namespace onem2m {
namespace admin {

int Usage(std::ostream& err, const std::string& problem) {
  err << "rsp_admin: " << problem << " (see rsp_admin --help)\n";
  return kExitUsage;
}

int Fail(std::ostream& err, const std::string& what, const grpc::Status& s) {
  err << "rsp_admin: " << what
      << " failed: " << absl::StatusCodeToString(static_cast<absl::StatusCode>(s.error_code()))
      << ": " << s.error_message() << "\n";
  return kExitFailed;
}

void SetDeadline(const CliArgs& args, grpc::ClientContext* ctx) {
  absl::Duration d;
  if (!absl::ParseDuration(args.Get("timeout", "30s"), &d) || d <= absl::ZeroDuration()) {
    d = absl::Seconds(30);
  }
  ctx->set_deadline(absl::ToChronoTime(absl::Now() + d));
}

std::string FormatTime(const google::protobuf::Timestamp& t) {
  if (t.seconds() == 0 && t.nanos() == 0) return "-";
  return absl::FormatTime("%Y-%m-%dT%H:%M:%SZ", absl::FromUnixSeconds(t.seconds()),
                          absl::UTCTimeZone());
}

absl::StatusOr<OutputFormat> ParseOutputFormat(const CliArgs& args) {
  const std::string f = args.Get("output", "text");
  if (f == "text") return OutputFormat::kText;
  if (f == "json") return OutputFormat::kJson;
  return absl::InvalidArgumentError("--output must be text or json");
}

void PrintJson(const google::protobuf::Message& m, std::ostream& out) {
  google::protobuf::util::JsonPrintOptions o;
  o.preserve_proto_field_names = true;
  o.always_print_primitive_fields = true;
  std::string json;
  // Only fails for messages with unresolvable Any fields, which the admin APIs do not have.
  (void)google::protobuf::util::MessageToJsonString(m, &json, o);
  out << json << "\n";
}

absl::StatusOr<PageOptions> ParsePageOptions(const CliArgs& args, bool follow_by_default) {
  PageOptions p;
  if (args.Has("page_size") &&
      (!absl::SimpleAtoi(args.Get("page_size"), &p.page_size) || p.page_size < 0)) {
    return absl::InvalidArgumentError("--page-size must be a number");
  }
  p.page_token = args.Get("page_token");
  p.follow = args.Has("all") || (follow_by_default && !args.Has("page_token"));
  return p;
}

absl::StatusOr<std::string> ReadInput(const std::string& path, std::istream& in) {
  if (path != "-") return ReadFile(path);
  std::string data((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (in.bad()) return absl::DataLossError("stdin: read error");
  return data;
}

}  // namespace admin
}  // namespace onem2m

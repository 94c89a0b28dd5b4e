#include "services/admin/admin_commands.h"

#include <fstream>
#include <iostream>
#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/time.h"
#include "common/grpc/mtls.h"
#include "common/secret_bytes.h"
#include "services/admin/command_util.h"
#include "services/admin/enrolee_file.h"
#include "services/admin/enrolee_generator.h"
#include "services/admin/import_runner.h"
#include "services/admin/kek_commands.h"
#include "services/admin/maf_commands.h"
#include "services/admin/mef_enrolee_commands.h"

namespace onem2m {
namespace admin {

namespace {

namespace v1 = ::onem2m::rsp::v1;

// OpenImportSource opens --file, or stdin for "-": CSV, or JSON when the text starts with '['.
absl::StatusOr<std::unique_ptr<EnroleeSource>> OpenImportSource(const std::string& path,
                                                                std::istream& in) {
  if (path != "-") return OpenEnroleeFile(path);
  absl::StatusOr<std::string> text = ReadInput(path, in);
  if (!text.ok()) return text.status();
  const size_t first = text->find_first_not_of(" \t\r\n");
  absl::StatusOr<std::unique_ptr<EnroleeSource>> src;
  if (first != std::string::npos && (*text)[first] == '[') {
    src = OpenJsonText(*text);
    WipeString(&*text);  // it holds every Kpm of the file
  } else {
    src = OpenCsvText(*std::move(text));
  }
  if (!src.ok()) {
    return absl::Status(src.status().code(), absl::StrCat("stdin: ", src.status().message()));
  }
  return src;
}

int Import(const CliArgs& args, v1::MefAdminService::StubInterface* stub, std::istream& in,
           std::ostream& out, std::ostream& err) {
  absl::Status s = Required(args, {"file"});
  if (!s.ok()) return Usage(err, std::string(s.message()));
  absl::StatusOr<std::unique_ptr<EnroleeSource>> src = OpenImportSource(args.Get("file"), in);
  if (!src.ok()) {
    err << "rsp_admin: import: " << src.status().message() << "\nnothing was sent\n";
    return kExitFailed;
  }
  ImportOptions options;
  options.progress = &err;
  ImportReport report = RunImport(stub, src->get(), options);
  out << FormatImportReport(report);
  return report.ok() ? kExitOk : kExitFailed;
}

int ImportGen(const CliArgs& args, std::ostream& out, std::ostream& err) {
  absl::Status s = Required(args, {"count", "out", "maf_id"});
  if (!s.ok()) return Usage(err, std::string(s.message()));
  GenerateOptions o;
  o.maf_id = args.Get("maf_id");
  o.maf_uri = args.Get("maf_uri");
  o.kpm_id_prefix = args.Get("prefix", o.kpm_id_prefix);
  if (!absl::SimpleAtoi(args.Get("count"), &o.count)) return Usage(err, "--count: a number");
  if (args.Has("kpm_len") && !absl::SimpleAtoi(args.Get("kpm_len"), &o.kpm_len)) {
    return Usage(err, "--kpm-len: a number");
  }
  if (args.Has("lifetime")) {
    absl::Duration d;
    if (!absl::ParseDuration(args.Get("lifetime"), &d) || d <= absl::ZeroDuration()) {
      return Usage(err, "--lifetime must be a positive duration such as 24h");
    }
    o.lifetime_seconds = absl::ToInt64Seconds(d);
  }
  s = GenerateEnroleeFile(o, args.Get("out"), args.Get("kpm_out"));
  if (!s.ok()) {
    err << "rsp_admin: import gen: " << s.message() << "\n";
    return kExitFailed;
  }
  out << "wrote " << o.count << " enrolees to " << args.Get("out")
      << (args.Get("kpm_out").empty() ? "" : " and their keys to " + args.Get("kpm_out"))
      << " (mode 0600: they hold every Kpm)\n";
  return kExitOk;
}

}  // namespace

absl::StatusOr<std::shared_ptr<grpc::Channel>> ConnectTo(const CliArgs& args,
                                                         const std::string& server_option) {
  for (const std::string& n :
       {server_option, std::string("tls_cert"), std::string("tls_key"), std::string("tls_ca")}) {
    if (args.Get(n).empty()) {
      std::string flag = n;
      for (char& c : flag) {
        if (c == '_') c = '-';
      }
      return absl::InvalidArgumentError(absl::StrCat("--", flag, " is required"));
    }
  }
  absl::StatusOr<std::shared_ptr<grpc::ChannelCredentials>> creds =
      grpcutil::MakeChannelCredentials(
          {args.Get("tls_cert"), args.Get("tls_key"), args.Get("tls_ca")});
  if (!creds.ok()) return creds.status();
  grpc::ChannelArguments channel_args;
  if (!args.Get("server_name").empty()) {
    channel_args.SetSslTargetNameOverride(args.Get("server_name"));
  }
  return grpc::CreateCustomChannel(args.Get(server_option), *creds, channel_args);
}

int RunMefCommand(const CliArgs& args, v1::MefAdminService::StubInterface* stub, std::istream& in,
                  std::ostream& out, std::ostream& err) {
  const std::vector<std::string>& p = args.command();
  if (p.size() == 2 && p[0] == "enrolee") {
    if (p[1] == "create") return EnroleeCreate(args, stub, in, out, err);
    if (p[1] == "get") return EnroleeGet(args, stub, out, err);
    if (p[1] == "list") return EnroleeList(args, stub, out, err);
    if (p[1] == "disable" || p[1] == "enable" || p[1] == "revoke" || p[1] == "delete") {
      return EnroleeStateChange(p[1], args, stub, out, err);
    }
    if (p[1] == "rotate-kpm") return EnroleeRotate(args, stub, in, out, err);
    if (p[1] == "set-grants") return EnroleeSetGrants(args, stub, out, err);
  }
  if (p.size() == 2 && p[0] == "enrolments" && p[1] == "list") {
    return EnrolmentsList(args, stub, out, err);
  }
  if (p.size() == 1 && p[0] == "import") return Import(args, stub, in, out, err);
  if (p.size() == 2 && p[0] == "kek") {
    return RunKekCommand(p[1], args, MefKekApi(stub), out, err);
  }
  return Usage(err, "unknown command '" + absl::StrJoin(p, " ") + "'");
}

int RunAdminCli(int argc, const char* const* argv, std::istream& in, std::ostream& out,
                std::ostream& err) {
  int code = kExitOk;
  std::optional<CliArgs> args = ParseCommandLine(argc, argv, out, err, &code);
  if (!args.has_value()) return code;
  const std::vector<std::string>& p = args->command();
  if (p.size() == 2 && p[0] == "import" && p[1] == "gen") return ImportGen(*args, out, err);
  const bool maf = !p.empty() && p[0] == "maf";
  absl::StatusOr<std::shared_ptr<grpc::Channel>> channel = ConnectTo(*args, maf ? "maf" : "mef");
  if (!channel.ok()) {
    if (channel.status().code() == absl::StatusCode::kInvalidArgument) {
      return Usage(err, std::string(channel.status().message()));
    }
    err << "rsp_admin: TLS setup: " << channel.status().message() << "\n";  // unreadable PEM etc.
    return kExitFailed;
  }
  if (maf) {
    std::unique_ptr<v1::MafAdminService::Stub> stub = v1::MafAdminService::NewStub(*channel);
    return RunMafCommand(*args, stub.get(), out, err);
  }
  std::unique_ptr<v1::MefAdminService::Stub> stub = v1::MefAdminService::NewStub(*channel);
  return RunMefCommand(*args, stub.get(), in, out, err);
}

int RunAdminCli(int argc, const char* const* argv, std::ostream& out, std::ostream& err) {
  return RunAdminCli(argc, argv, std::cin, out, err);
}

}  // namespace admin
}  // namespace onem2m
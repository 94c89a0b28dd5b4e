#include "services/admin/admin_commands.h"

#include <fstream>
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
#include "services/admin/enrolee_file.h"
#include "services/admin/enrolee_generator.h"
#include "services/admin/import_runner.h"
#include "services/admin/kek_commands.h"

namespace onem2m {
namespace admin {

const char kUsage[] =
    R"(Usage: rsp_admin --mef=<host:port> --tls_cert=<pem> --tls_key=<pem> --tls_ca=<pem>
                 [--server_name=<name>] [--timeout=30s] <command> [options]
Connection options may also come from ONEM2M_MEF, ONEM2M_TLS_CERT, ONEM2M_TLS_KEY, ONEM2M_TLS_CA,
ONEM2M_SERVER_NAME, ONEM2M_TIMEOUT. Option names accept '-' or '_'.

Commands:
  enrolee create --kpm-id=ID (--kpm-hex=HEX | --kpm-file=RAW_KEY_FILE) --enrolee-id=ID --maf-id=FQDN
                 [--maf-uri=URI] [--lifetime=24h]
  enrolee get --kpm-id=ID
  enrolee list [--state=active|disabled|revoked] [--maf-id=FQDN] [--page-size=N]   (follows pages)
  enrolee disable|enable|delete --kpm-id=ID [--reason=TEXT]
  enrolee revoke --kpm-id=ID --reason=TEXT
  enrolee rotate-kpm --kpm-id=ID (--kpm-hex=HEX | --kpm-file=RAW_KEY_FILE) [--reason=TEXT]
  enrolee set-grants --kpm-id=ID [--grants="TARGET_FQDN/SUID ..."]
      Replaces the Enrolment Targets and SUIDs allowed the usage-constrained key fetch (TS-0003
      10.3.7); no --grants removes them all.
  enrolments list --kpm-id=ID [--include-invalidated] [--page-size=N]
  import --file=enrolees.csv|enrolees.json
      CSV header: kpm_id,kpm_hex,enrolee_id,maf_id,maf_uri,lifetime_seconds,fetch_grants (RFC 4180;
      fetch_grants: space-separated TARGET_FQDN/SUID);
      JSON: an array of objects with the same keys. Exit code 1 if any row was rejected or the
      import did not complete; the summary says exactly which rows were stored.
  import gen --count=N --out=FILE.csv --maf-id=FQDN [--kpm-out=KEYS.csv] [--kpm-len=32]
             [--lifetime=24h] [--maf-uri=URI] [--prefix=dev-]
      Writes random Enrolees (with their Kpm, mode 0600) for load tests; never overwrites.

  kek status
      Rows of each sealed column (enrolees.kpm, enrolments.ke) per KEK version.
  kek rewrap [--batch-size=1000]
      Re-seals every row under the active KEK, online, in batches (progress on stderr, summary on
      stdout); safe to interrupt, run again to resume.
  kek retire --version=N
      Refuses (exit 1) while rows are sealed under N or N is active; else confirms N may be
      removed from the keyring.

Kpm is never printed. --kpm-hex is visible in the process list and shell history: prefer
--kpm-file (the raw key bytes, 16..64 of them).
)";

namespace {

namespace v1 = ::onem2m::rsp::v1;

constexpr int kExitOk = 0;
constexpr int kExitFailed = 1;
constexpr int kExitUsage = 2;

const std::set<std::string>& Booleans() {
  static const auto* b = new std::set<std::string>{"help", "include_invalidated"};
  return *b;
}

const std::set<std::string>& KnownOptions() {
  static const auto* k = new std::set<std::string>{
      "mef",     "tls_cert", "tls_key", "tls_ca",    "server_name", "timeout",
      "help",    "kpm_id",   "kpm_hex", "kpm_file",  "enrolee_id",  "maf_id",
      "maf_uri", "lifetime", "state",   "page_size", "reason",      "include_invalidated",
      "file",    "count",    "out",     "kpm_out",   "kpm_len",     "prefix",
      "grants",  "batch_size", "version"};
  return *k;
}

int Usage(std::ostream& err, const std::string& problem) {
  err << "rsp_admin: " << problem << "\n\n" << kUsage;
  return kExitUsage;
}

int Fail(std::ostream& err, const std::string& what, const grpc::Status& s) {
  err << "rsp_admin: " << what
      << " failed: " << absl::StatusCodeToString(static_cast<absl::StatusCode>(s.error_code()))
      << ": " << s.error_message() << "\n";
  return kExitFailed;
}

std::string FormatTime(const google::protobuf::Timestamp& t) {
  if (t.seconds() == 0 && t.nanos() == 0) return "-";
  return absl::FormatTime("%Y-%m-%dT%H:%M:%SZ", absl::FromUnixSeconds(t.seconds()),
                          absl::UTCTimeZone());
}

std::string StateName(v1::EnroleeState s) {
  switch (s) {
    case v1::ENROLEE_STATE_ACTIVE:
      return "active";
    case v1::ENROLEE_STATE_DISABLED:
      return "disabled";
    case v1::ENROLEE_STATE_REVOKED:
      return "revoked";
    default:
      return "unspecified";
  }
}

void PrintEnrolee(const v1::Enrolee& e, std::ostream& out) {
  const v1::EnroleeSpec& s = e.spec();
  out << "kpm_id:      " << s.kpm_id() << "\n"
      << "enrolee_id:  " << s.enrolee_id() << "\n"
      << "maf_id:      " << s.maf_id() << "\n"
      << "maf_uri:     " << (s.maf_uri().empty() ? "-" : s.maf_uri()) << "\n"
      << "lifetime:    "
      << (s.has_enrolment_lifetime()
              ? absl::FormatDuration(absl::Seconds(s.enrolment_lifetime().seconds()))
              : std::string("MEF default"))
      << "\n"
      << "state:       " << StateName(e.state()) << "\n"
      << "created:     " << FormatTime(e.create_time()) << "\n";
  for (const v1::FetchGrant& g : s.fetch_grants()) {
    out << "fetch_grant: " << g.target_id() << "/" << g.suid() << "\n";
  }
  if (e.has_kpm_set_time()) out << "kpm_set:     " << FormatTime(e.kpm_set_time()) << "\n";
  if (e.has_created_by()) out << "created_by:  " << e.created_by().identity() << "\n";
  if (e.has_last_state_change()) {
    out << "last_change: " << FormatTime(e.last_state_change().time()) << " by "
        << e.last_state_change().actor().identity() << ": " << e.last_state_change().reason()
        << "\n";
  }
}

// ReadKpm takes Kpm from --kpm-hex or --kpm-file (raw bytes) into `out` (a protobuf bytes field
// the caller wipes after the call).
absl::Status ReadKpm(const CliArgs& args, std::string* out) {
  const bool hex = args.Has("kpm_hex");
  const bool file = args.Has("kpm_file");
  if (hex == file) return absl::InvalidArgumentError("give exactly one of --kpm-hex, --kpm-file");
  if (hex) {
    std::string text = args.Get("kpm_hex");
    absl::Status s = ParseKpmHex(text, out);
    WipeString(&text);
    return s;
  }
  absl::StatusOr<std::string> bytes = grpcutil::ReadFile(args.Get("kpm_file"));
  if (!bytes.ok()) return bytes.status();
  *out = std::move(*bytes);
  return absl::OkStatus();
}

absl::Status Required(const CliArgs& args, std::initializer_list<const char*> names) {
  for (const char* n : names) {
    if (args.Get(n).empty()) {
      std::string flag = n;
      for (char& c : flag) {
        if (c == '_') c = '-';
      }
      return absl::InvalidArgumentError(absl::StrCat("--", flag, " is required"));
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<int> PageSize(const CliArgs& args) {
  int n = 0;
  if (args.Has("page_size") && !absl::SimpleAtoi(args.Get("page_size"), &n)) {
    return absl::InvalidArgumentError("--page-size must be a number");
  }
  return n;
}

absl::Duration Timeout(const CliArgs& args) {
  absl::Duration d;
  if (absl::ParseDuration(args.Get("timeout", "30s"), &d) && d > absl::ZeroDuration()) return d;
  return absl::Seconds(30);
}

void SetDeadline(const CliArgs& args, grpc::ClientContext* ctx) {
  ctx->set_deadline(absl::ToChronoTime(absl::Now() + Timeout(args)));
}

int EnroleeCreate(const CliArgs& args, v1::MefAdminService::StubInterface* stub, std::ostream& out,
                  std::ostream& err) {
  absl::Status s = Required(args, {"kpm_id", "enrolee_id", "maf_id"});
  if (!s.ok()) return Usage(err, std::string(s.message()));
  v1::CreateEnroleeRequest req;
  req.mutable_spec()->set_kpm_id(args.Get("kpm_id"));
  req.mutable_spec()->set_enrolee_id(args.Get("enrolee_id"));
  req.mutable_spec()->set_maf_id(args.Get("maf_id"));
  req.mutable_spec()->set_maf_uri(args.Get("maf_uri"));
  if (args.Has("lifetime")) {
    absl::Duration d;
    if (!absl::ParseDuration(args.Get("lifetime"), &d) || d <= absl::ZeroDuration()) {
      return Usage(err, "--lifetime must be a positive duration such as 24h or 90m");
    }
    req.mutable_spec()->mutable_enrolment_lifetime()->set_seconds(absl::ToInt64Seconds(d));
  }
  s = ReadKpm(args, req.mutable_kpm());
  if (!s.ok()) return Usage(err, std::string(s.message()));
  grpc::ClientContext ctx;
  SetDeadline(args, &ctx);
  v1::Enrolee e;
  grpc::Status st = stub->CreateEnrolee(&ctx, req, &e);
  WipeString(req.mutable_kpm());
  if (!st.ok()) return Fail(err, "enrolee create", st);
  PrintEnrolee(e, out);
  return kExitOk;
}

int EnroleeGet(const CliArgs& args, v1::MefAdminService::StubInterface* stub, std::ostream& out,
               std::ostream& err) {
  absl::Status s = Required(args, {"kpm_id"});
  if (!s.ok()) return Usage(err, std::string(s.message()));
  v1::GetEnroleeRequest req;
  req.set_kpm_id(args.Get("kpm_id"));
  grpc::ClientContext ctx;
  SetDeadline(args, &ctx);
  v1::Enrolee e;
  grpc::Status st = stub->GetEnrolee(&ctx, req, &e);
  if (!st.ok()) return Fail(err, "enrolee get", st);
  PrintEnrolee(e, out);
  return kExitOk;
}

int EnroleeList(const CliArgs& args, v1::MefAdminService::StubInterface* stub, std::ostream& out,
                std::ostream& err) {
  v1::ListEnroleesRequest req;
  const std::string state = args.Get("state");
  if (state == "active") {
    req.set_state_filter(v1::ENROLEE_STATE_ACTIVE);
  } else if (state == "disabled") {
    req.set_state_filter(v1::ENROLEE_STATE_DISABLED);
  } else if (state == "revoked") {
    req.set_state_filter(v1::ENROLEE_STATE_REVOKED);
  } else if (!state.empty()) {
    return Usage(err, "--state must be active, disabled or revoked");
  }
  absl::StatusOr<int> page_size = PageSize(args);
  if (!page_size.ok()) return Usage(err, std::string(page_size.status().message()));
  req.set_page_size(*page_size);
  req.set_maf_id_filter(args.Get("maf_id"));
  uint64_t total = 0;
  out << "kpm_id\tstate\tenrolee_id\tmaf_id\tcreated\n";
  do {
    grpc::ClientContext ctx;
    SetDeadline(args, &ctx);
    v1::ListEnroleesResponse resp;
    grpc::Status st = stub->ListEnrolees(&ctx, req, &resp);
    if (!st.ok()) return Fail(err, absl::StrCat("enrolee list (after ", total, " rows)"), st);
    for (const v1::Enrolee& e : resp.enrolees()) {
      out << e.spec().kpm_id() << "\t" << StateName(e.state()) << "\t" << e.spec().enrolee_id()
          << "\t" << e.spec().maf_id() << "\t" << FormatTime(e.create_time()) << "\n";
      ++total;
    }
    req.set_page_token(resp.next_page_token());
  } while (!req.page_token().empty());
  err << total << " enrolees\n";
  return kExitOk;
}

int EnroleeStateChange(const std::string& verb, const CliArgs& args,
                       v1::MefAdminService::StubInterface* stub, std::ostream& out,
                       std::ostream& err) {
  absl::Status s =
      Required(args, verb == "revoke" ? std::initializer_list<const char*>{"kpm_id", "reason"}
                                      : std::initializer_list<const char*>{"kpm_id"});
  if (!s.ok()) return Usage(err, std::string(s.message()));
  grpc::ClientContext ctx;
  SetDeadline(args, &ctx);
  v1::Enrolee e;
  grpc::Status st;
  if (verb == "disable") {
    v1::DisableEnroleeRequest req;
    req.set_kpm_id(args.Get("kpm_id"));
    req.set_reason(args.Get("reason"));
    st = stub->DisableEnrolee(&ctx, req, &e);
  } else if (verb == "enable") {
    v1::EnableEnroleeRequest req;
    req.set_kpm_id(args.Get("kpm_id"));
    req.set_reason(args.Get("reason"));
    st = stub->EnableEnrolee(&ctx, req, &e);
  } else if (verb == "revoke") {
    v1::RevokeEnroleeRequest req;
    req.set_kpm_id(args.Get("kpm_id"));
    req.set_reason(args.Get("reason"));
    st = stub->RevokeEnrolee(&ctx, req, &e);
  } else {
    v1::DeleteEnroleeRequest req;
    req.set_kpm_id(args.Get("kpm_id"));
    req.set_reason(args.Get("reason"));
    v1::DeleteEnroleeResponse resp;
    st = stub->DeleteEnrolee(&ctx, req, &resp);
    if (!st.ok()) return Fail(err, "enrolee delete", st);
    out << "deleted " << args.Get("kpm_id") << " and " << resp.deleted_enrolment_count()
        << " enrolments\n";
    return kExitOk;
  }
  if (!st.ok()) return Fail(err, "enrolee " + verb, st);
  PrintEnrolee(e, out);
  return kExitOk;
}

int EnroleeRotate(const CliArgs& args, v1::MefAdminService::StubInterface* stub, std::ostream& out,
                  std::ostream& err) {
  absl::Status s = Required(args, {"kpm_id"});
  if (!s.ok()) return Usage(err, std::string(s.message()));
  v1::RotateKpmRequest req;
  req.set_kpm_id(args.Get("kpm_id"));
  req.set_reason(args.Get("reason"));
  s = ReadKpm(args, req.mutable_new_kpm());
  if (!s.ok()) return Usage(err, std::string(s.message()));
  grpc::ClientContext ctx;
  SetDeadline(args, &ctx);
  v1::Enrolee e;
  grpc::Status st = stub->RotateKpm(&ctx, req, &e);
  WipeString(req.mutable_new_kpm());
  if (!st.ok()) return Fail(err, "enrolee rotate-kpm", st);
  PrintEnrolee(e, out);
  return kExitOk;
}

int EnroleeSetGrants(const CliArgs& args, v1::MefAdminService::StubInterface* stub,
                     std::ostream& out, std::ostream& err) {
  absl::Status s = Required(args, {"kpm_id"});
  if (!s.ok()) return Usage(err, std::string(s.message()));
  v1::EnroleeSpec parsed;
  s = ParseFetchGrants(args.Get("grants"), &parsed);
  if (!s.ok()) return Usage(err, std::string(s.message()));
  v1::SetFetchGrantsRequest req;
  req.set_kpm_id(args.Get("kpm_id"));
  *req.mutable_fetch_grants() = parsed.fetch_grants();
  grpc::ClientContext ctx;
  SetDeadline(args, &ctx);
  v1::Enrolee e;
  grpc::Status st = stub->SetFetchGrants(&ctx, req, &e);
  if (!st.ok()) return Fail(err, "enrolee set-grants", st);
  PrintEnrolee(e, out);
  return kExitOk;
}

int EnrolmentsList(const CliArgs& args, v1::MefAdminService::StubInterface* stub, std::ostream& out,
                   std::ostream& err) {
  absl::Status s = Required(args, {"kpm_id"});
  if (!s.ok()) return Usage(err, std::string(s.message()));
  v1::ListEnrolmentsRequest req;
  req.set_kpm_id(args.Get("kpm_id"));
  req.set_include_invalidated(args.Has("include_invalidated"));
  absl::StatusOr<int> page_size = PageSize(args);
  if (!page_size.ok()) return Usage(err, std::string(page_size.status().message()));
  req.set_page_size(*page_size);
  uint64_t total = 0;
  out << "ke_id\ttransport\tcreated\texpires\tinvalidated\n";
  do {
    grpc::ClientContext ctx;
    SetDeadline(args, &ctx);
    v1::ListEnrolmentsResponse resp;
    grpc::Status st = stub->ListEnrolments(&ctx, req, &resp);
    if (!st.ok()) return Fail(err, "enrolments list", st);
    for (const v1::Enrolment& e : resp.enrolments()) {
      out << e.ke_id() << "\t" << (e.transport() == v1::TRANSPORT_DTLS ? "dtls" : "tls") << "\t"
          << FormatTime(e.create_time()) << "\t" << FormatTime(e.expire_time()) << "\t"
          << (e.invalidated() ? "yes" : "no") << "\n";
      ++total;
    }
    req.set_page_token(resp.next_page_token());
  } while (!req.page_token().empty());
  err << total << " enrolments\n";
  return kExitOk;
}

int Import(const CliArgs& args, v1::MefAdminService::StubInterface* stub, std::ostream& out,
           std::ostream& err) {
  absl::Status s = Required(args, {"file"});
  if (!s.ok()) return Usage(err, std::string(s.message()));
  absl::StatusOr<std::unique_ptr<EnroleeSource>> src = OpenEnroleeFile(args.Get("file"));
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

absl::StatusOr<std::unique_ptr<v1::MefAdminService::Stub>> ConnectToMef(const CliArgs& args) {
  for (const char* n : {"mef", "tls_cert", "tls_key", "tls_ca"}) {
    if (args.Get(n).empty()) {
      return absl::InvalidArgumentError(absl::StrCat("--", n, " is required"));
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
  // Bulk import streams many small messages; allow the default message size and keep-alives off.
  return v1::MefAdminService::NewStub(
      grpc::CreateCustomChannel(args.Get("mef"), *creds, channel_args));
}

int RunWithStub(const CliArgs& args, v1::MefAdminService::StubInterface* stub, std::ostream& out,
                std::ostream& err) {
  const std::vector<std::string>& p = args.positionals();
  const std::string cmd = absl::StrJoin(p, " ");
  if (p.size() == 2 && p[0] == "enrolee") {
    if (p[1] == "create") return EnroleeCreate(args, stub, out, err);
    if (p[1] == "get") return EnroleeGet(args, stub, out, err);
    if (p[1] == "list") return EnroleeList(args, stub, out, err);
    if (p[1] == "disable" || p[1] == "enable" || p[1] == "revoke" || p[1] == "delete") {
      return EnroleeStateChange(p[1], args, stub, out, err);
    }
    if (p[1] == "rotate-kpm") return EnroleeRotate(args, stub, out, err);
    if (p[1] == "set-grants") return EnroleeSetGrants(args, stub, out, err);
  }
  if (p.size() == 2 && p[0] == "enrolments" && p[1] == "list") {
    return EnrolmentsList(args, stub, out, err);
  }
  if (p.size() == 1 && p[0] == "import") return Import(args, stub, out, err);
  if (p.size() == 2 && p[0] == "kek") return RunKekCommand(p[1], args, stub, out, err);
  return Usage(err, cmd.empty() ? "no command" : "unknown command '" + cmd + "'");
}

int RunAdminCli(int argc, const char* const* argv, std::ostream& out, std::ostream& err) {
  absl::StatusOr<CliArgs> args = CliArgs::Parse(argc, argv, Booleans());
  if (!args.ok()) return Usage(err, std::string(args.status().message()));
  if (args->Has("help")) {
    out << kUsage;
    return kExitOk;
  }
  absl::Status s = args->CheckKnown(KnownOptions());
  if (!s.ok()) return Usage(err, std::string(s.message()));
  const std::vector<std::string>& p = args->positionals();
  if (p.size() == 2 && p[0] == "import" && p[1] == "gen") return ImportGen(*args, out, err);
  if (p.empty()) return Usage(err, "no command");
  absl::StatusOr<std::unique_ptr<v1::MefAdminService::Stub>> stub = ConnectToMef(*args);
  if (!stub.ok()) {
    if (stub.status().code() == absl::StatusCode::kInvalidArgument) {
      return Usage(err, std::string(stub.status().message()));
    }
    err << "rsp_admin: TLS setup: " << stub.status().message() << "\n";  // unreadable PEM etc.
    return kExitFailed;
  }
  return RunWithStub(*args, stub->get(), out, err);
}

}  // namespace admin
}  // namespace onem2m

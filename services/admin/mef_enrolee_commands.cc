// The `rsp_admin enrolee ...` and `enrolments list` commands; see mef_enrolee_commands.h.
#include "services/admin/mef_enrolee_commands.h"

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

namespace onem2m {
namespace admin {
namespace {

namespace v1 = ::onem2m::rsp::v1;

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
absl::Status ReadKpm(const CliArgs& args, std::istream& in, std::string* out) {
  const bool hex = args.Has("kpm_hex");
  const bool file = args.Has("kpm_file");
  if (hex == file) return absl::InvalidArgumentError("give exactly one of --kpm-hex, --kpm-file");
  if (hex) {
    std::string text = args.Get("kpm_hex");
    absl::Status s = ParseKpmHex(text, out);
    WipeString(&text);
    return s;
  }
  absl::StatusOr<std::string> bytes = ReadInput(args.Get("kpm_file"), in);
  if (!bytes.ok()) return bytes.status();
  *out = std::move(*bytes);
  return absl::OkStatus();
}

}  // namespace

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

int EnroleeCreate(const CliArgs& args, v1::MefAdminService::StubInterface* stub, std::istream& in,
                  std::ostream& out, std::ostream& err) {
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
  s = ReadKpm(args, in, req.mutable_kpm());
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
  absl::StatusOr<OutputFormat> format = ParseOutputFormat(args);
  if (!format.ok()) return Usage(err, std::string(format.status().message()));
  v1::GetEnroleeRequest req;
  req.set_kpm_id(args.Get("kpm_id"));
  grpc::ClientContext ctx;
  SetDeadline(args, &ctx);
  v1::Enrolee e;
  grpc::Status st = stub->GetEnrolee(&ctx, req, &e);
  if (!st.ok()) return Fail(err, "enrolee get", st);
  if (*format == OutputFormat::kJson) {
    PrintJson(e, out);
  } else {
    PrintEnrolee(e, out);
  }
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
  absl::StatusOr<PageOptions> paging = ParsePageOptions(args, /*follow_by_default=*/true);
  if (!paging.ok()) return Usage(err, std::string(paging.status().message()));
  absl::StatusOr<OutputFormat> format = ParseOutputFormat(args);
  if (!format.ok()) return Usage(err, std::string(format.status().message()));
  req.set_page_size(paging->page_size);
  req.set_page_token(paging->page_token);
  req.set_maf_id_filter(args.Get("maf_id"));
  uint64_t total = 0;
  v1::ListEnroleesResponse all;  // every page, for --output=json
  if (*format == OutputFormat::kText) out << "kpm_id\tstate\tenrolee_id\tmaf_id\tcreated\n";
  do {
    grpc::ClientContext ctx;
    SetDeadline(args, &ctx);
    v1::ListEnroleesResponse resp;
    grpc::Status st = stub->ListEnrolees(&ctx, req, &resp);
    if (!st.ok()) return Fail(err, absl::StrCat("enrolee list (after ", total, " rows)"), st);
    for (const v1::Enrolee& e : resp.enrolees()) {
      if (*format == OutputFormat::kText) {
        out << e.spec().kpm_id() << "\t" << StateName(e.state()) << "\t" << e.spec().enrolee_id()
            << "\t" << e.spec().maf_id() << "\t" << FormatTime(e.create_time()) << "\n";
      }
      ++total;
    }
    all.MergeFrom(resp);
    all.set_next_page_token(resp.next_page_token());
    req.set_page_token(resp.next_page_token());
  } while (paging->follow && !req.page_token().empty());
  if (*format == OutputFormat::kJson) PrintJson(all, out);
  if (!all.next_page_token().empty()) err << "next_page_token: " << all.next_page_token() << "\n";
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

int EnroleeRotate(const CliArgs& args, v1::MefAdminService::StubInterface* stub, std::istream& in,
                  std::ostream& out, std::ostream& err) {
  absl::Status s = Required(args, {"kpm_id"});
  if (!s.ok()) return Usage(err, std::string(s.message()));
  v1::RotateKpmRequest req;
  req.set_kpm_id(args.Get("kpm_id"));
  req.set_reason(args.Get("reason"));
  s = ReadKpm(args, in, req.mutable_new_kpm());
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
  absl::StatusOr<PageOptions> paging = ParsePageOptions(args, /*follow_by_default=*/true);
  if (!paging.ok()) return Usage(err, std::string(paging.status().message()));
  absl::StatusOr<OutputFormat> format = ParseOutputFormat(args);
  if (!format.ok()) return Usage(err, std::string(format.status().message()));
  req.set_page_size(paging->page_size);
  req.set_page_token(paging->page_token);
  uint64_t total = 0;
  v1::ListEnrolmentsResponse all;
  if (*format == OutputFormat::kText) out << "ke_id\ttransport\tcreated\texpires\tinvalidated\n";
  do {
    grpc::ClientContext ctx;
    SetDeadline(args, &ctx);
    v1::ListEnrolmentsResponse resp;
    grpc::Status st = stub->ListEnrolments(&ctx, req, &resp);
    if (!st.ok()) return Fail(err, "enrolments list", st);
    for (const v1::Enrolment& e : resp.enrolments()) {
      if (*format == OutputFormat::kText) {
        out << e.ke_id() << "\t" << (e.transport() == v1::TRANSPORT_DTLS ? "dtls" : "tls") << "\t"
            << FormatTime(e.create_time()) << "\t" << FormatTime(e.expire_time()) << "\t"
            << (e.invalidated() ? "yes" : "no") << "\n";
      }
      ++total;
    }
    all.MergeFrom(resp);
    all.set_next_page_token(resp.next_page_token());
    req.set_page_token(resp.next_page_token());
  } while (paging->follow && !req.page_token().empty());
  if (*format == OutputFormat::kJson) PrintJson(all, out);
  if (!all.next_page_token().empty()) err << "next_page_token: " << all.next_page_token() << "\n";
  err << total << " enrolments\n";
  return kExitOk;
}

}  // namespace admin
}  // namespace onem2m

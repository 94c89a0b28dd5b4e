// File: services/admin/mef_enrolee_commands.h
//
// The `rsp_admin enrolee ...` and `enrolments list` commands over MefAdminService
// (proto/onem2m/rsp/v1/mef_admin.proto), dispatched by RunMefCommand (admin_commands.h):
//   enrolee create --kpm-id --enrolee-id --maf-id (--kpm-hex | --kpm-file) [...]
//   enrolee get|disable|enable|revoke|delete --kpm-id [--reason]
//   enrolee list [--state] [paging] [--output=json]
//   enrolee rotate-kpm --kpm-id (--kpm-hex | --kpm-file);  enrolee set-grants --kpm-id [...]
//   enrolments list --kpm-id [paging] [--output=json]
// Each returns the process exit code. Kpm is read from --kpm-hex or --kpm-file (`-`: `in`) and
// never printed.
#ifndef ONEM2M_SERVICES_ADMIN_MEF_ENROLEE_COMMANDS_H_
#define ONEM2M_SERVICES_ADMIN_MEF_ENROLEE_COMMANDS_H_

#include <initializer_list>
#include <istream>
#include <ostream>
#include <string>

#include "absl/status/status.h"
#include "proto/onem2m/rsp/v1/mef_admin.grpc.pb.h"
#include "services/admin/cli_args.h"

namespace onem2m {
namespace admin {

// Required returns INVALID_ARGUMENT naming the first option of `names` that `args` lacks.
absl::Status Required(const CliArgs& args, std::initializer_list<const char*> names);

int EnroleeCreate(const CliArgs& args, ::onem2m::rsp::v1::MefAdminService::StubInterface* stub,
                  std::istream& in, std::ostream& out, std::ostream& err);
int EnroleeGet(const CliArgs& args, ::onem2m::rsp::v1::MefAdminService::StubInterface* stub,
               std::ostream& out, std::ostream& err);
int EnroleeList(const CliArgs& args, ::onem2m::rsp::v1::MefAdminService::StubInterface* stub,
                std::ostream& out, std::ostream& err);
// EnroleeStateChange runs `verb`: disable, enable, revoke or delete.
int EnroleeStateChange(const std::string& verb, const CliArgs& args,
                       ::onem2m::rsp::v1::MefAdminService::StubInterface* stub, std::ostream& out,
                       std::ostream& err);
int EnroleeRotate(const CliArgs& args, ::onem2m::rsp::v1::MefAdminService::StubInterface* stub,
                  std::istream& in, std::ostream& out, std::ostream& err);
int EnroleeSetGrants(const CliArgs& args, ::onem2m::rsp::v1::MefAdminService::StubInterface* stub,
                     std::ostream& out, std::ostream& err);
int EnrolmentsList(const CliArgs& args, ::onem2m::rsp::v1::MefAdminService::StubInterface* stub,
                   std::ostream& out, std::ostream& err);

}  // namespace admin
}  // namespace onem2m

#endif  // ONEM2M_SERVICES_ADMIN_MEF_ENROLEE_COMMANDS_H_

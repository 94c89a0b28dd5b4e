// File: services/admin/maf_commands.h
//
// The `rsp_admin maf ...` commands over MafAdminService (proto/onem2m/rsp/v1/maf_admin.proto):
//   maf credentials list [--state=S] [--enrolee-id=ID] [--mef-fqdn=F] [paging] [--output=json]
//   maf credentials get|revoke (--km-id=KMID | --ke-id=KEID) [--reason=TEXT] [--output=json]
//   maf clients list [--state=S] [--client-id=ID] [paging] [--output=json]
//   maf clients get|revoke (--reg-id=ID | --km-id=KMID) [--reason=TEXT] [--output=json]
//   maf keys list [--reg-id=ID] [--target=T] [--state=S] [paging] [--output=json]
//   maf keys get|revoke --key-id=ID [--reason=TEXT] [--output=json]
//   maf kek status|rewrap|retire (kek_commands.h)
// Paging: --page-size=N, --page-token=T, or --all to follow next_page_token to the end; without
// --all one page is printed and its next_page_token goes to stderr. Key values are never part of
// the API, so nothing printed holds key material (identifiers and metadata only).
#ifndef ONEM2M_SERVICES_ADMIN_MAF_COMMANDS_H_
#define ONEM2M_SERVICES_ADMIN_MAF_COMMANDS_H_

#include <ostream>

#include "proto/onem2m/rsp/v1/maf_admin.grpc.pb.h"
#include "services/admin/cli_args.h"

namespace onem2m {
namespace admin {

// RunMafCommand runs a parsed `maf ...` command over `stub` and returns the exit code.
int RunMafCommand(const CliArgs& args, ::onem2m::rsp::v1::MafAdminService::StubInterface* stub,
                  std::ostream& out, std::ostream& err);

}  // namespace admin
}  // namespace onem2m

#endif  // ONEM2M_SERVICES_ADMIN_MAF_COMMANDS_H_

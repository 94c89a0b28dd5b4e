// File: services/admin/kek_commands.h
//
// The `rsp_admin kek ...` commands: KEK rotation through the MEF admin API (docs/operations.md
// "Rotate the key-encryption key (KEK)").
//   kek status                    rows per KEK version of each sealed column (stdout)
//   kek rewrap [--batch-size=N]   RewrapBatch until no row is left under an old version: one
//                                 progress line per batch on stderr, a summary on stdout. Stopping
//                                 it is safe; running it again resumes.
//   kek retire --version=N        refuses (exit 1) while any row is sealed under N or N is the
//                                 active version; otherwise confirms N may be removed from the
//                                 keyring (the keyring is a file/Secret the CLI does not edit).
#ifndef ONEM2M_SERVICES_ADMIN_KEK_COMMANDS_H_
#define ONEM2M_SERVICES_ADMIN_KEK_COMMANDS_H_

#include <ostream>
#include <string>

#include "proto/onem2m/rsp/v1/mef_admin.grpc.pb.h"
#include "services/admin/cli_args.h"

namespace onem2m {
namespace admin {

// RunKekCommand runs `kek <sub>` and returns the exit code (0 ok, 1 failed or refused, 2 usage).
int RunKekCommand(const std::string& sub, const CliArgs& args,
                  ::onem2m::rsp::v1::MefAdminService::StubInterface* stub, std::ostream& out,
                  std::ostream& err);

}  // namespace admin
}  // namespace onem2m

#endif  // ONEM2M_SERVICES_ADMIN_KEK_COMMANDS_H_

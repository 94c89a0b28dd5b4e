// File: services/admin/admin_commands.h
//
// The subcommands of rsp_admin (the MEF admin CLI), kept out of main() so tests drive them
// against a real server. RunAdminCli parses argv, connects with mutual TLS when the command needs
// the MEF, runs the command and returns the process exit code (0 success, 1 the operation failed
// or an import rejected rows, 2 usage error). Kpm is read from --kpm-hex or --kpm-file and never
// printed; only `import gen` writes keys, into the 0600 files it is asked to create.
//
//   int main(int argc, char** argv) { return onem2m::admin::RunAdminCli(argc, argv, std::cout,
//                                                                        std::cerr); }
#ifndef ONEM2M_SERVICES_ADMIN_ADMIN_COMMANDS_H_
#define ONEM2M_SERVICES_ADMIN_ADMIN_COMMANDS_H_

#include <memory>
#include <ostream>

#include "absl/status/statusor.h"
#include "proto/onem2m/rsp/v1/mef_admin.grpc.pb.h"
#include "services/admin/cli_args.h"

namespace onem2m {
namespace admin {

// kUsage is printed by --help and on usage errors.
extern const char kUsage[];

// RunAdminCli: see the file comment.
int RunAdminCli(int argc, const char* const* argv, std::ostream& out, std::ostream& err);

// ConnectToMef builds a stub from --mef, --tls_cert, --tls_key, --tls_ca, [--server_name].
absl::StatusOr<std::unique_ptr<::onem2m::rsp::v1::MefAdminService::Stub>> ConnectToMef(
    const CliArgs& args);

// RunWithStub runs a command that talks to the MEF over `stub` (for tests: no flags for TLS).
int RunWithStub(const CliArgs& args, ::onem2m::rsp::v1::MefAdminService::StubInterface* stub,
                std::ostream& out, std::ostream& err);

}  // namespace admin
}  // namespace onem2m

#endif  // ONEM2M_SERVICES_ADMIN_ADMIN_COMMANDS_H_

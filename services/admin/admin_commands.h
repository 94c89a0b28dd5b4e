// File: services/admin/admin_commands.h
//
// rsp_admin's commands, kept out of main() so tests drive them against real servers. RunAdminCli
// parses argv (cli_parser.h, CLI11), connects with mutual TLS to --mef (MefAdminService) or, for
// `maf ...` commands, to --maf (MafAdminService), runs the command and returns the process exit
// code (0 success, 1 the operation failed or an import rejected rows, 2 usage error). Kpm is read
// from --kpm-hex or --kpm-file (`-`: stdin) and never printed; only `import gen` writes keys, into
// the 0600 files it is asked to create. `rsp_admin --help` lists the commands.
//
//   int main(int argc, char** argv) { return onem2m::admin::RunAdminCli(argc, argv, std::cout,
//                                                                        std::cerr); }
#ifndef ONEM2M_SERVICES_ADMIN_ADMIN_COMMANDS_H_
#define ONEM2M_SERVICES_ADMIN_ADMIN_COMMANDS_H_

#include <istream>
#include <memory>
#include <ostream>
#include <string>

#include "absl/status/statusor.h"
#include "grpcpp/grpcpp.h"
#include "proto/onem2m/rsp/v1/mef_admin.grpc.pb.h"
#include "services/admin/cli_args.h"

namespace onem2m {
namespace admin {

// RunAdminCli: see the file comment. `in` is what `--file=-` / `--kpm-file=-` read (std::cin in
// the overload without it).
int RunAdminCli(int argc, const char* const* argv, std::istream& in, std::ostream& out,
                std::ostream& err);
int RunAdminCli(int argc, const char* const* argv, std::ostream& out, std::ostream& err);

// ConnectTo opens a mutual-TLS channel to the address in option `server_option` ("mef" or "maf")
// with --tls-cert, --tls-key, --tls-ca, [--server-name]. INVALID_ARGUMENT names a missing option.
absl::StatusOr<std::shared_ptr<grpc::Channel>> ConnectTo(const CliArgs& args,
                                                         const std::string& server_option);

// RunMefCommand runs a parsed MEF command over `stub`.
int RunMefCommand(const CliArgs& args, ::onem2m::rsp::v1::MefAdminService::StubInterface* stub,
                  std::istream& in, std::ostream& out, std::ostream& err);

}  // namespace admin
}  // namespace onem2m

#endif  // ONEM2M_SERVICES_ADMIN_ADMIN_COMMANDS_H_

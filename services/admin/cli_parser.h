// File: services/admin/cli_parser.h
//
// ParseCommandLine turns rsp_admin's argv into CliArgs with CLI11 (libcli11-dev): the whole command
// tree (MEF and MAF commands), `-h/--help` on every command, `--version`, option names with '-'
// or '_', connection options also from ONEM2M_MEF, ONEM2M_MAF, ONEM2M_TLS_CERT, ONEM2M_TLS_KEY,
// ONEM2M_TLS_CA, ONEM2M_SERVER_NAME, ONEM2M_TIMEOUT (the command line wins).
//
//   int exit_code = 0;
//   std::optional<CliArgs> args = ParseCommandLine(argc, argv, out, err, &exit_code);
//   if (!args) return exit_code;   // help or version printed (0), or a usage error (2)
#ifndef ONEM2M_SERVICES_ADMIN_CLI_PARSER_H_
#define ONEM2M_SERVICES_ADMIN_CLI_PARSER_H_

#include <optional>
#include <ostream>

#include "services/admin/cli_args.h"

namespace onem2m {
namespace admin {

inline constexpr int kExitOk = 0;
inline constexpr int kExitFailed = 1;
inline constexpr int kExitUsage = 2;

// ParseCommandLine: see the file comment. Help and version go to `out`, usage errors to `err`.
std::optional<CliArgs> ParseCommandLine(int argc, const char* const* argv, std::ostream& out,
                                        std::ostream& err, int* out_exit_code);

}  // namespace admin
}  // namespace onem2m

#endif  // ONEM2M_SERVICES_ADMIN_CLI_PARSER_H_

// File: services/admin/cli_args.h
//
// CliArgs parses rsp_admin's command line: `--name=value` or `--name value` options anywhere, and
// positional words (the subcommand path). Abseil flags cannot take the hyphenated per-command
// options (`--kpm-id`), so the CLI parses by hand; '-' and '_' in names are equivalent. An option
// missing from the command line falls back to the environment variable ONEM2M_<NAME> (the same
// naming as common/config/flags_loader.h) for the connection options only (mef, tls_cert, tls_key,
// tls_ca, server_name, timeout), so `ONEM2M_MEF=mef:9444 rsp_admin enrolee list` works.
//
//   absl::StatusOr<CliArgs> args = CliArgs::Parse(argc, argv, {"help"});   // boolean options
//   std::string kpm_id = args->Get("kpm_id");
//   args->positionals();    // {"enrolee", "create"}
#ifndef ONEM2M_SERVICES_ADMIN_CLI_ARGS_H_
#define ONEM2M_SERVICES_ADMIN_CLI_ARGS_H_

#include <map>
#include <set>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace onem2m {
namespace admin {

class CliArgs {
 public:
  // Parse reads argv[1..]. Names in `booleans` take no value (`--help`). A lone `--` ends options.
  static absl::StatusOr<CliArgs> Parse(int argc, const char* const* argv,
                                       const std::set<std::string>& booleans);

  // Has is true when the option was given (on the command line or in the environment).
  bool Has(absl::string_view name) const;
  // Get returns the option's value (command line, else environment), or `fallback`.
  std::string Get(absl::string_view name, const std::string& fallback = "") const;
  const std::vector<std::string>& positionals() const { return positionals_; }

  // CheckKnown returns INVALID_ARGUMENT naming the first command-line option not in `known`, so
  // a mistyped option is an error rather than silently ignored.
  absl::Status CheckKnown(const std::set<std::string>& known) const;

 private:
  std::map<std::string, std::string> options_;
  std::vector<std::string> positionals_;
};

// NormalizeOptionName maps "kpm-id" to "kpm_id".
std::string NormalizeOptionName(absl::string_view name);

}  // namespace admin
}  // namespace onem2m

#endif  // ONEM2M_SERVICES_ADMIN_CLI_ARGS_H_

// File: services/admin/cli_args.h
//
// CliArgs is what a parsed rsp_admin command line means to the commands: the command path
// (`{"maf", "keys", "list"}`) and the options that were given, by their underscore name
// (`kpm_id` for --kpm-id). cli_parser.h fills it with CLI11; commands only read it, so tests can
// build one by hand.
//
//   CliArgs args({"enrolee", "get"});
//   args.Set("kpm_id", "dev-1");
//   args.Get("kpm_id");          // "dev-1"
//   args.Has("include_invalidated");
#ifndef ONEM2M_SERVICES_ADMIN_CLI_ARGS_H_
#define ONEM2M_SERVICES_ADMIN_CLI_ARGS_H_

#include <map>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/string_view.h"

namespace onem2m {
namespace admin {

class CliArgs {
 public:
  CliArgs() = default;
  explicit CliArgs(std::vector<std::string> command) : command_(std::move(command)) {}

  // Set records option `name` (underscore form) with `value` ("true" for a flag).
  void Set(const std::string& name, std::string value) { options_[name] = std::move(value); }

  // Has is true when the option was given (on the command line or in its environment variable).
  bool Has(absl::string_view name) const { return options_.count(std::string(name)) != 0; }
  // Get returns the option's value, or `fallback`.
  std::string Get(absl::string_view name, const std::string& fallback = "") const {
    auto it = options_.find(std::string(name));
    return it != options_.end() ? it->second : fallback;
  }
  // command is the subcommand path, e.g. {"enrolee", "create"}.
  const std::vector<std::string>& command() const { return command_; }

 private:
  std::vector<std::string> command_;
  std::map<std::string, std::string> options_;
};

}  // namespace admin
}  // namespace onem2m

#endif  // ONEM2M_SERVICES_ADMIN_CLI_ARGS_H_

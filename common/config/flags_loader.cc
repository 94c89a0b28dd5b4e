#include "common/config/flags_loader.h"

#include <cstdlib>
#include <cstring>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/reflection.h"
#include "absl/flags/usage.h"
#include "absl/flags/usage_config.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

ABSL_FLAG(std::string, config, "",
          "Config file (Abseil flagfile format: one --name=value per line). Precedence: "
          "command-line flag > environment ONEM2M_<NAME> > this file > default.");

namespace onem2m::config {

std::string EnvName(absl::string_view flag_name) {
  return absl::StrCat("ONEM2M_", absl::AsciiStrToUpper(flag_name));
}

std::vector<std::string> BuildArgv(int argc, char** argv,
                                   const std::vector<std::string>& flag_names,
                                   const char* (*getenv_fn)(const char*)) {
  std::string config_path;
  if (const char* env = getenv_fn("ONEM2M_CONFIG")) config_path = env;
  for (int i = 1; i < argc; ++i) {
    absl::string_view a = argv[i];
    if (a == "--") break;
    if (absl::StartsWith(a, "--config=")) {
      config_path = std::string(a.substr(strlen("--config=")));
    } else if (a == "--config" && i + 1 < argc) {
      config_path = argv[i + 1];
    }
  }
  std::vector<std::string> out;
  out.emplace_back(argc > 0 ? argv[0] : "program");
  // Abseil expands a --flagfile in place, so the file's values land before the env and argv ones
  // and are overridden by them.
  if (!config_path.empty()) out.push_back(absl::StrCat("--flagfile=", config_path));
  for (const std::string& name : flag_names) {
    if (name == "config" || name == "flagfile" || name == "fromenv" || name == "tryfromenv")
      continue;
    if (const char* value = getenv_fn(EnvName(name).c_str())) {
      out.push_back(absl::StrCat("--", name, "=", value));
    }
  }
  for (int i = 1; i < argc; ++i) out.emplace_back(argv[i]);
  return out;
}

std::vector<char*> LoadFlags(int argc, char** argv, absl::string_view usage) {
  absl::SetProgramUsageMessage(usage);
  std::vector<std::string> names;
  for (const auto& [name, flag] : absl::GetAllFlags()) names.push_back(std::string(name));
  static std::vector<std::string>* storage = nullptr;  // lives for the process: argv points into it
  storage = new std::vector<std::string>(
      BuildArgv(argc, argv, names, [](const char* n) -> const char* { return std::getenv(n); }));
  std::vector<char*> args;
  for (std::string& s : *storage) args.push_back(s.data());
  return absl::ParseCommandLine(static_cast<int>(args.size()), args.data());
}

}  // namespace onem2m::config

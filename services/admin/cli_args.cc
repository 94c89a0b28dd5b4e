#include "services/admin/cli_args.h"

#include <cstdlib>

#include "absl/strings/str_cat.h"
#include "common/config/flags_loader.h"

namespace onem2m {
namespace admin {
namespace {
// Only connection settings come from the environment: a stray ONEM2M_KPM_ID must never pick the
// Enrolee a command acts on.
bool EnvBacked(const std::string& name) {
  return name == "mef" || name == "tls_cert" || name == "tls_key" || name == "tls_ca" ||
         name == "server_name" || name == "timeout";
}
}  // namespace

std::string NormalizeOptionName(absl::string_view name) {
  std::string out(name);
  for (char& c : out) {
    if (c == '-') c = '_';
  }
  return out;
}

absl::StatusOr<CliArgs> CliArgs::Parse(int argc, const char* const* argv,
                                       const std::set<std::string>& booleans) {
  CliArgs args;
  bool options_done = false;
  for (int i = 1; i < argc; ++i) {
    const absl::string_view a = argv[i];
    if (options_done || a.size() < 3 || a.substr(0, 2) != "--") {
      if (a == "--") {
        options_done = true;
        continue;
      }
      args.positionals_.emplace_back(a);
      continue;
    }
    const absl::string_view body = a.substr(2);
    const size_t eq = body.find('=');
    const std::string name = NormalizeOptionName(body.substr(0, eq));
    std::string value;
    if (eq != absl::string_view::npos) {
      value = std::string(body.substr(eq + 1));
    } else if (booleans.count(name) != 0) {
      value = "true";
    } else if (i + 1 < argc) {
      value = argv[++i];
    } else {
      return absl::InvalidArgumentError(absl::StrCat("--", name, " needs a value"));
    }
    args.options_[name] = std::move(value);
  }
  return args;
}

bool CliArgs::Has(absl::string_view name) const {
  const std::string n = NormalizeOptionName(name);
  if (options_.count(n) != 0) return true;
  return EnvBacked(n) && std::getenv(config::EnvName(n).c_str()) != nullptr;
}

std::string CliArgs::Get(absl::string_view name, const std::string& fallback) const {
  const std::string n = NormalizeOptionName(name);
  auto it = options_.find(n);
  if (it != options_.end()) return it->second;
  const char* env = EnvBacked(n) ? std::getenv(config::EnvName(n).c_str()) : nullptr;
  return env != nullptr ? std::string(env) : fallback;
}

absl::Status CliArgs::CheckKnown(const std::set<std::string>& known) const {
  for (const auto& [name, value] : options_) {
    if (known.count(name) == 0) {
      return absl::InvalidArgumentError(absl::StrCat("unknown option --", name));
    }
  }
  return absl::OkStatus();
}

}  // namespace admin
}  // namespace onem2m

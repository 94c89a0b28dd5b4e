// File: common/config/flags_loader.h
//
// LoadFlags parses a service's Abseil flags from three sources with one documented precedence:
//
//   command-line flag  >  environment variable ONEM2M_<FLAG_NAME_UPPER>  >  config file  >  default
//
// The config file is named by --config=<path> (or ONEM2M_CONFIG) and uses Abseil's flagfile format:
// one `--name=value` per line, `#` comments. An unknown option or a bad value in any source stops
// start-up with Abseil's message naming the option (exit code 1).
//
//   int main(int argc, char** argv) {
//     std::vector<char*> args = onem2m::config::LoadFlags(argc, argv, "Usage: mef_server [flags]");
//     ...
//   }
#ifndef ONEM2M_COMMON_CONFIG_FLAGS_LOADER_H_
#define ONEM2M_COMMON_CONFIG_FLAGS_LOADER_H_

#include <string>
#include <vector>

#include "absl/strings/string_view.h"

namespace onem2m::config {

// LoadFlags parses flags as described above and returns the positional arguments (argv[0] first).
// `usage` is shown by --help.
std::vector<char*> LoadFlags(int argc, char** argv, absl::string_view usage);

// BuildArgv is LoadFlags' first step, exposed for tests: it returns argv rewritten so that Abseil's
// last-one-wins parsing yields the precedence above. `getenv` is injectable for tests.
std::vector<std::string> BuildArgv(int argc, char** argv,
                                   const std::vector<std::string>& flag_names,
                                   const char* (*getenv_fn)(const char*));

// EnvName maps a flag name to its environment variable ("tls_listen" -> "ONEM2M_TLS_LISTEN").
std::string EnvName(absl::string_view flag_name);

}  // namespace onem2m::config

#endif  // ONEM2M_COMMON_CONFIG_FLAGS_LOADER_H_

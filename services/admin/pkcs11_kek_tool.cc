// pkcs11_kek_tool: list and generate key-encryption keys inside a PKCS#11 token
// (services/admin/pkcs11_kek_commands.h).
#include <iostream>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "common/crypto/pkcs11_kek_backend.h"
#include "common/process_defaults.h"
#include "services/admin/pkcs11_kek_commands.h"

ABSL_FLAG(std::string, pkcs11_module, "/usr/lib/softhsm/libsofthsm2.so", "PKCS#11 module.");
ABSL_FLAG(std::string, pkcs11_token_label, "", "Token label (required).");
ABSL_FLAG(std::string, pkcs11_pin_file, "", "File holding the user PIN (required).");
ABSL_FLAG(std::string, label, "", "generate: the KEK's label, onem2m-kek-v<N>.");
ABSL_FLAG(uint32_t, version, 0, "generate: the KEK version N (instead of --label).");

int main(int argc, char** argv) {
  onem2m::ApplyProcessDefaults();
  absl::SetProgramUsageMessage(
      "pkcs11_kek_tool list|generate --pkcs11_token_label=L --pkcs11_pin_file=F "
      "[--pkcs11_module=M] [--label=onem2m-kek-v<N> | --version=N]");
  std::vector<char*> args = absl::ParseCommandLine(argc, argv);
  if (args.size() != 2) {
    std::cerr << "usage: " << absl::ProgramUsageMessage() << "\n";
    return 2;
  }
  const std::string command = args[1];
  onem2m::crypto::Pkcs11Config config;
  config.module_path = absl::GetFlag(FLAGS_pkcs11_module);
  config.token_label = absl::GetFlag(FLAGS_pkcs11_token_label);
  config.sessions = 1;
  const std::string pin_file = absl::GetFlag(FLAGS_pkcs11_pin_file);
  if (config.token_label.empty() || pin_file.empty()) {
    std::cerr << "--pkcs11_token_label and --pkcs11_pin_file are required\n";
    return 2;
  }
  absl::StatusOr<onem2m::SecretBytes> pin = onem2m::crypto::ReadPkcs11PinFile(pin_file);
  if (!pin.ok()) {
    std::cerr << "--pkcs11_pin_file: " << pin.status() << "\n";
    return 2;
  }
  config.pin = *std::move(pin);
  absl::Status s;
  if (command == "list") {
    s = onem2m::admin::Pkcs11ListKeks(config, std::cout);
  } else if (command == "generate") {
    uint32_t version = absl::GetFlag(FLAGS_version);
    const std::string label = absl::GetFlag(FLAGS_label);
    if (!label.empty()) {
      const uint32_t from_label = onem2m::crypto::ParsePkcs11KekLabel(label);
      if (from_label == 0 || (version != 0 && version != from_label)) {
        std::cerr << "--label must be onem2m-kek-v<N> (N = --version if both are given)\n";
        return 2;
      }
      version = from_label;
    }
    if (version == 0) {
      std::cerr << "generate needs --label=onem2m-kek-v<N> or --version=N\n";
      return 2;
    }
    s = onem2m::admin::Pkcs11GenerateKek(config, version, std::cout);
  } else {
    std::cerr << "unknown command '" << command << "'; use list or generate\n";
    return 2;
  }
  if (!s.ok()) {
    std::cerr << "pkcs11_kek_tool " << command << ": " << s << "\n";
    return 1;
  }
  return 0;
}

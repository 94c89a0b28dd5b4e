// libFuzzer target: the configuration files of the services.
//  - byte 0 even: the input is a KEK keyring file (common/crypto/envelope.h, Keyring::Parse, the
//    file --kek_file names). A keyring that parses must print (ToFileText) to text that parses
//    to the same keys, and its active key must seal and open.
//  - byte 0 odd: the input is a service config file (--config, Abseil flagfile format, one
//    --name=value per line, common/config/flags_loader.h). BuildArgv places it in the argv; each
//    line's value goes to the project parser that the services apply to that flag
//    (services/mef/mef_server.cc, services/maf/maf_server.cc): listen addresses (comma lists of
//    host:port, common/net/socket_util.h), cipher suite lists (common/tls/psk_config.h), FQDNs
//    (common/crypto/key_id.h). Abseil's own flagfile and flag value parsing is a system library
//    and is not what is fuzzed here (its ParseCommandLine exits on a bad value, by design).
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
#include "absl/strings/strip.h"
#include "common/config/flags_loader.h"
#include "common/crypto/envelope.h"
#include "common/crypto/key_id.h"
#include "common/net/socket_util.h"
#include "common/secret_bytes.h"
#include "common/tls/psk_config.h"

namespace {

void FuzzKeyring(absl::string_view text) {
  absl::StatusOr<onem2m::crypto::Keyring> ring = onem2m::crypto::Keyring::Parse(text);
  if (!ring.ok()) return;
  absl::StatusOr<onem2m::crypto::Keyring> again =
      onem2m::crypto::Keyring::Parse(ring->ToFileText());
  if (!again.ok() || again->versions() != ring->versions() ||
      again->active_version() != ring->active_version()) {
    __builtin_trap();
  }
  for (uint32_t v : ring->versions()) {
    if (ring->key(v) == nullptr || again->key(v) == nullptr || !ring->key(v)->Equals(*again->key(v))) {
      __builtin_trap();
    }
  }
  onem2m::crypto::Envelope envelope(*std::move(ring));
  const onem2m::SecretBytes secret = onem2m::SecretBytes::Copy("a secret");
  absl::StatusOr<std::string> blob = envelope.Seal(secret, "row-1");
  if (!blob.ok()) __builtin_trap();
  absl::StatusOr<onem2m::SecretBytes> back = envelope.Open(*blob, "row-1");
  if (!back.ok() || !back->Equals(secret)) __builtin_trap();
  if (envelope.Open(*blob, "row-2").ok()) __builtin_trap();
}

void FuzzFlagfile(absl::string_view text) {
  std::vector<std::string> lines = absl::StrSplit(text, absl::ByAnyChar("\r\n"));
  std::vector<char*> argv;
  std::string prog = "mef_server";
  argv.push_back(prog.data());
  for (std::string& line : lines) argv.push_back(line.data());
  const std::vector<std::string> names = {"tls_listen", "dtls_listen", "tls_suites", "dtls_suites",
                                          "mef_fqdn",   "maf_fqdn",    "config"};
  (void)onem2m::config::BuildArgv(static_cast<int>(argv.size()), argv.data(), names,
                                  [](const char* n) -> const char* {
                                    return absl::string_view(n) == "ONEM2M_TLS_LISTEN"
                                               ? "127.0.0.1:1"
                                               : nullptr;
                                  });
  for (const std::string& raw : lines) {
    absl::string_view line = absl::StripAsciiWhitespace(raw);
    if (line.empty() || line[0] == '#' || !absl::ConsumePrefix(&line, "--")) continue;
    const size_t eq = line.find('=');
    if (eq == absl::string_view::npos) continue;
    const absl::string_view name = line.substr(0, eq), value = line.substr(eq + 1);
    (void)onem2m::config::EnvName(name);
    if (absl::EndsWith(name, "_listen")) {
      for (absl::string_view a : absl::StrSplit(value, ',', absl::SkipEmpty())) {
        (void)onem2m::net::ParseHostPort(a);
      }
    } else if (absl::EndsWith(name, "_suites")) {
      std::vector<std::string> suites = absl::StrSplit(value, ',', absl::SkipEmpty());
      (void)onem2m::tls::ParseCipherSuites(
          name == "dtls_suites" ? onem2m::tls::Transport::kDtls : onem2m::tls::Transport::kTls,
          suites);
    } else if (absl::EndsWith(name, "_fqdn")) {
      (void)onem2m::crypto::ValidateFqdn(value);
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  absl::string_view text(reinterpret_cast<const char*>(data + 1), size - 1);
  if (data[0] % 2 == 0) {
    FuzzKeyring(text);
  } else {
    FuzzFlagfile(text);
  }
  return 0;
}

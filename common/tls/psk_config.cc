#include "common/tls/psk_config.h"

#include <cstdio>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"

namespace onem2m {
namespace tls {

const CipherSuite kPskAes128CbcSha256 = {0x00AE, "TLS_PSK_WITH_AES_128_CBC_SHA256",
                                         "PSK-AES128-CBC-SHA256", /*allowed_over_dtls=*/false};
const CipherSuite kPskAes128GcmSha256 = {0x00A8, "TLS_PSK_WITH_AES_128_GCM_SHA256",
                                         "PSK-AES128-GCM-SHA256", /*allowed_over_dtls=*/true};
const CipherSuite kPskAes128Ccm8 = {0xC0A8, "TLS_PSK_WITH_AES_128_CCM_8", "PSK-AES128-CCM8",
                                    /*allowed_over_dtls=*/true};
const CipherSuite kEcdhePskAes128CbcSha256 = {0xC037, "TLS_ECDHE_PSK_WITH_AES_128_CBC_SHA256",
                                              "ECDHE-PSK-AES128-CBC-SHA256",
                                              /*allowed_over_dtls=*/true};

namespace {

const CipherSuite* const kPermitted[] = {&kPskAes128CbcSha256, &kPskAes128GcmSha256,
                                         &kPskAes128Ccm8, &kEcdhePskAes128CbcSha256};

}  // namespace

absl::string_view TransportName(Transport transport) {
  return transport == Transport::kTls ? "TLS" : "DTLS";
}

std::vector<CipherSuite> DefaultCipherSuites(Transport transport) {
  if (transport == Transport::kTls) {
    return {kPskAes128CbcSha256, kPskAes128GcmSha256, kPskAes128Ccm8, kEcdhePskAes128CbcSha256};
  }
  return {kPskAes128Ccm8, kPskAes128GcmSha256, kEcdhePskAes128CbcSha256};
}

absl::StatusOr<CipherSuite> FindCipherSuite(Transport transport, absl::string_view name) {
  std::string trimmed(absl::StripAsciiWhitespace(name));
  for (const CipherSuite* suite : kPermitted) {
    if (absl::EqualsIgnoreCase(trimmed, suite->iana_name) ||
        absl::EqualsIgnoreCase(trimmed, suite->openssl_name) ||
        absl::EqualsIgnoreCase(trimmed, absl::StrFormat("0x%04X", suite->id))) {
      if (transport == Transport::kDtls && !suite->allowed_over_dtls) {
        return absl::InvalidArgumentError(absl::StrCat(
            "cipher suite ", suite->iana_name, " is not permitted over DTLS (docs/protocol.md 2)"));
      }
      return *suite;
    }
  }
  return absl::InvalidArgumentError(absl::StrCat(
      "cipher suite \"", absl::CEscape(trimmed),
      "\" is not permitted; allowed: TLS_PSK_WITH_AES_128_CBC_SHA256, "
      "TLS_PSK_WITH_AES_128_GCM_SHA256, TLS_PSK_WITH_AES_128_CCM_8, "
      "TLS_ECDHE_PSK_WITH_AES_128_CBC_SHA256 (NULL, anon, export, RC4, 3DES and DHE_PSK suites "
      "are never enabled, docs/protocol.md 2)"));
}

absl::StatusOr<std::vector<CipherSuite>> ParseCipherSuites(Transport transport,
                                                           const std::vector<std::string>& names) {
  if (names.empty()) return absl::InvalidArgumentError("empty cipher suite list");
  std::vector<CipherSuite> out;
  for (const std::string& name : names) {
    absl::StatusOr<CipherSuite> suite = FindCipherSuite(transport, name);
    if (!suite.ok()) return suite.status();
    for (const CipherSuite& seen : out) {
      if (seen.id == suite->id) {
        return absl::InvalidArgumentError(
            absl::StrCat("cipher suite ", suite->iana_name, " listed twice"));
      }
    }
    out.push_back(*suite);
  }
  return out;
}

absl::StatusOr<Tls13Importer> ParseTls13Importer(absl::string_view name) {
  if (name == "on") return Tls13Importer::kOn;
  if (name == "off") return Tls13Importer::kOff;
  if (name == "both") return Tls13Importer::kBoth;
  return absl::InvalidArgumentError(
      absl::StrCat("tls13_importer must be on, off or both, not \"", absl::CEscape(name), "\""));
}

absl::StatusOr<Tls13PskMode> ParseTls13PskMode(absl::string_view name) {
  if (name == "dhe") return Tls13PskMode::kDhe;
  if (name == "ke") return Tls13PskMode::kKe;
  return absl::InvalidArgumentError(
      absl::StrCat("tls13_psk_mode must be dhe or ke, not \"", absl::CEscape(name), "\""));
}

std::string OpenSslCipherList(const std::vector<CipherSuite>& suites) {
  std::vector<absl::string_view> names;
  for (const CipherSuite& suite : suites) names.push_back(suite.openssl_name);
  return absl::StrJoin(names, ":");
}

}  // namespace tls
}  // namespace onem2m

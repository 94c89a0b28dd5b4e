// enrolee: the device side of remote security provisioning (docs/protocol.md 2-4), as a CLI.
//
//   enrolee --mef=127.0.0.1:8443 --mef_fqdn=mef.example.com --kpm_id=device-0001
//           --kpm_file=kpm.hex [--transport=dtls] [--out=ke.txt]
//
// Prints KeID, MAF-ID, Enrolee-ID and expiry (never Ke). With --out it writes KeID and Ke (hex) to
// a new file with mode 0600, for the MAF registration step that follows.
#include <fcntl.h>
#include <unistd.h>

#include <csignal>
#include <cstdio>
#include <string>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "common/crypto/key_fingerprint.h"
#include "common/crypto/key_id.h"
#include "common/process_defaults.h"
#include "common/read_file.h"
#include "common/secret_bytes.h"
#include "enrolee/bootstrap_client.h"
#include "enrolee/maf_client.h"
#include "services/common/host_port.h"
#include "services/enrolee/client_transport.h"

ABSL_FLAG(std::string, mef, "",
          "MEF bootstrap address host:port (TLS: its TCP port, DTLS: its UDP port).");
ABSL_FLAG(std::string, mef_fqdn, "", "MEF-FQDN: sent as SNI and the suffix of the KeID.");
ABSL_FLAG(std::string, transport, "tls", "tls (TLS 1.2 over TCP) or dtls (DTLS 1.2 over UDP).");
ABSL_FLAG(bool, tls13, false,
          "With --transport=tls: offer TLS 1.3 external PSK (falls back to TLS 1.2 if the server "
          "lacks it), docs/protocol.md 2a.");
ABSL_FLAG(std::string, tls13_importer, "on",
          "With --tls13: on (RFC 9258 imported identity) or off (raw identity and key).");
ABSL_FLAG(std::string, tls13_psk_mode, "dhe",
          "With --tls13: dhe (psk_dhe_ke) or ke (also offer psk_ke, with no usable key share).");
ABSL_FLAG(std::string, kpm_id, "", "KpmID (the PSK identity).");
ABSL_FLAG(std::string, kpm_file, "",
          "File holding Kpm in hex (never pass keys on the command line).");
ABSL_FLAG(std::string, enrolee_id, "", "Enrolee-ID to ask for (optional; the MEF checks it).");
ABSL_FLAG(std::string, out, "", "Write KeID and Ke (hex) here, mode 0600 (optional).");
ABSL_FLAG(int, attempts, 5, "Bootstrap attempts (retries use jittered exponential backoff).");
ABSL_FLAG(absl::Duration, timeout, absl::Seconds(10), "Deadline of one attempt.");
ABSL_FLAG(std::string, maf, "",
          "After bootstrap, register at this MAF host:port (same transport) (optional).");
ABSL_FLAG(std::string, maf_fqdn, "",
          "MAF-FQDN for --maf (SNI, KmID and Key Identifier suffix); default: the MAF-ID.");
ABSL_FLAG(std::string, register_key_for, "",
          "With --maf: register a key for these targetIDs (comma-separated).");
ABSL_FLAG(int, suid, 32,
          "With --register_key_for: the key's SUID, 32..35 (TS-0004 m2m:suid: MAF-distributed "
          "keys for SAEF, ESPrim, ESData encryption, ESData signature).");
ABSL_FLAG(std::string, maf_labels, "",
          "With --maf: labels (m2m:labels, comma-separated tokens) of the client registration.");
ABSL_FLAG(bool, maf_config, false,
          "With --maf: print the MAF Client Configuration (TS-0003 8.8.2.4) after registering.");
ABSL_FLAG(
    std::string, admin_fqdn, "",
    "With --maf: the adminFQDN of the registrations (TS-0003 8.8.3.2); default: the MAF-FQDN.");

namespace onem2m {
namespace {

int Fail(const std::string& what) {
  std::fprintf(stderr, "enrolee: %s\n", what.c_str());
  return 1;
}

// RunMaf registers the bootstrapped device at its MAF (docs/protocol.md 7): first contact with
// psk_identity = KeID and psk = Km, Client Registration (assignedSymmKeyID must equal our KmID),
// an optional Key Registration, then a second handshake with psk_identity = KmID.
int RunMaf(const enrolee::BootstrapResult& r, tls::Transport transport,
           const tls::Tls13Options& tls13) {
  enrolee::MafClientOptions mo;
  absl::StatusOr<services::HostPort> maf_address =
      services::SplitHostPort(absl::GetFlag(FLAGS_maf));
  if (!maf_address.ok()) return Fail("--maf must be host:port");
  mo.maf_host = maf_address->host;
  mo.maf_port = maf_address->port;
  mo.maf_fqdn = absl::GetFlag(FLAGS_maf_fqdn).empty() ? r.maf_id : absl::GetFlag(FLAGS_maf_fqdn);
  mo.admin_fqdn = absl::GetFlag(FLAGS_admin_fqdn);
  mo.transport = transport;
  mo.tls13 = tls13;
  mo.originator = r.enrolee_id;
  mo.timeout = absl::GetFlag(FLAGS_timeout);
  absl::StatusOr<enrolee::MafCredential> cred =
      enrolee::DeriveMafCredential(r.ke, r.maf_id, mo.maf_fqdn);
  if (!cred.ok()) return Fail(absl::StrCat("Km derivation: ", cred.status().ToString()));
  mo.psk_identity = r.ke_id;
  mo.psk = cred->km;
  absl::StatusOr<std::unique_ptr<enrolee::MafClient>> maf = enrolee::MafClient::Connect(mo);
  if (!maf.ok()) return Fail(absl::StrCat("MAF handshake (KeID): ", maf.status().ToString()));
  std::optional<std::vector<std::string>> labels;
  if (!absl::GetFlag(FLAGS_maf_labels).empty()) {
    labels = absl::StrSplit(absl::GetFlag(FLAGS_maf_labels), ',', absl::SkipWhitespace());
  }
  absl::StatusOr<enrolee::MafRegistration> reg =
      (*maf)->RegisterClient(cred->km_id, std::nullopt, labels);
  if (!reg.ok()) return Fail(absl::StrCat("MAF client registration: ", reg.status().ToString()));
  std::printf("maf registration ok\n  KmID        %s\n  mafClientRegID %s\n  adminFQDN   %s\n",
              cred->km_id.c_str(), reg->maf_client_reg_id.c_str(), reg->admin_fqdn.c_str());
  if (absl::GetFlag(FLAGS_maf_config)) {
    absl::StatusOr<exchange::MafClientConfig> cfg =
        (*maf)->RetrieveClientConfig(reg->maf_client_reg_id);
    if (!cfg.ok()) return Fail(absl::StrCat("MAF client configuration: ", cfg.status().ToString()));
    std::printf("maf client configuration\n  fqdn        %s\n  adminFQDN   %s\n  labels      %s\n",
                cfg->fqdn.c_str(), cfg->admin_fqdn.c_str(),
                absl::StrJoin(cfg->labels.value_or(std::vector<std::string>{}), ",").c_str());
  }
  if (!absl::GetFlag(FLAGS_register_key_for).empty()) {
    std::vector<std::string> targets =
        absl::StrSplit(absl::GetFlag(FLAGS_register_key_for), ',', absl::SkipWhitespace());
    absl::StatusOr<enrolee::RegisteredKey> key =
        (*maf)->RegisterKey(targets, absl::GetFlag(FLAGS_suid));
    if (!key.ok()) return Fail(absl::StrCat("key registration: ", key.status().ToString()));
    std::printf("key registered\n  KeyID       %s\n  fingerprint %s\n  expires     %s\n",
                key->key_id.c_str(), crypto::KeyFingerprint(key->kc).c_str(),
                absl::FormatTime(absl::RFC3339_sec, key->expires_at, absl::UTCTimeZone()).c_str());
  }
  maf->reset();
  // Later contacts use the KmID (the MAF answers from its store, no MEF fetch).
  mo.psk_identity = cred->km_id;
  absl::StatusOr<std::unique_ptr<enrolee::MafClient>> again = enrolee::MafClient::Connect(mo);
  if (!again.ok()) return Fail(absl::StrCat("MAF handshake (KmID): ", again.status().ToString()));
  std::printf("kmid handshake ok\n");
  return 0;
}

int Run() {
  enrolee::BootstrapOptions o;
  absl::StatusOr<services::HostPort> mef = services::SplitHostPort(absl::GetFlag(FLAGS_mef));
  if (!mef.ok()) return Fail("--mef must be host:port");
  o.mef_host = mef->host;
  o.mef_port = mef->port;
  o.mef_fqdn = absl::GetFlag(FLAGS_mef_fqdn);
  const std::string transport = absl::GetFlag(FLAGS_transport);
  absl::StatusOr<services::ClientTransport> t = services::ParseClientTransport(
      {transport, absl::GetFlag(FLAGS_tls13), absl::GetFlag(FLAGS_tls13_importer),
       absl::GetFlag(FLAGS_tls13_psk_mode)});
  if (!t.ok()) return Fail(std::string(t.status().message()));
  o.transport = t->transport;
  o.tls13 = t->tls13;
  o.kpm_id = absl::GetFlag(FLAGS_kpm_id);
  absl::StatusOr<std::string> kpm_text = ReadFile(absl::GetFlag(FLAGS_kpm_file));
  if (!kpm_text.ok()) return Fail(absl::StrCat("--kpm_file: ", kpm_text.status().message()));
  absl::StatusOr<SecretBytes> kpm = crypto::ParseHexSecret(absl::StripAsciiWhitespace(*kpm_text));
  WipeString(&*kpm_text);
  if (!kpm.ok()) return Fail(absl::StrCat("--kpm_file: ", kpm.status().message()));
  o.kpm = std::move(*kpm);
  if (!absl::GetFlag(FLAGS_enrolee_id).empty()) o.enrolee_id = absl::GetFlag(FLAGS_enrolee_id);
  o.attempt_timeout = absl::GetFlag(FLAGS_timeout);
  enrolee::RetryPolicy policy;
  policy.max_attempts = absl::GetFlag(FLAGS_attempts);

  absl::Time start = absl::Now();
  absl::StatusOr<enrolee::BootstrapResult> r = enrolee::BootstrapWithRetry(o, policy);
  if (!r.ok()) return Fail(absl::StrCat("bootstrap failed: ", r.status().ToString()));
  std::printf("bootstrap ok over %s (%s) in %.1f ms, %d attempt(s)\n", transport.c_str(),
              r->cipher.c_str(), absl::ToDoubleMilliseconds(absl::Now() - start), r->attempts);
  std::printf("  KeID        %s\n  Enrolee-ID  %s\n  MAF-ID      %s\n  expires     %s\n",
              r->ke_id.c_str(), r->enrolee_id.c_str(), r->maf_id.c_str(),
              absl::FormatTime(absl::RFC3339_sec, r->expires_at, absl::UTCTimeZone()).c_str());
  if (!absl::GetFlag(FLAGS_out).empty()) {
    int fd = open(absl::GetFlag(FLAGS_out).c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0) return Fail("cannot create --out (it must not exist yet)");
    std::string text =
        absl::StrCat("ke_id=", r->ke_id,
                     "\nke_hex=", absl::AsciiStrToLower(crypto::HexUpper(r->ke.Reveal())), "\n");
    bool ok = write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size());
    WipeString(&text);
    close(fd);
    if (!ok) return Fail("cannot write --out");
    std::printf("  Ke and KeID written to %s (mode 0600)\n", absl::GetFlag(FLAGS_out).c_str());
  }
  if (!absl::GetFlag(FLAGS_maf).empty()) return RunMaf(*r, o.transport, o.tls13);
  return 0;
}

}  // namespace
}  // namespace onem2m

int main(int argc, char** argv) {
  onem2m::ApplyProcessDefaults();
  std::signal(SIGPIPE, SIG_IGN);
  absl::SetProgramUsageMessage("enrolee: bootstrap a device at a MEF (TLS-PSK or DTLS-PSK).");
  absl::ParseCommandLine(argc, argv);
  return onem2m::Run();
}

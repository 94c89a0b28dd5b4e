#include "services/enrolee/client_transport.h"

#include "absl/strings/str_cat.h"

namespace onem2m::services {

absl::StatusOr<ClientTransport> ParseClientTransport(const TransportFlags& flags) {
  ClientTransport out;
  if (flags.transport == "tls") {
    out.transport = tls::Transport::kTls;
  } else if (flags.transport == "dtls") {
    out.transport = tls::Transport::kDtls;
  } else {
    return absl::InvalidArgumentError("--transport must be tls or dtls");
  }
  if (!flags.tls13) return out;
  if (out.transport != tls::Transport::kTls) {
    return absl::InvalidArgumentError("--tls13 needs --transport=tls");
  }
  absl::StatusOr<tls::Tls13Importer> importer = tls::ParseTls13Importer(flags.tls13_importer);
  if (!importer.ok() || *importer == tls::Tls13Importer::kBoth) {
    return absl::InvalidArgumentError("--tls13_importer must be on or off");
  }
  absl::StatusOr<tls::Tls13PskMode> mode = tls::ParseTls13PskMode(flags.tls13_psk_mode);
  if (!mode.ok()) {
    return absl::InvalidArgumentError(absl::StrCat("--tls13_psk_mode: ", mode.status().message()));
  }
  out.tls13.enabled = true;
  out.tls13.importer = *importer;
  out.tls13.psk_mode = *mode;
  return out;
}

}  // namespace onem2m::services

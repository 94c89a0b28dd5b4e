// File: services/enrolee/client_transport.h
//
// ParseClientTransport turns the enrolee CLI's --transport, --tls13, --tls13_importer and
// --tls13_psk_mode into the device's transport choice (docs/protocol.md 2, 2a). A device offers
// one identity form, so --tls13_importer takes on or off (not the server's "both").
//
//   absl::StatusOr<ClientTransport> t = ParseClientTransport({"tls", true, "on", "dhe"});
#ifndef ONEM2M_SERVICES_ENROLEE_CLIENT_TRANSPORT_H_
#define ONEM2M_SERVICES_ENROLEE_CLIENT_TRANSPORT_H_

#include <string>

#include "absl/status/statusor.h"
#include "common/tls/psk_config.h"

namespace onem2m::services {

// TransportFlags holds the raw flag values.
struct TransportFlags {
  std::string transport = "tls";  // tls or dtls
  bool tls13 = false;
  std::string tls13_importer = "on";
  std::string tls13_psk_mode = "dhe";
};

struct ClientTransport {
  tls::Transport transport = tls::Transport::kTls;
  tls::Tls13Options tls13;  // enabled only with --tls13
};

// ParseClientTransport returns the transport, or kInvalidArgument whose message is the line the
// CLI prints ("--transport must be tls or dtls", "--tls13 needs --transport=tls", ...). The TLS
// 1.3 values are checked only with --tls13.
absl::StatusOr<ClientTransport> ParseClientTransport(const TransportFlags& flags);

}  // namespace onem2m::services

#endif  // ONEM2M_SERVICES_ENROLEE_CLIENT_TRANSPORT_H_

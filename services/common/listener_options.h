// File: services/common/listener_options.h
//
// The device-facing PSK listeners of both services (the MEF's bootstrap server, the MAF's
// handshake server) take the same flags: addresses, suites, TLS 1.3, timeouts and session caps.
// ParseListenerOptions turns their values into one validated ListenerOptions, naming the flag at
// fault; ApplyListenerOptions copies it into either server's options struct.
//
//   ListenerFlags flags;
//   flags.tls_listen = absl::GetFlag(FLAGS_tls_listen);
//   ...
//   ListenerOptions listeners = setup.Listeners(flags);  // adds the shared --tls13* flags
//   mef::BootstrapServerOptions bo;
//   ApplyListenerOptions(listeners, &bo);
#ifndef ONEM2M_SERVICES_COMMON_LISTENER_OPTIONS_H_
#define ONEM2M_SERVICES_COMMON_LISTENER_OPTIONS_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "common/psk_server/exchange_session.h"
#include "common/tls/psk_config.h"
#include "services/common/option_error.h"

namespace onem2m::services {

// ListenerFlags holds the raw flag values, each named after its flag.
struct ListenerFlags {
  std::string tls_listen;   // comma-separated host:port ("[::]:8443", "127.0.0.1:0"); empty: none
  std::string dtls_listen;  // likewise for DTLS (UDP)
  std::string tls_suites;   // comma-separated suite names; empty: docs/protocol.md defaults
  std::string dtls_suites;
  bool require_sni = false;
  bool tls13 = false;                  // shared flag (service_setup.cc)
  std::string tls13_importer = "on";   // shared flag: on, off or both
  std::string tls13_psk_mode = "dhe";  // shared flag: dhe or ke
  absl::Duration handshake_timeout = absl::Seconds(10);
  absl::Duration idle_timeout = absl::Seconds(30);
  int io_threads = 2;
  int max_sessions = 10000;
  int max_sessions_per_source = 256;
  int64_t memory_budget_bytes = 0;
  bool coap_legacy_option_numbers = false;
};

// ListenerOptions are the validated listener settings shared by mef::BootstrapServerOptions and
// maf::HandshakeServerOptions (same field names, see ApplyListenerOptions).
struct ListenerOptions {
  bool require_sni = false;
  std::vector<std::string> tls_listen;  // each a valid host:port
  std::vector<std::string> dtls_listen;
  std::vector<tls::CipherSuite> tls_suites;   // empty: docs/protocol.md defaults
  std::vector<tls::CipherSuite> dtls_suites;  // empty: docs/protocol.md defaults
  tls::Tls13Options tls13;
  absl::Duration handshake_timeout = absl::Seconds(10);
  absl::Duration idle_timeout = absl::Seconds(30);
  int io_threads = 2;
  int max_sessions = 10000;
  int max_sessions_per_source = 256;
  int64_t memory_budget_bytes = 0;
  server::ExchangeOptions exchange;
};

// ParseListenerOptions validates `flags` in this order, returning the first fault: --tls_suites,
// --dtls_suites (names allowed for the transport, no duplicates, not only commas),
// --tls13_importer,
// --tls13_psk_mode, then every --tls_listen and --dtls_listen address (numeric host or
// "localhost", a port; common/net/socket_util.h ParseHostPort). Numbers and durations are passed
// through as given: the servers already treat 0 as "no cap" and clamp io_threads to at least 1.
OptionOr<ListenerOptions> ParseListenerOptions(const ListenerFlags& flags);

// ParseTls13Options validates the shared --tls13, --tls13_importer and --tls13_psk_mode values
// (docs/protocol.md 2a).
OptionOr<tls::Tls13Options> ParseTls13Options(bool enabled, const std::string& importer,
                                              const std::string& psk_mode);

// ApplyListenerOptions copies `listeners` into a server's options struct with the same field
// names (mef::BootstrapServerOptions, maf::HandshakeServerOptions), leaving its other fields.
template <typename ServerOptions>
void ApplyListenerOptions(const ListenerOptions& listeners, ServerOptions* out) {
  out->require_sni = listeners.require_sni;
  out->tls_listen = listeners.tls_listen;
  out->dtls_listen = listeners.dtls_listen;
  out->tls_suites = listeners.tls_suites;
  out->dtls_suites = listeners.dtls_suites;
  out->tls13 = listeners.tls13;
  out->handshake_timeout = listeners.handshake_timeout;
  out->idle_timeout = listeners.idle_timeout;
  out->io_threads = listeners.io_threads;
  out->max_sessions = listeners.max_sessions;
  out->max_sessions_per_source = listeners.max_sessions_per_source;
  out->memory_budget_bytes = listeners.memory_budget_bytes;
  out->exchange = listeners.exchange;
}

}  // namespace onem2m::services

#endif  // ONEM2M_SERVICES_COMMON_LISTENER_OPTIONS_H_

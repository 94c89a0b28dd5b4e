#include "services/common/listener_options.h"

#include "common/net/socket_util.h"
#include "services/common/flag_list.h"

namespace onem2m::services {
namespace {

// ParseSuites reads one suites flag: empty means the docs/protocol.md defaults (an empty list).
OptionOr<std::vector<tls::CipherSuite>> ParseSuites(tls::Transport transport,
                                                    const std::string& value,
                                                    const std::string& option) {
  if (value.empty()) return std::vector<tls::CipherSuite>{};
  absl::StatusOr<std::vector<tls::CipherSuite>> parsed =
      tls::ParseCipherSuites(transport, SplitList(value));
  if (!parsed.ok()) return OptionError{option, parsed.status()};
  return *std::move(parsed);
}

// ParseAddresses checks each host:port of one listen flag; the servers bind them later.
OptionOr<std::vector<std::string>> ParseAddresses(const std::string& value,
                                                  const std::string& option) {
  std::vector<std::string> addresses = SplitList(value);
  for (const std::string& a : addresses) {
    absl::StatusOr<net::SocketAddress> parsed = net::ParseHostPort(a);
    if (!parsed.ok()) return OptionError{option, parsed.status()};  // it quotes `a`
  }
  return addresses;
}

}  // namespace

OptionOr<tls::Tls13Options> ParseTls13Options(bool enabled, const std::string& importer,
                                              const std::string& psk_mode) {
  tls::Tls13Options out;
  out.enabled = enabled;
  absl::StatusOr<tls::Tls13Importer> i = tls::ParseTls13Importer(importer);
  if (!i.ok()) return OptionError{"tls13_importer", i.status()};
  absl::StatusOr<tls::Tls13PskMode> m = tls::ParseTls13PskMode(psk_mode);
  if (!m.ok()) return OptionError{"tls13_psk_mode", m.status()};
  out.importer = *i;
  out.psk_mode = *m;
  return out;
}

OptionOr<ListenerOptions> ParseListenerOptions(const ListenerFlags& flags) {
  ListenerOptions out;
  OptionOr<std::vector<tls::CipherSuite>> tls_suites =
      ParseSuites(tls::Transport::kTls, flags.tls_suites, "tls_suites");
  if (!tls_suites.ok()) return tls_suites.error();
  OptionOr<std::vector<tls::CipherSuite>> dtls_suites =
      ParseSuites(tls::Transport::kDtls, flags.dtls_suites, "dtls_suites");
  if (!dtls_suites.ok()) return dtls_suites.error();
  OptionOr<tls::Tls13Options> tls13 =
      ParseTls13Options(flags.tls13, flags.tls13_importer, flags.tls13_psk_mode);
  if (!tls13.ok()) return tls13.error();
  OptionOr<std::vector<std::string>> tls_listen = ParseAddresses(flags.tls_listen, "tls_listen");
  if (!tls_listen.ok()) return tls_listen.error();
  OptionOr<std::vector<std::string>> dtls_listen = ParseAddresses(flags.dtls_listen, "dtls_listen");
  if (!dtls_listen.ok()) return dtls_listen.error();

  out.require_sni = flags.require_sni;
  out.tls_listen = *std::move(tls_listen);
  out.dtls_listen = *std::move(dtls_listen);
  out.tls_suites = *std::move(tls_suites);
  out.dtls_suites = *std::move(dtls_suites);
  out.tls13 = *tls13;
  out.handshake_timeout = flags.handshake_timeout;
  out.idle_timeout = flags.idle_timeout;
  out.io_threads = flags.io_threads;
  out.max_sessions = flags.max_sessions;
  out.max_sessions_per_source = flags.max_sessions_per_source;
  out.memory_budget_bytes = flags.memory_budget_bytes;
  out.exchange.coap_legacy_option_numbers = flags.coap_legacy_option_numbers;
  return out;
}

}  // namespace onem2m::services

// File: common/tls/session_state.h
//
// INTERNAL to common/tls: the per-SSL record that OpenSSL callbacks (PSK, SNI, cookies, alerts)
// fill in and PskSession reads. Attached to each SSL with SSL_set_ex_data. Not for other packages.
#ifndef ONEM2M_COMMON_TLS_SESSION_STATE_H_
#define ONEM2M_COMMON_TLS_SESSION_STATE_H_

#include <openssl/ssl.h>

#include <string>

#include "absl/status/status.h"
#include "common/tls/psk_resolver.h"

namespace onem2m {
namespace tls {

class PskContext;

namespace internal {

struct SessionState {
  // Client: the context whose identity and key this session presents. Client contexts share one
  // SSL_CTX per (transport, suites), so the SSL_CTX cannot say which PskContext a session is for.
  const PskContext* client = nullptr;
  std::string peer;               // DTLS server: PeerKey of the peer, for cookies.
  std::string psk_identity;       // Server: presented identity.
  PskLookup psk_lookup = PskLookup::kNotAsked;
  absl::Status lookup_status;     // Server: resolver's status (never holds key bytes).
  std::string server_name;        // Server: SNI the client sent ("" if none).
  int alert_sent = -1;            // Last alert description sent, -1 if none.
  int alert_received = -1;        // Last alert description received, -1 if none.
};

// SessionStateIndex returns the SSL ex_data index for SessionState*.
int SessionStateIndex();

// StateOf returns the SessionState attached to `ssl`, or nullptr.
inline SessionState* StateOf(const SSL* ssl) {
  return static_cast<SessionState*>(SSL_get_ex_data(ssl, SessionStateIndex()));
}

}  // namespace internal
}  // namespace tls
}  // namespace onem2m

#endif  // ONEM2M_COMMON_TLS_SESSION_STATE_H_

// File: common/tls/psk_context.h
//
// PskContext is the shared, immutable configuration of one role (server or client) over one
// transport (TLS 1.2 or DTLS 1.2): an OpenSSL SSL_CTX restricted to the PSK suites of
// docs/protocol.md 2, TLS 1.2 / DTLS 1.2 only (plus, opt-in, TLS 1.3 external PSK on TLS contexts,
// docs/protocol.md 2a), no session resumption, no renegotiation, small idle
// buffers (SSL_MODE_RELEASE_BUFFERS once a session's handshake is done), plus the PSK resolver
// (server) or credentials (client), the SNI policy and, for a DTLS server, the cookie secret.
//
//   // MEF, TLS:
//   ServerOptions options;
//   options.required_server_name = "mef.example.com";
//   absl::StatusOr<std::shared_ptr<const PskContext>> ctx =
//       PskContext::NewServer(options, std::make_shared<MyResolver>(...));
//   // Device:
//   ClientOptions client;
//   client.psk_identity = kpm_id; client.psk = kpm; client.server_name = "mef.example.com";
//   absl::StatusOr<std::shared_ptr<const PskContext>> cctx = PskContext::NewClient(client);
//
// Sessions (psk_session.h) and DTLS listeners (dtls_listener.h) hold a shared_ptr to it.
// Thread safety: a PskContext may be used by any number of threads at once.
#ifndef ONEM2M_COMMON_TLS_PSK_CONTEXT_H_
#define ONEM2M_COMMON_TLS_PSK_CONTEXT_H_

#include <openssl/ssl.h>

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/openssl_util.h"
#include "common/secret_bytes.h"
#include "common/tls/dtls_cookie.h"
#include "common/tls/psk_config.h"
#include "common/tls/psk_resolver.h"

namespace onem2m {
namespace tls {

enum class Role { kClient, kServer };

class PskContext {
 public:
  // NewServer returns a server context. `resolver` must not be null. kInvalidArgument for a
  // forbidden or malformed suite list or bad options; kInternal if OpenSSL refuses the setup.
  static absl::StatusOr<std::shared_ptr<const PskContext>> NewServer(
      const ServerOptions& options, std::shared_ptr<PskResolver> resolver);

  // NewClient returns a client context presenting `options.psk_identity` / `options.psk`.
  // kInvalidArgument for a forbidden suite, an identity of 0 or > kMaxPskIdentityLen bytes or with
  // a NUL byte, or a key outside kMinPskLen..kMaxPskLen bytes.
  static absl::StatusOr<std::shared_ptr<const PskContext>> NewClient(ClientOptions options);

  ~PskContext();
  PskContext(const PskContext&) = delete;
  PskContext& operator=(const PskContext&) = delete;

  Role role() const { return role_; }
  Transport transport() const { return transport_; }
  // ssl_ctx returns the underlying SSL_CTX: owned by this object for a server; for a client, shared
  // with every client context of the same transport and suites (sessions must come from
  // PskSession, which tells the PSK callback which context's identity to present).
  SSL_CTX* ssl_ctx() const { return ctx_.get(); }
  // handshake_timeout is ServerOptions::handshake_timeout (clients: the blocking client's
  // deadline decides).
  absl::Duration handshake_timeout() const { return handshake_timeout_; }
  int dtls_mtu() const { return dtls_mtu_; }
  // tls13 is the TLS 1.3 configuration (enabled is always false over DTLS).
  const Tls13Options& tls13() const { return tls13_; }
  // async_lookups: a server whose resolver answers asynchronously (PskResolver::SupportsAsync).
  bool async_lookups() const { return resolver_ != nullptr && resolver_->SupportsAsync(); }
  // Client only: the SNI to send and the identity presented.
  const std::string& server_name() const { return server_name_; }
  const std::string& psk_identity() const { return psk_identity_; }

 private:
  PskContext(Role role, Transport transport);
  absl::Status Init(const std::vector<CipherSuite>& suites);
  absl::Status InitSharedClient(const std::vector<CipherSuite>& suites);
  absl::Status InitNew(const std::vector<CipherSuite>& suites);

  friend struct ContextCallbacks;

  const Role role_;
  const Transport transport_;
  SslCtxPtr ctx_;
  absl::Duration handshake_timeout_ = absl::Seconds(10);
  int dtls_mtu_ = 1400;
  // TLS 1.3 external PSK (docs/protocol.md 2a); disabled for DTLS.
  Tls13Options tls13_;
  // Server.
  std::shared_ptr<PskResolver> resolver_;
  std::string required_server_name_;
  std::unique_ptr<CookieKeeper> cookies_;
  // Client.
  std::string server_name_;
  std::string psk_identity_;
  SecretBytes psk_;
  // Client with TLS 1.3: the identity and key offered (ImportedIdentity and imported PSK, or raw).
  std::string tls13_identity_;
  SecretBytes tls13_psk_;
};

}  // namespace tls
}  // namespace onem2m

#endif  // ONEM2M_COMMON_TLS_PSK_CONTEXT_H_

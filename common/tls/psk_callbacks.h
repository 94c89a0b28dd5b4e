// File: common/tls/psk_callbacks.h
//
// INTERNAL to common/tls: the OpenSSL callbacks of every PskContext (PSK lookup, TLS 1.3 external
// PSK, SNI, alerts, DTLS cookies). ContextCallbacks is a struct of static functions so that it can
// be PskContext's friend; PskContext::InitNew calls Install once its SSL_CTX is configured.
#ifndef ONEM2M_COMMON_TLS_PSK_CALLBACKS_H_
#define ONEM2M_COMMON_TLS_PSK_CALLBACKS_H_

#include <openssl/ssl.h>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "common/secret_bytes.h"
#include "common/tls/psk_resolver.h"
#include "common/tls/session_state.h"

namespace onem2m {
namespace tls {

class PskContext;

struct ContextCallbacks {
  // Install sets the callbacks of `context`'s role and transport on its SSL_CTX; a server's
  // SSL_CTX also points back at `context` (server contexts are never shared).
  static absl::Status Install(PskContext* context);

  static PskLookup Lookup(SSL* ssl, absl::string_view id, absl::StatusOr<ResolvedPsk>* found,
                          const SecretBytes** out_key);
  static unsigned int ServerPsk(SSL* ssl, const char* identity, unsigned char* psk,
                                unsigned int max_psk_len);
  static SSL_SESSION* Tls13Session(SSL* ssl, const SecretBytes& key);
  static int ServerTls13Psk(SSL* ssl, const unsigned char* identity, size_t identity_len,
                            SSL_SESSION** sess);
  static int ClientTls13Psk(SSL* ssl, const EVP_MD* md, const unsigned char** id, size_t* id_len,
                            SSL_SESSION** sess);
  static absl::StatusOr<ResolvedPsk> ResolveInJob(PskResolver& resolver, absl::string_view id,
                                                  internal::SessionState* state);
  static unsigned int ClientPsk(SSL* ssl, const char* hint, char* identity,
                                unsigned int max_identity_len, unsigned char* psk,
                                unsigned int max_psk_len);
  static int ServerName(SSL* ssl, int* alert, void* arg);
  static void Info(const SSL* ssl, int where, int ret);
  static int GenerateCookie(SSL* ssl, unsigned char* cookie, unsigned int* cookie_len);
  static int VerifyCookie(SSL* ssl, const unsigned char* cookie, unsigned int cookie_len);
};

}  // namespace tls
}  // namespace onem2m

#endif  // ONEM2M_COMMON_TLS_PSK_CALLBACKS_H_

// File: common/tls/dtls_cookie.h
//
// Stateless DTLS cookies (RFC 6347 4.2.1): cookie = HMAC-SHA-256(secret, peer address). The secret is
// random, held only in this process, and rotates; a cookie made under the previous secret is still
// accepted, so a client caught by a rotation does not fail. The server therefore keeps no state for
// a peer until that peer echoes a valid cookie, which proves it receives datagrams at the address.
//
// PskContext (server, DTLS) owns one CookieKeeper and wires it to OpenSSL's cookie callbacks;
// DtlsListener feeds it the peer address. Direct use is only needed in tests:
//
//   CookieKeeper keeper(absl::Minutes(5));
//   std::string cookie = keeper.Make(PeerKey(addr, addr_len), absl::Now());
//   bool ok = keeper.Verify(PeerKey(addr, addr_len), cookie, absl::Now());
//
// Thread safety: all methods are thread-safe.
#ifndef ONEM2M_COMMON_TLS_DTLS_COOKIE_H_
#define ONEM2M_COMMON_TLS_DTLS_COOKIE_H_

#include <sys/socket.h>

#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "common/secret_bytes.h"

namespace onem2m {
namespace tls {

// PeerKey returns canonical bytes naming a UDP peer (family, address, port) for `addr`, usable as
// the `peer` argument of CookieKeeper and DtlsListener and as a map key. Unknown families yield
// the raw sockaddr bytes.
std::string PeerKey(const struct sockaddr* addr, socklen_t addr_len);

class CookieKeeper {
 public:
  // kCookieLen is the cookie size in bytes (a full HMAC-SHA-256).
  static constexpr size_t kCookieLen = 32;

  // CookieKeeper draws a fresh random secret; `rotation` is how long a secret is current.
  explicit CookieKeeper(absl::Duration rotation);

  CookieKeeper(const CookieKeeper&) = delete;
  CookieKeeper& operator=(const CookieKeeper&) = delete;

  // Make returns the cookie for `peer` under the current secret, rotating it first if due.
  std::string Make(absl::string_view peer, absl::Time now);

  // Verify returns true if `cookie` is the cookie for `peer` under the current or the previous
  // secret. It compares in constant time.
  bool Verify(absl::string_view peer, absl::string_view cookie, absl::Time now);

 private:
  void MaybeRotateLocked(absl::Time now) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const absl::Duration rotation_;
  absl::Mutex mu_;
  SecretBytes current_ ABSL_GUARDED_BY(mu_);
  SecretBytes previous_ ABSL_GUARDED_BY(mu_);
  absl::Time rotated_at_ ABSL_GUARDED_BY(mu_);
};

}  // namespace tls
}  // namespace onem2m

#endif  // ONEM2M_COMMON_TLS_DTLS_COOKIE_H_

// File: common/tls/dtls_listener.h
//
// DtlsListener turns datagrams from unknown UDP peers into DTLS server sessions, keeping no
// per-peer state until a peer returns a valid cookie (RFC 6347 4.2.1, docs/protocol.md 2).
//
// How a DTLS server (one UDP socket, many peers) uses it:
//
//   auto listener = DtlsListener::New(dtls_server_ctx);
//   absl::flat_hash_map<std::string, std::unique_ptr<PskSession>> sessions;  // by PeerKey
//   // On each datagram (recvfrom -> buf, addr):
//   std::string peer = PeerKey(addr, addr_len);
//   auto it = sessions.find(peer);
//   if (it == sessions.end()) {
//     std::string reply;
//     absl::StatusOr<std::unique_ptr<PskSession>> s = (*listener)->Offer(peer, buf, now, &reply);
//     if (!reply.empty()) sendto(fd, reply, addr);          // HelloVerifyRequest
//     if (!s.ok() || *s == nullptr) return;                  // nothing kept for this peer
//     it = sessions.emplace(peer, std::move(*s)).first;      // the cookie was valid
//   } else {
//     it->second->FeedDatagram(buf);
//   }
//   Step step = it->second->Handshake();   // or Read() once handshake_done()
//   std::string out;
//   while (it->second->PopDatagram(&out)) sendto(fd, out, addr);
//   // Timers: DtlsTimeout()/HandleDtlsTimeout() per session; drop sessions whose
//   // HandshakeExpired(now) or that returned kFailed / kClosed.
//
// A peer that restarts keeps its address but starts over with a new ClientHello (RFC 6347
// 4.2.8). When IsInitialClientHello(datagram) holds for a peer that has a session, Offer the
// datagram to the listener too and replace the old session only if Offer returns a new one.
//
// Thread safety: none; use one listener per event-loop thread (the context is shared).
#ifndef ONEM2M_COMMON_TLS_DTLS_LISTENER_H_
#define ONEM2M_COMMON_TLS_DTLS_LISTENER_H_

#include <openssl/bio.h>

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "common/openssl_util.h"
#include "common/tls/psk_context.h"
#include "common/tls/psk_session.h"
#include "common/tls/session_state.h"

namespace onem2m {
namespace tls {

// IsInitialClientHello returns true if `datagram` starts with a DTLS handshake record of epoch 0
// carrying a ClientHello (a cheap header check, not a parse).
bool IsInitialClientHello(absl::string_view datagram);

class DtlsListener {
 public:
  // New returns a listener for a DTLS server context.
  static absl::StatusOr<std::unique_ptr<DtlsListener>> New(std::shared_ptr<const PskContext> ctx);

  ~DtlsListener();
  DtlsListener(const DtlsListener&) = delete;
  DtlsListener& operator=(const DtlsListener&) = delete;

  // Offer processes one datagram from `peer` (a PeerKey, see dtls_cookie.h) that has no session.
  // If it is a ClientHello carrying a valid cookie for `peer`, Offer returns a new server session
  // (handshake not yet run: call Handshake()). Otherwise it returns nullptr and, if the datagram
  // was a ClientHello without a valid cookie, puts a HelloVerifyRequest in `*out_reply` (else
  // leaves it empty). Garbage is dropped silently. Errors only for local failures (memory).
  absl::StatusOr<std::unique_ptr<PskSession>> Offer(absl::string_view peer,
                                                    absl::string_view datagram, absl::Time now,
                                                    std::string* out_reply);

 private:
  explicit DtlsListener(std::shared_ptr<const PskContext> ctx);
  absl::Status Reset();

  std::shared_ptr<const PskContext> ctx_;
  SslPtr ssl_;
  BIO* bio_ = nullptr;  // Owned by ssl_.
  BIO_ADDR* client_ = nullptr;
  internal::SessionState state_;
};

}  // namespace tls
}  // namespace onem2m

#endif  // ONEM2M_COMMON_TLS_DTLS_LISTENER_H_

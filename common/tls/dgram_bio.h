// File: common/tls/dgram_bio.h
//
// A datagram-preserving in-memory BIO for DTLS (Debian's OpenSSL 3.0 has no BIO_s_dgram_mem).
// The application pushes each received UDP payload in whole; OpenSSL reads one datagram per
// BIO_read. Each BIO_write by OpenSSL becomes one outgoing datagram, which the application pops and
// sends with sendto(). The BIO never touches a socket, so one UDP socket can serve many peers.
//
//   BIO* bio = NewDatagramBio(1400);
//   SSL_set_bio(ssl, bio, bio);             // the SSL now owns the one reference
//   DatagramBioPush(bio, received_payload);
//   SSL_do_handshake(ssl);
//   std::string out;
//   while (DatagramBioPop(bio, &out)) sendto(fd, out.data(), out.size(), 0, peer, peer_len);
//
// Thread safety: none; a BIO belongs to one session.
#ifndef ONEM2M_COMMON_TLS_DGRAM_BIO_H_
#define ONEM2M_COMMON_TLS_DGRAM_BIO_H_

#include <openssl/bio.h>

#include <cstddef>
#include <string>

#include "absl/strings/string_view.h"

namespace onem2m {
namespace tls {

// NewDatagramBio returns a new datagram memory BIO (reference count 1), or nullptr if OpenSSL
// cannot allocate one. `mtu` is what the BIO reports for BIO_CTRL_DGRAM_QUERY_MTU.
BIO* NewDatagramBio(int mtu);

// DatagramBioPush queues `datagram` for OpenSSL to read. An empty datagram is ignored. At most
// kMaxQueuedDatagrams are held; older ones are dropped first, as a full socket buffer would.
void DatagramBioPush(BIO* bio, absl::string_view datagram);

// DatagramBioPop moves the oldest datagram OpenSSL wrote into `out` and returns true, or returns
// false if there is none.
bool DatagramBioPop(BIO* bio, std::string* out);

// DatagramBioPendingOut returns how many outgoing datagrams are queued.
size_t DatagramBioPendingOut(BIO* bio);

// DatagramBioClearIn drops every queued incoming datagram.
void DatagramBioClearIn(BIO* bio);

inline constexpr size_t kMaxQueuedDatagrams = 32;

}  // namespace tls
}  // namespace onem2m

#endif  // ONEM2M_COMMON_TLS_DGRAM_BIO_H_

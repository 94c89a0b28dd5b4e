// File: common/openssl_util.h
//
// OpenSSL at the edge: owning pointers with the right deleter per type, and the error queue turned
// into an absl::Status. Every OpenSSL failure in the project becomes a Status through here.
#ifndef ONEM2M_COMMON_OPENSSL_UTIL_H_
#define ONEM2M_COMMON_OPENSSL_UTIL_H_

#include <openssl/evp.h>
#include <openssl/ssl.h>

#include <memory>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace onem2m {

template <typename T, void (*Free)(T*)>
struct OpenSslDeleter {
  void operator()(T* p) const { Free(p); }
};

using SslPtr = std::unique_ptr<SSL, OpenSslDeleter<SSL, SSL_free>>;
using SslCtxPtr = std::unique_ptr<SSL_CTX, OpenSslDeleter<SSL_CTX, SSL_CTX_free>>;
using EvpCipherCtxPtr =
    std::unique_ptr<EVP_CIPHER_CTX, OpenSslDeleter<EVP_CIPHER_CTX, EVP_CIPHER_CTX_free>>;
using EvpMacCtxPtr = std::unique_ptr<EVP_MAC_CTX, OpenSslDeleter<EVP_MAC_CTX, EVP_MAC_CTX_free>>;
using EvpMacPtr = std::unique_ptr<EVP_MAC, OpenSslDeleter<EVP_MAC, EVP_MAC_free>>;
using BioPtr = std::unique_ptr<BIO, OpenSslDeleter<BIO, BIO_free_all>>;

// OpenSslError drains the thread's OpenSSL error queue and returns a Status with `code` whose
// message is `what` followed by the queued reasons. It never includes key bytes (OpenSSL's
// reasons do not contain them).
absl::Status OpenSslError(absl::StatusCode code, absl::string_view what);

// ClearOpenSslErrors drops whatever the thread's error queue holds.
void ClearOpenSslErrors();

}  // namespace onem2m

#endif  // ONEM2M_COMMON_OPENSSL_UTIL_H_

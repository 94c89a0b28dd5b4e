#include "common/tls/dtls_cookie.h"

#include <netinet/in.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <cstring>

namespace onem2m {
namespace tls {
namespace {

constexpr size_t kSecretLen = 32;

std::string Hmac(const SecretBytes& key, absl::string_view peer) {
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int mac_len = 0;
  if (key.empty() ||
      HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
           reinterpret_cast<const unsigned char*>(peer.data()), peer.size(), mac,
           &mac_len) == nullptr ||
      mac_len != CookieKeeper::kCookieLen) {
    return std::string();
  }
  return std::string(reinterpret_cast<const char*>(mac), mac_len);
}

}  // namespace

std::string PeerKey(const struct sockaddr* addr, socklen_t addr_len) {
  std::string key;
  if (addr == nullptr) return key;
  if (addr->sa_family == AF_INET && addr_len >= static_cast<socklen_t>(sizeof(sockaddr_in))) {
    const auto* in = reinterpret_cast<const sockaddr_in*>(addr);
    key.push_back(4);
    key.append(reinterpret_cast<const char*>(&in->sin_addr), sizeof(in->sin_addr));
    key.append(reinterpret_cast<const char*>(&in->sin_port), sizeof(in->sin_port));
  } else if (addr->sa_family == AF_INET6 &&
             addr_len >= static_cast<socklen_t>(sizeof(sockaddr_in6))) {
    const auto* in6 = reinterpret_cast<const sockaddr_in6*>(addr);
    key.push_back(6);
    key.append(reinterpret_cast<const char*>(&in6->sin6_addr), sizeof(in6->sin6_addr));
    key.append(reinterpret_cast<const char*>(&in6->sin6_port), sizeof(in6->sin6_port));
    key.append(reinterpret_cast<const char*>(&in6->sin6_scope_id), sizeof(in6->sin6_scope_id));
  } else {
    key.push_back(0);
    key.append(reinterpret_cast<const char*>(addr), addr_len);
  }
  return key;
}

CookieKeeper::CookieKeeper(absl::Duration rotation)
    : rotation_(rotation),
      current_(SecretBytes::Random(kSecretLen)),
      rotated_at_(absl::Now()) {}

void CookieKeeper::MaybeRotateLocked(absl::Time now) {
  if (now - rotated_at_ < rotation_) return;
  // After two periods without traffic the previous secret is stale too.
  previous_ = now - rotated_at_ < 2 * rotation_ ? std::move(current_) : SecretBytes();
  current_ = SecretBytes::Random(kSecretLen);
  rotated_at_ = now;
}

std::string CookieKeeper::Make(absl::string_view peer, absl::Time now) {
  absl::MutexLock lock(&mu_);
  MaybeRotateLocked(now);
  return Hmac(current_, peer);
}

bool CookieKeeper::Verify(absl::string_view peer, absl::string_view cookie, absl::Time now) {
  if (cookie.size() != kCookieLen) return false;
  absl::MutexLock lock(&mu_);
  MaybeRotateLocked(now);
  std::string expected = Hmac(current_, peer);
  bool ok = expected.size() == kCookieLen &&
            CRYPTO_memcmp(expected.data(), cookie.data(), kCookieLen) == 0;
  if (!previous_.empty()) {
    std::string older = Hmac(previous_, peer);
    ok |= older.size() == kCookieLen && CRYPTO_memcmp(older.data(), cookie.data(), kCookieLen) == 0;
  }
  return ok;
}

}  // namespace tls
}  // namespace onem2m

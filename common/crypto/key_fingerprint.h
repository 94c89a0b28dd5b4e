// File: common/crypto/key_fingerprint.h
//
// KeyFingerprint names a key without revealing it, so two parties (a device and a Target, an
// operator and a log) can see they hold the same key: lower-case hex of the first 8 bytes of
// HMAC-SHA-256 keyed with the fixed label "onem2m key fingerprint" over the key. 64 bits tell keys
// apart; they give no useful information about a 256-bit key.
//
//   std::printf("fingerprint %s\n", KeyFingerprint(kc).c_str());
#ifndef ONEM2M_COMMON_CRYPTO_KEY_FINGERPRINT_H_
#define ONEM2M_COMMON_CRYPTO_KEY_FINGERPRINT_H_

#include <string>

#include "common/secret_bytes.h"

namespace onem2m::crypto {

// KeyFingerprint returns 16 lower-case hex characters ("?" only if OpenSSL fails).
std::string KeyFingerprint(const SecretBytes& key);

}  // namespace onem2m::crypto

#endif  // ONEM2M_COMMON_CRYPTO_KEY_FINGERPRINT_H_

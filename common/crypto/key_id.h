// File: common/crypto/key_id.h
//
// Identifiers of the oneM2M remote-security-provisioning protocol (docs/protocol.md sections 1, 3,
// 5, 7): hex helpers, Key Identifiers (KeID, KmID and the Key Identifiers of distributed keys, all
// of the form hex(16-byte relative id) '@' FQDN), FQDN, KpmID and Enrolee-ID validation.
//
// Project rules implemented here (see also docs/protocol.md):
// - Key Identifiers are emitted with upper-case hex; parsers accept either case.
// - FQDNs are lower-case ASCII (IDNs as A-labels, "xn--"), labels 1..63 of [a-z0-9-] without a
//   leading or trailing hyphen, at most 253 characters, no trailing dot, no empty label.
//   Single-label names such as "localhost" are allowed (test deployments use them). A name whose
//   last label is all digits is rejected, so IPv4 literals ("10.0.0.1") are not mistaken for FQDNs.
//   A-labels are not Punycode-decoded or checked further.
// - KpmID: valid UTF-8 (no overlong forms, surrogates or code points above U+10FFFF), 1..128 bytes,
//   no NUL (OpenSSL hands the PSK identity to the server callback as a C string).
// - Enrolee-ID (a CSE-ID or AE-ID): 1..256 printable ASCII characters 0x21..0x7E (no whitespace, no
//   control characters). This is a sanity rule of the project, not a full TS-0001 syntax check.
//
// Example:
//
//   absl::StatusOr<std::string> ke_id =
//       onem2m::crypto::FormatKeyId(relative_id, "mef.example.com");
//   // "458DEF9EE9DA81147F6262CCDDD04930@mef.example.com"
//   absl::StatusOr<onem2m::crypto::KeyId> parsed = onem2m::crypto::KeyId::Parse(psk_identity);
//   if (!parsed.ok()) return parsed.status();          // InvalidArgument
//   if (parsed->fqdn != my_fqdn) ...                    // route by FQDN
//
// Error messages may quote an FQDN but never quote the hex part of a rejected identifier at length,
// and never contain key bytes. All functions are thread-safe.
#ifndef ONEM2M_COMMON_CRYPTO_KEY_ID_H_
#define ONEM2M_COMMON_CRYPTO_KEY_ID_H_

#include <cstddef>
#include <ostream>
#include <string>
#include <utility>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "common/secret_bytes.h"

namespace onem2m {
namespace crypto {

// kRelativeIdLen is the length in bytes of RelativeKeID, MAF_RELATIVE_KmID and RelativeKeyID.
inline constexpr size_t kRelativeIdLen = 16;
// kMaxFqdnLen is the longest FQDN accepted (RFC 1035 presentation form without the trailing dot).
inline constexpr size_t kMaxFqdnLen = 253;
// kMaxKpmIdLen is the longest KpmID in bytes (docs/protocol.md section 1).
inline constexpr size_t kMaxKpmIdLen = 128;
// kMaxEnroleeIdLen is the longest Enrolee-ID accepted (project rule).
inline constexpr size_t kMaxEnroleeIdLen = 256;

// KeyId is a parsed Key Identifier (KeID, KmID, or the Key Identifier of a distributed key): the
// one form in which code past the edge handles one. Parse it once where the text enters (a PSK
// identity, a request field, a stored row) and pass the KeyId on; ToString gives the canonical text
// (upper-case hex, docs/protocol.md section 3) for the wire, the store and logs. Two KeyIds are
// equal when their raw relative ids and FQDNs are, so "458d...@m" and "458D...@m" are one
// identifier: there is no other comparison rule.
//
//   absl::StatusOr<KeyId> ke_id = KeyId::Parse(psk_identity);   // either hex case
//   if (!ke_id.ok()) return ke_id.status();                      // InvalidArgument
//   cache.GetByKeId(*ke_id, now);  store.Get(ke_id->ToString());
//
// A default-constructed KeyId is empty (no relative id, no FQDN) and equals no parsed one.
struct KeyId {
  // relative_id holds the kRelativeIdLen raw bytes (not hex).
  std::string relative_id;
  // fqdn is the part after '@', validated by ValidateFqdn.
  std::string fqdn;

  // Parse parses `text` strictly (see ParseKeyId): either hex case, InvalidArgument otherwise.
  static absl::StatusOr<KeyId> Parse(absl::string_view text);
  // FromParts validates `relative_id` (kRelativeIdLen raw bytes) and `fqdn` (ValidateFqdn) and
  // returns them as a KeyId, or InvalidArgument.
  static absl::StatusOr<KeyId> FromParts(absl::string_view relative_id, absl::string_view fqdn);
  // Random returns a fresh KeyId under `fqdn` (validated) with a random relative id: for
  // identifiers a party assigns itself (a supplied key's id) and for decoys.
  static absl::StatusOr<KeyId> Random(absl::string_view fqdn);

  // ToString returns the canonical text: HexUpper(relative_id) '@' fqdn ("" when empty).
  std::string ToString() const;
  bool empty() const { return relative_id.empty() && fqdn.empty(); }

  friend bool operator==(const KeyId& a, const KeyId& b) {
    return a.relative_id == b.relative_id && a.fqdn == b.fqdn;
  }
  friend bool operator!=(const KeyId& a, const KeyId& b) { return !(a == b); }
  // operator< orders by FQDN, then relative id (for ordered maps).
  friend bool operator<(const KeyId& a, const KeyId& b) {
    return a.fqdn != b.fqdn ? a.fqdn < b.fqdn : a.relative_id < b.relative_id;
  }
  template <typename H>
  friend H AbslHashValue(H h, const KeyId& id) {
    return H::combine(std::move(h), id.relative_id, id.fqdn);
  }
};

// operator<< prints the canonical text (an identifier, never key material), for test failures.
std::ostream& operator<<(std::ostream& os, const KeyId& id);

// HexUpper returns the upper-case hex encoding of `bytes`.
std::string HexUpper(absl::string_view bytes);

// ParseHex decodes `hex` (either case, even length). It returns InvalidArgument on an odd length or
// a non-hex character. WARNING: the result is a plain std::string; for secrets use ParseHexSecret.
absl::StatusOr<std::string> ParseHex(absl::string_view hex);

// ParseHexSecret is ParseHex into wiping storage, for key material given in hex (keyring files,
// test vectors). Its error messages never quote the input.
absl::StatusOr<SecretBytes> ParseHexSecret(absl::string_view hex);

// ValidateFqdn returns OK if `fqdn` is a lower-case ASCII FQDN by the rules in the file comment,
// else InvalidArgument naming the rule broken.
absl::Status ValidateFqdn(absl::string_view fqdn);

// FormatKeyId returns HexUpper(relative_id) '@' fqdn. It returns InvalidArgument if `relative_id`
// is not kRelativeIdLen bytes or `fqdn` fails ValidateFqdn.
absl::StatusOr<std::string> FormatKeyId(absl::string_view relative_id, absl::string_view fqdn);

// ParseKeyId parses a Key Identifier strictly: exactly one '@', exactly 32 hex characters before it
// (either case), and a valid FQDN after it. It returns InvalidArgument otherwise.
absl::StatusOr<KeyId> ParseKeyId(absl::string_view text);

// CanonicalKeyId returns the canonical (upper-case hex) form of a Key Identifier given in either
// case, or InvalidArgument as ParseKeyId does: KeyId::Parse(text)->ToString(). For text that is
// only validated and passed on as text; code that compares or keys by identifiers holds a KeyId.
absl::StatusOr<std::string> CanonicalKeyId(absl::string_view text);

// ValidateKpmId returns OK if `kpm_id` is 1..kMaxKpmIdLen bytes of valid UTF-8 without NUL, else
// InvalidArgument.
absl::Status ValidateKpmId(absl::string_view kpm_id);

// ValidateEnroleeId returns OK if `enrolee_id` is 1..kMaxEnroleeIdLen characters in 0x21..0x7E,
// else InvalidArgument.
absl::Status ValidateEnroleeId(absl::string_view enrolee_id);

}  // namespace crypto
}  // namespace onem2m

#endif  // ONEM2M_COMMON_CRYPTO_KEY_ID_H_

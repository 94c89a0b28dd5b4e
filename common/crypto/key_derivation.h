// File: common/crypto/key_derivation.h
//
// Key derivations of the oneM2M remote-security-provisioning protocol (docs/protocol.md sections 3,
// 5, 7; TS-0003 10.3.1, 10.3.2, 10.6):
//
//   export48 = TLS exporter(label = kBootstrapExporterLabel, 48 bytes, no context)
//   RelativeKeID = export48[0..15], Ke = export48[16..47]            (SplitExport48)
//   KeID = HEX(RelativeKeID) '@' MEF-FQDN                            (KeyFromExport)
//   Km   = HMAC-SHA-256(Ke, kKmDerivationLabel || MAF-ID)            (DeriveKm)
//   KmID = HEX(HMAC-SHA-256(Km, kKmIdLabel)[0..15]) '@' MAF-FQDN     (DeriveKmId)
//   Kuc  = HMAC-SHA-256(Ke, kUsageConstrainedLabel || SUID || Target)  (DeriveUsageConstrainedKey,
//          TS-0003 10.3.7; docs/protocol.md 5: SUID as decimal ASCII digits, no separators)
//
// and the same split for connection keys (label kConnectionExporterLabel: KcID/Kc, Key Identifier =
// HEX(KcID) '@' MAF-FQDN). HEX is upper case. Keys are returned as SecretBytes; intermediate
// buffers are wiped. HMAC uses OpenSSL 3's EVP_MAC API.
//
// Example (MEF, after the bootstrap handshake):
//
//   onem2m::SecretBytes export48(48);
//   SSL_export_keying_material(ssl, export48.mutable_data(), 48,
//       onem2m::crypto::kBootstrapExporterLabel.data(),
//       onem2m::crypto::kBootstrapExporterLabel.size(), nullptr, 0, /*use_context=*/0);
//   absl::StatusOr<onem2m::crypto::DerivedKey> ke =
//       onem2m::crypto::KeyFromExport(export48, mef_fqdn);
//   if (!ke.ok()) return ke.status();
//   // ke->key_id is the KeID, ke->key is Ke.
//   absl::StatusOr<onem2m::SecretBytes> km = onem2m::crypto::DeriveKm(ke->key, maf_id);
//
// All functions are thread-safe. Errors are InvalidArgument for bad inputs and Internal for OpenSSL
// failures; messages never contain key bytes.
#ifndef ONEM2M_COMMON_CRYPTO_KEY_DERIVATION_H_
#define ONEM2M_COMMON_CRYPTO_KEY_DERIVATION_H_

#include <cstddef>
#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "common/crypto/key_id.h"
#include "common/secret_bytes.h"

namespace onem2m {
namespace crypto {

// kBootstrapExporterLabel is the RFC 5705 exporter label for Ke/KeID (10.3.1).
inline constexpr absl::string_view kBootstrapExporterLabel = "EXPORTER-oneM2M-Bootstrap";
// kConnectionExporterLabel is the RFC 5705 exporter label for Kc/KcID (8.8.2.7).
inline constexpr absl::string_view kConnectionExporterLabel = "EXPORTER-oneM2M-Connection";
// kKmDerivationLabel is the HMAC label of the Km derivation (10.3.2).
inline constexpr absl::string_view kKmDerivationLabel =
    "oneM2M Enrolment Key to Master Credential derivation";
// kUsageConstrainedLabel is the HMAC label of the usage-constrained key derivation (10.3.7).
inline constexpr absl::string_view kUsageConstrainedLabel =
    "oneM2M Enrolment Key to Usage-Constrained Symmetric Key derivation";
// kKmIdLabel is the HMAC label of the MAF_RELATIVE_KmID derivation (project rule, docs/protocol.md
// 5).
inline constexpr absl::string_view kKmIdLabel = "oneM2M Master Credential Identifier";

// kExportLen is the length of the keying-material export (both labels).
inline constexpr size_t kExportLen = 48;
// kDerivedKeyLen is the length of Ke, Kc and Km.
inline constexpr size_t kDerivedKeyLen = 32;

// ExportSplit is an exporter output split into its identifier and key parts.
struct ExportSplit {
  // relative_id is bytes 0..15 of the export (RelativeKeID or KcID), raw (not hex). Not secret:
  // it is sent in clear as part of a PSK identity.
  std::string relative_id;
  // key is bytes 16..47 of the export (Ke or Kc).
  SecretBytes key;
};

// DerivedKey is a key together with its Key Identifier.
struct DerivedKey {
  // key_id is the Key Identifier in canonical form (upper-case hex '@' FQDN).
  std::string key_id;
  // key is the key.
  SecretBytes key;
};

// SplitExport48 splits a 48-byte exporter output into the 16-byte relative id ("16 most
// significant bytes") and the 32-byte key ("32 least significant bytes"). It returns
// InvalidArgument if `export48` is not exactly kExportLen bytes.
absl::StatusOr<ExportSplit> SplitExport48(const SecretBytes& export48);

// KeyFromExport splits `export48` (SplitExport48) and names the key: KeID/Ke with the MEF-FQDN for
// the bootstrap export, Key Identifier/Kc with the MAF-FQDN for the connection export. It returns
// InvalidArgument for a wrong export length or an invalid `fqdn` (ValidateFqdn).
absl::StatusOr<DerivedKey> KeyFromExport(const SecretBytes& export48, absl::string_view fqdn);

// DeriveKm returns Km = HMAC-SHA-256(Ke, kKmDerivationLabel || maf_id). It returns
// InvalidArgument if `ke` is not kDerivedKeyLen bytes or `maf_id` is not a lower-case ASCII FQDN
// (the project rule that makes NFKC normalisation the identity).
absl::StatusOr<SecretBytes> DeriveKm(const SecretBytes& ke, absl::string_view maf_id);

// DeriveUsageConstrainedKey returns the usage-constrained symmetric key of TS-0003 10.3.7:
//   HMAC-SHA-256(Ke, kUsageConstrainedLabel || SUID || Enrolment-Target-ID)
// with SUID as its decimal ASCII digits (no leading zeros, as in the /fetchCredentials URI) and the
// Target-ID as its UTF-8 octets, no separators (docs/protocol.md 5). The clause says the Target-ID
// "is an FQDN" (the FQDN form of an Absolute CSE-ID or AE-ID for a CSE or AE), so, as for MAF-ID,
// it must be a lower-case ASCII FQDN and NFKC is the identity. It returns InvalidArgument if `ke`
// is not kDerivedKeyLen bytes or `target_id` is not such an FQDN.
absl::StatusOr<SecretBytes> DeriveUsageConstrainedKey(const SecretBytes& ke, uint32_t suid,
                                                      absl::string_view target_id);

// DeriveKmId returns KmID = HEX(first 16 bytes of HMAC-SHA-256(Km, kKmIdLabel)) '@' maf_fqdn. It
// returns InvalidArgument if `km` is not kDerivedKeyLen bytes or `maf_fqdn` is invalid.
absl::StatusOr<std::string> DeriveKmId(const SecretBytes& km, absl::string_view maf_fqdn);
// DeriveKmKeyId is DeriveKmId as a parsed KeyId, for code past the edge (no text round trip).
absl::StatusOr<KeyId> DeriveKmKeyId(const SecretBytes& km, absl::string_view maf_fqdn);

// HmacSha256 returns HMAC-SHA-256(key, data). It returns InvalidArgument for an empty key.
absl::StatusOr<SecretBytes> HmacSha256(const SecretBytes& key, absl::string_view data);

// Tls12ExporterPrf returns the TLS 1.2 keying-material exporter output without context (RFC 5705
// section 4 with RFC 5246 section 5 PRF, P_SHA256):
//   PRF(master_secret, label, client_random || server_random)[0..out_len-1]
// WARNING: for tests only (checking the `tls12_exporter` vector independently of a handshake);
// production code calls SSL_export_keying_material on the live session. It returns InvalidArgument
// if a random is not 32 bytes, the label is empty or out_len is 0, Internal on OpenSSL failure.
absl::StatusOr<SecretBytes> Tls12ExporterPrf(const SecretBytes& master_secret,
                                             absl::string_view label,
                                             absl::string_view client_random,
                                             absl::string_view server_random, size_t out_len);

}  // namespace crypto
}  // namespace onem2m

#endif  // ONEM2M_COMMON_CRYPTO_KEY_DERIVATION_H_

// File: common/tls/psk_importer.h
//
// RFC 9258 (Importing External PSKs for TLS): the ImportedIdentity a TLS 1.3 client presents in
// place of the raw external identity, and the imported PSK both ends derive from the external key
// (docs/protocol.md 2a). The project imports for one target only: TLS 1.3 (0x0304) with
// HKDF-SHA256 (0x0001, the KDF of TLS_AES_128_GCM_SHA256), and an empty context.
//
//   std::string wire = SerializeImportedIdentity({"kpm-1", "", kTargetTls13,
//   kTargetKdfHkdfSha256}); absl::StatusOr<SecretBytes> ipsk = DeriveImportedPsk(epsk, wire);
//   absl::StatusOr<ImportedIdentity> back = ParseImportedIdentity(wire);   // server side
//
// Thread safety: free functions without shared state.
#ifndef ONEM2M_COMMON_TLS_PSK_IMPORTER_H_
#define ONEM2M_COMMON_TLS_PSK_IMPORTER_H_

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "common/secret_bytes.h"

namespace onem2m {
namespace tls {

// RFC 9258 3: TLS 1.3's protocol code point, and HKDF_SHA256 in the TLS KDF Identifiers registry.
inline constexpr uint16_t kTargetTls13 = 0x0304;
inline constexpr uint16_t kTargetKdfHkdfSha256 = 0x0001;

// ImportedIdentity (RFC 9258 3):
//   struct {
//     opaque external_identity<1...2^16-1>;
//     opaque context<0..2^16-1>;
//     uint16 target_protocol;
//     uint16 target_kdf;
//   } ImportedIdentity;
struct ImportedIdentity {
  std::string external_identity;
  std::string context;
  uint16_t target_protocol = kTargetTls13;
  uint16_t target_kdf = kTargetKdfHkdfSha256;
};

// SerializeImportedIdentity returns the wire encoding, or "" when external_identity is empty or a
// field exceeds 2^16-1 bytes.
std::string SerializeImportedIdentity(const ImportedIdentity& identity);

// ParseImportedIdentity decodes `wire`. kInvalidArgument unless the encoding consumes exactly all
// of `wire`, external_identity is non-empty, and the target is TLS 1.3 with HKDF-SHA256 (the only
// target this project derives for). A printable raw identity (KpmID, KeID, KmID) never parses: its
// last four bytes would have to be 03 04 00 01.
absl::StatusOr<ImportedIdentity> ParseImportedIdentity(absl::string_view wire);

// DeriveImportedPsk returns the 32-byte imported PSK for the serialised ImportedIdentity
// `imported_identity_wire` (RFC 9258 4.2, with SHA-256 as the EPSK's hash):
//   epskx = HKDF-Extract(0, epsk)
//   ipskx = HKDF-Expand-Label(epskx, "derived psk", SHA-256(ImportedIdentity), 32)
// kInvalidArgument for an empty key; kInternal if OpenSSL fails.
absl::StatusOr<SecretBytes> DeriveImportedPsk(const SecretBytes& epsk,
                                              absl::string_view imported_identity_wire);

}  // namespace tls
}  // namespace onem2m

#endif  // ONEM2M_COMMON_TLS_PSK_IMPORTER_H_

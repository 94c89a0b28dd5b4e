// File: common/tls/psk_config.h
//
// Configuration of the TLS 1.2 / DTLS 1.2 PSK layer: the transport, the cipher-suite policy of
// docs/protocol.md section 2, the opt-in TLS 1.3 external PSK of section 2a (Tls13Options), and
// the options a server or a client context is built from.
//
// Only four suites can ever be enabled (an allow-list); NULL, anon, export, RC4, 3DES and DHE_PSK
// suites are refused at configuration time with kInvalidArgument.
//
//   absl::StatusOr<std::vector<CipherSuite>> suites =
//       ParseCipherSuites(Transport::kDtls, {"TLS_PSK_WITH_AES_128_CCM_8",
//       "PSK-AES128-GCM-SHA256"});
//   if (!suites.ok()) return suites.status();
//   ServerOptions options;
//   options.transport = Transport::kDtls;
//   options.cipher_suites = *suites;
//   options.required_server_name = "mef.example.com";
#ifndef ONEM2M_COMMON_TLS_PSK_CONFIG_H_
#define ONEM2M_COMMON_TLS_PSK_CONFIG_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "common/secret_bytes.h"

namespace onem2m {
namespace tls {

// Transport selects TLS 1.2 over TCP or DTLS 1.2 over UDP.
enum class Transport { kTls, kDtls };

// TransportName returns "TLS" or "DTLS".
absl::string_view TransportName(Transport transport);

// CipherSuite is one of the four suites the project permits (docs/protocol.md section 2).
struct CipherSuite {
  uint16_t id;               // IANA code point, e.g. 0x00AE.
  const char* iana_name;     // e.g. "TLS_PSK_WITH_AES_128_CBC_SHA256".
  const char* openssl_name;  // e.g. "PSK-AES128-CBC-SHA256".
  bool allowed_over_dtls;
};

// The permitted suites.
extern const CipherSuite kPskAes128CbcSha256;       // 0x00AE, TLS only (mandatory for TLS).
extern const CipherSuite kPskAes128GcmSha256;       // 0x00A8
extern const CipherSuite kPskAes128Ccm8;            // 0xC0A8 (mandatory for DTLS)
extern const CipherSuite kEcdhePskAes128CbcSha256;  // 0xC037

// DefaultCipherSuites returns the project's default list for `transport`, in server preference
// order.
std::vector<CipherSuite> DefaultCipherSuites(Transport transport);

// FindCipherSuite looks `name` up among the permitted suites by IANA name, OpenSSL name or
// hexadecimal code point ("0x00AE"), case-insensitively. It returns kInvalidArgument for any other
// suite (including every NULL, anon, export, RC4, 3DES and DHE_PSK suite) and for a suite that is
// not permitted over `transport`.
absl::StatusOr<CipherSuite> FindCipherSuite(Transport transport, absl::string_view name);

// ParseCipherSuites maps each name through FindCipherSuite, keeping the order. An empty list or a
// duplicate is kInvalidArgument.
absl::StatusOr<std::vector<CipherSuite>> ParseCipherSuites(Transport transport,
                                                           const std::vector<std::string>& names);

// OpenSslCipherList returns the colon-separated OpenSSL cipher string for `suites`.
std::string OpenSslCipherList(const std::vector<CipherSuite>& suites);

// Limits of OpenSSL's TLS 1.2 PSK callbacks.
inline constexpr size_t kMaxPskIdentityLen = 256;  // PSK_MAX_IDENTITY_LEN
inline constexpr size_t kMaxPskLen = 64;           // docs/protocol.md section 1 (Kpm 16..64 bytes)
inline constexpr size_t kMinPskLen = 16;

// Tls13Importer says how TLS 1.3 PSK identities are presented (docs/protocol.md 2a): kOn, an
// RFC 9258 ImportedIdentity and the imported key; kOff, the raw identity (KpmID, KeID, KmID) and
// the raw key (RFC 8446 external PSK, what `openssl s_client -psk` sends); kBoth (server only),
// either, told apart by whether the identity parses as an ImportedIdentity.
enum class Tls13Importer { kOff, kOn, kBoth };

// Tls13PskMode is the PSK key exchange mode (RFC 8446 4.2.9). kDhe: psk_dhe_ke only. kKe:
// psk_ke is also accepted (server) / offered (client); see docs/protocol.md 2a for what OpenSSL
// 3.0 then negotiates.
enum class Tls13PskMode { kDhe, kKe };

// Tls13Options enables TLS 1.3 external PSK beside TLS 1.2 on a TLS context (opt-in). Ignored for
// DTLS, which stays DTLS 1.2.
struct Tls13Options {
  bool enabled = false;
  Tls13Importer importer = Tls13Importer::kOn;
  Tls13PskMode psk_mode = Tls13PskMode::kDhe;
};

// ParseTls13Importer maps "on", "off", "both" (the --tls13_importer flag); kInvalidArgument
// otherwise.
absl::StatusOr<Tls13Importer> ParseTls13Importer(absl::string_view name);
// ParseTls13PskMode maps "dhe" and "ke" (the --tls13_psk_mode flag); kInvalidArgument otherwise.
absl::StatusOr<Tls13PskMode> ParseTls13PskMode(absl::string_view name);

// The one TLS 1.3 suite: TLS_AES_128_GCM_SHA256 (0x1301), whose hash (SHA-256) is the importer's
// target KDF.
inline constexpr char kTls13CipherSuite[] = "TLS_AES_128_GCM_SHA256";

// ServerOptions configures a server context (MEF, MAF).
struct ServerOptions {
  Transport transport = Transport::kTls;
  // Empty means DefaultCipherSuites(transport). Order is the server's preference.
  std::vector<CipherSuite> cipher_suites;
  // When not empty, the client must send SNI equal to this name (ASCII case-insensitive);
  // a missing or different name fails the handshake with an unrecognized_name alert.
  std::string required_server_name;
  // The event loop should close a session whose handshake has not finished after this long
  // (PskSession::HandshakeExpired).
  absl::Duration handshake_timeout = absl::Seconds(10);
  // DTLS only: the path MTU used to size handshake flights.
  int dtls_mtu = 1400;
  // DTLS only: how often the cookie secret rotates; cookies from the previous secret stay valid.
  absl::Duration cookie_rotation = absl::Minutes(5);
  // TLS only: also accept TLS 1.3 external PSK on the same port.
  Tls13Options tls13;
};

// ClientOptions configures a client context (Enrolee / device).
struct ClientOptions {
  Transport transport = Transport::kTls;
  // Empty means DefaultCipherSuites(transport).
  std::vector<CipherSuite> cipher_suites;
  // psk_identity (KpmID, KeID or KmID): 1..kMaxPskIdentityLen bytes, no NUL byte.
  std::string psk_identity;
  // psk (Kpm, Km): kMinPskLen..kMaxPskLen bytes.
  SecretBytes psk;
  // SNI to send (MEF-FQDN or MAF-FQDN); empty sends none.
  std::string server_name;
  // DTLS only: the path MTU.
  int dtls_mtu = 1400;
  // TLS only: offer TLS 1.3 external PSK (falls back to TLS 1.2 PSK if the server lacks 1.3).
  // importer must be kOn or kOff.
  Tls13Options tls13;
};

}  // namespace tls
}  // namespace onem2m

#endif  // ONEM2M_COMMON_TLS_PSK_CONFIG_H_

#include "common/tls/psk_importer.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/sha.h>

#include <cstring>

#include "common/openssl_util.h"

namespace onem2m {
namespace tls {
namespace {

constexpr size_t kMaxVector = 0xFFFF;

void PutU16(std::string* out, size_t v) {
  out->push_back(static_cast<char>((v >> 8) & 0xFF));
  out->push_back(static_cast<char>(v & 0xFF));
}

bool GetU16(absl::string_view* in, uint16_t* v) {
  if (in->size() < 2) return false;
  *v =
      static_cast<uint16_t>((static_cast<uint8_t>((*in)[0]) << 8) | static_cast<uint8_t>((*in)[1]));
  in->remove_prefix(2);
  return true;
}

bool GetVector16(absl::string_view* in, std::string* out) {
  uint16_t len;
  if (!GetU16(in, &len) || in->size() < len) return false;
  out->assign(in->data(), len);
  in->remove_prefix(len);
  return true;
}

// Hmac computes HMAC-SHA256(key, data) into `out` (32 bytes).
bool Hmac(const unsigned char* key, size_t key_len, const unsigned char* data, size_t data_len,
          unsigned char* out) {
  unsigned int out_len = 0;
  return HMAC(EVP_sha256(), key, static_cast<int>(key_len), data, data_len, out, &out_len) !=
             nullptr &&
         out_len == SHA256_DIGEST_LENGTH;
}

}  // namespace

std::string SerializeImportedIdentity(const ImportedIdentity& identity) {
  if (identity.external_identity.empty() || identity.external_identity.size() > kMaxVector ||
      identity.context.size() > kMaxVector) {
    return "";
  }
  std::string out;
  out.reserve(8 + identity.external_identity.size() + identity.context.size());
  PutU16(&out, identity.external_identity.size());
  out += identity.external_identity;
  PutU16(&out, identity.context.size());
  out += identity.context;
  PutU16(&out, identity.target_protocol);
  PutU16(&out, identity.target_kdf);
  return out;
}

absl::StatusOr<ImportedIdentity> ParseImportedIdentity(absl::string_view wire) {
  ImportedIdentity out;
  if (!GetVector16(&wire, &out.external_identity) || out.external_identity.empty() ||
      !GetVector16(&wire, &out.context) || !GetU16(&wire, &out.target_protocol) ||
      !GetU16(&wire, &out.target_kdf) || !wire.empty()) {
    return absl::InvalidArgumentError("not an RFC 9258 ImportedIdentity");
  }
  if (out.target_protocol != kTargetTls13 || out.target_kdf != kTargetKdfHkdfSha256) {
    return absl::InvalidArgumentError("ImportedIdentity target is not TLS 1.3 with HKDF-SHA256");
  }
  return out;
}

absl::StatusOr<SecretBytes> DeriveImportedPsk(const SecretBytes& epsk,
                                              absl::string_view imported_identity_wire) {
  if (epsk.size() == 0) return absl::InvalidArgumentError("empty external PSK");
  // epskx = HKDF-Extract(salt = 32 zero bytes, IKM = epsk) (RFC 8446 7.1: "0" is Hash.length
  // zeros).
  const unsigned char zeros[SHA256_DIGEST_LENGTH] = {0};
  SecretBytes epskx(SHA256_DIGEST_LENGTH);
  if (!Hmac(zeros, sizeof(zeros), epsk.data(), epsk.size(), epskx.mutable_data())) {
    return OpenSslError(absl::StatusCode::kInternal, "HKDF-Extract");
  }
  unsigned char context[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(imported_identity_wire.data()),
         imported_identity_wire.size(), context);
  // HkdfLabel (RFC 8446 7.1): uint16 length, opaque label<7..255> = "tls13 " + Label,
  // opaque context<0..255>; then HKDF-Expand for one block (L = 32 = Hash.length) is
  // HMAC(epskx, HkdfLabel || 0x01).
  static constexpr char kLabel[] = "tls13 derived psk";
  std::string info;
  PutU16(&info, SHA256_DIGEST_LENGTH);
  info.push_back(static_cast<char>(sizeof(kLabel) - 1));
  info.append(kLabel, sizeof(kLabel) - 1);
  info.push_back(static_cast<char>(sizeof(context)));
  info.append(reinterpret_cast<const char*>(context), sizeof(context));
  info.push_back('\x01');
  SecretBytes ipskx(SHA256_DIGEST_LENGTH);
  if (!Hmac(epskx.data(), epskx.size(), reinterpret_cast<const unsigned char*>(info.data()),
            info.size(), ipskx.mutable_data())) {
    return OpenSslError(absl::StatusCode::kInternal, "HKDF-Expand-Label");
  }
  return ipskx;
}

}  // namespace tls
}  // namespace onem2m

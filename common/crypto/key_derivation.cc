#include "common/crypto/key_derivation.h"

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>
#include <openssl/params.h>

#include <cstdint>
#include <memory>
#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "common/crypto/key_id.h"
#include "common/openssl_util.h"

namespace onem2m {
namespace crypto {
namespace {

using EvpKdfPtr = std::unique_ptr<EVP_KDF, OpenSslDeleter<EVP_KDF, EVP_KDF_free>>;
using EvpKdfCtxPtr = std::unique_ptr<EVP_KDF_CTX, OpenSslDeleter<EVP_KDF_CTX, EVP_KDF_CTX_free>>;

constexpr size_t kSha256Len = 32;

// HmacSha256Template returns a process-wide HMAC context with its digest already set: copying it
// per call skips the digest lookup that setting "SHA256" on a fresh context costs (about half of
// an HMAC over a few dozen bytes). Null if the provider lacks HMAC or SHA-256.
const EVP_MAC_CTX* HmacSha256Template() {
  static EVP_MAC_CTX* const templ = [] {
    EvpMacPtr mac(EVP_MAC_fetch(nullptr, "HMAC", nullptr));
    if (mac == nullptr) return static_cast<EVP_MAC_CTX*>(nullptr);
    EvpMacCtxPtr ctx(EVP_MAC_CTX_new(mac.get()));
    char digest[] = "SHA256";
    const OSSL_PARAM params[] = {
        OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest, 0),
        OSSL_PARAM_construct_end(),
    };
    if (ctx == nullptr || EVP_MAC_CTX_set_params(ctx.get(), params) != 1) {
      return static_cast<EVP_MAC_CTX*>(nullptr);
    }
    return ctx.release();
  }();
  return templ;
}

// Hmac computes HMAC-SHA-256(key, part1 || part2) into `out` (kSha256Len bytes).
absl::Status Hmac(const SecretBytes& key, absl::string_view part1, absl::string_view part2,
                  uint8_t* out) {
  const EVP_MAC_CTX* templ = HmacSha256Template();
  if (templ == nullptr) return OpenSslError(absl::StatusCode::kInternal, "HMAC-SHA-256 setup");
  EvpMacCtxPtr ctx(EVP_MAC_CTX_dup(templ));
  if (ctx == nullptr) return OpenSslError(absl::StatusCode::kInternal, "EVP_MAC_CTX_dup");
  size_t out_len = 0;
  if (EVP_MAC_init(ctx.get(), key.data(), key.size(), nullptr) != 1 ||
      EVP_MAC_update(ctx.get(), reinterpret_cast<const uint8_t*>(part1.data()), part1.size()) !=
          1 ||
      EVP_MAC_update(ctx.get(), reinterpret_cast<const uint8_t*>(part2.data()), part2.size()) !=
          1 ||
      EVP_MAC_final(ctx.get(), out, &out_len, kSha256Len) != 1 || out_len != kSha256Len) {
    return OpenSslError(absl::StatusCode::kInternal, "HMAC-SHA-256");
  }
  return absl::OkStatus();
}

absl::Status CheckKeyLen(const SecretBytes& key, absl::string_view name) {
  if (key.size() != kDerivedKeyLen) {
    return absl::InvalidArgumentError(
        absl::StrCat(name, " must be ", kDerivedKeyLen, " bytes, got ", key.size()));
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<ExportSplit> SplitExport48(const SecretBytes& export48) {
  if (export48.size() != kExportLen) {
    return absl::InvalidArgumentError(absl::StrCat("keying-material export must be ", kExportLen,
                                                   " bytes, got ", export48.size()));
  }
  ExportSplit split;
  split.relative_id.assign(reinterpret_cast<const char*>(export48.data()), kRelativeIdLen);
  split.key = SecretBytes::Copy(export48.data() + kRelativeIdLen, kExportLen - kRelativeIdLen);
  return split;
}

absl::StatusOr<DerivedKey> KeyFromExport(const SecretBytes& export48, absl::string_view fqdn) {
  absl::StatusOr<ExportSplit> split = SplitExport48(export48);
  if (!split.ok()) return split.status();
  absl::StatusOr<std::string> key_id = FormatKeyId(split->relative_id, fqdn);
  if (!key_id.ok()) return key_id.status();
  return DerivedKey{*std::move(key_id), std::move(split->key)};
}

absl::StatusOr<SecretBytes> DeriveKm(const SecretBytes& ke, absl::string_view maf_id) {
  absl::Status s = CheckKeyLen(ke, "Ke");
  if (!s.ok()) return s;
  s = ValidateFqdn(maf_id);
  if (!s.ok()) return absl::InvalidArgumentError(absl::StrCat("MAF-ID: ", s.message()));
  SecretBytes km(kSha256Len);
  s = Hmac(ke, kKmDerivationLabel, maf_id, km.mutable_data());
  if (!s.ok()) return s;  // km is wiped by its destructor.
  return km;
}

absl::StatusOr<SecretBytes> DeriveUsageConstrainedKey(const SecretBytes& ke, uint32_t suid,
                                                      absl::string_view target_id) {
  absl::Status s = CheckKeyLen(ke, "Ke");
  if (!s.ok()) return s;
  s = ValidateFqdn(target_id);
  if (!s.ok()) {
    return absl::InvalidArgumentError(absl::StrCat("Enrolment-Target-ID: ", s.message()));
  }
  // SUID || Enrolment-Target-ID; neither is secret (both travel in the fetch request).
  const std::string context = absl::StrCat(suid, target_id);
  SecretBytes key(kSha256Len);
  s = Hmac(ke, kUsageConstrainedLabel, context, key.mutable_data());
  if (!s.ok()) return s;  // key is wiped by its destructor.
  return key;
}

absl::StatusOr<KeyId> DeriveKmKeyId(const SecretBytes& km, absl::string_view maf_fqdn) {
  absl::Status s = CheckKeyLen(km, "Km");
  if (!s.ok()) return s;
  s = ValidateFqdn(maf_fqdn);
  if (!s.ok()) return absl::InvalidArgumentError(absl::StrCat("MAF-FQDN: ", s.message()));
  SecretBytes mac(kSha256Len);  // Wiped on return: its second half is never published.
  s = Hmac(km, kKmIdLabel, absl::string_view(), mac.mutable_data());
  if (!s.ok()) return s;
  return KeyId::FromParts(mac.Reveal().substr(0, kRelativeIdLen), maf_fqdn);
}

absl::StatusOr<std::string> DeriveKmId(const SecretBytes& km, absl::string_view maf_fqdn) {
  absl::StatusOr<KeyId> km_id = DeriveKmKeyId(km, maf_fqdn);
  if (!km_id.ok()) return km_id.status();
  return km_id->ToString();
}

absl::StatusOr<SecretBytes> HmacSha256(const SecretBytes& key, absl::string_view data) {
  if (key.empty()) return absl::InvalidArgumentError("HMAC key is empty");
  SecretBytes out(kSha256Len);
  absl::Status s = Hmac(key, data, absl::string_view(), out.mutable_data());
  if (!s.ok()) return s;
  return out;
}

absl::StatusOr<SecretBytes> Tls12ExporterPrf(const SecretBytes& master_secret,
                                             absl::string_view label,
                                             absl::string_view client_random,
                                             absl::string_view server_random, size_t out_len) {
  if (client_random.size() != 32 || server_random.size() != 32) {
    return absl::InvalidArgumentError("TLS randoms must be 32 bytes each");
  }
  if (label.empty()) return absl::InvalidArgumentError("exporter label is empty");
  if (out_len == 0) return absl::InvalidArgumentError("exporter output length is 0");
  if (master_secret.empty()) return absl::InvalidArgumentError("master secret is empty");
  // RFC 5705 section 4 without context: seed = label || client_random || server_random.
  const std::string seed = absl::StrCat(label, client_random, server_random);
  EvpKdfPtr kdf(EVP_KDF_fetch(nullptr, "TLS1-PRF", nullptr));
  if (kdf == nullptr) return OpenSslError(absl::StatusCode::kInternal, "EVP_KDF_fetch(TLS1-PRF)");
  EvpKdfCtxPtr ctx(EVP_KDF_CTX_new(kdf.get()));
  if (ctx == nullptr) return OpenSslError(absl::StatusCode::kInternal, "EVP_KDF_CTX_new");
  char digest[] = "SHA256";
  const OSSL_PARAM params[] = {
      OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, digest, 0),
      OSSL_PARAM_construct_octet_string(
          OSSL_KDF_PARAM_SECRET, const_cast<uint8_t*>(master_secret.data()), master_secret.size()),
      OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SEED, const_cast<char*>(seed.data()),
                                        seed.size()),
      OSSL_PARAM_construct_end(),
  };
  SecretBytes out(out_len);
  if (EVP_KDF_derive(ctx.get(), out.mutable_data(), out.size(), params) != 1) {
    return OpenSslError(absl::StatusCode::kInternal, "TLS1-PRF(SHA256)");
  }
  return out;
}

}  // namespace crypto
}  // namespace onem2m

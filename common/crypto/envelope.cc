#include "common/crypto/envelope.h"

#include <algorithm>
#include <memory>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/crypto/file_kek_backend.h"
#include "common/crypto/sealed_header.h"

namespace onem2m {
namespace crypto {

Envelope::Envelope(Keyring keyring) {
  const uint32_t active = keyring.active_version();
  auto file = std::make_shared<const FileKekBackend>(std::move(keyring));
  active_ = file.get();
  active_version_ = active;
  backends_.push_back(std::move(file));
}

absl::StatusOr<Envelope> Envelope::Create(std::vector<std::shared_ptr<const KekBackend>> backends,
                                          uint32_t active_version) {
  if (backends.empty()) return absl::InvalidArgumentError("no key-encryption key backend");
  std::map<uint32_t, const KekBackend*> owner;
  std::set<uint8_t> formats;
  for (const auto& b : backends) {
    if (b == nullptr) return absl::InvalidArgumentError("null key-encryption key backend");
    if (!formats.insert(b->format_tag()).second) {
      return absl::InvalidArgumentError(
          absl::StrCat("two key-encryption key backends of kind ", b->name()));
    }
    for (uint32_t v : b->versions()) {
      auto [it, inserted] = owner.emplace(v, b.get());
      if (!inserted) {
        return absl::InvalidArgumentError(absl::StrCat(
            "key-encryption key version ", v, " is held by both the ", it->second->name(),
            " and the ", b->name(), " backend; versions must be unique across backends"));
      }
    }
  }
  if (active_version == 0) active_version = backends.back()->default_active_version();
  auto it = owner.find(active_version);
  if (it == owner.end()) {
    return absl::InvalidArgumentError(
        absl::StrCat("active key-encryption key version ", active_version, " is in no backend"));
  }
  const KekBackend* active = it->second;
  return Envelope(std::move(backends), active, active_version);
}

absl::StatusOr<std::string> Envelope::Seal(const SecretBytes& plaintext,
                                           absl::string_view associated_data) const {
  if (plaintext.size() > kMaxSealPlaintextLen) {
    return absl::InvalidArgumentError(
        absl::StrCat("plaintext over ", kMaxSealPlaintextLen, " bytes"));
  }
  if (associated_data.size() > kMaxAssociatedDataLen) {
    return absl::InvalidArgumentError(
        absl::StrCat("associated data over ", kMaxAssociatedDataLen, " bytes"));
  }
  return active_->Seal(active_version_, plaintext, associated_data);
}

absl::StatusOr<SecretBytes> Envelope::Open(absl::string_view blob,
                                           absl::string_view associated_data) const {
  absl::StatusOr<uint32_t> version = SealedKeyVersion(blob);
  if (!version.ok()) return version.status();
  if (blob.size() > kMaxSealPlaintextLen + kMaxSealedOverhead) {
    return absl::InvalidArgumentError("sealed blob too large");
  }
  if (associated_data.size() > kMaxAssociatedDataLen) {
    return absl::InvalidArgumentError(
        absl::StrCat("associated data over ", kMaxAssociatedDataLen, " bytes"));
  }
  const uint8_t format = static_cast<uint8_t>(blob[0]);
  for (const auto& b : backends_) {
    if (b->format_tag() == format) return b->Open(blob, associated_data);
  }
  return absl::NotFoundError(absl::StrCat("sealed blob names key-encryption key version ", *version,
                                          " of a ",
                                          format == kSealedFormatPkcs11 ? "PKCS#11 token" : "file",
                                          " backend, which is not configured"));
}

std::vector<uint32_t> Envelope::versions() const {
  std::vector<uint32_t> out;
  for (const auto& b : backends_) {
    std::vector<uint32_t> v = b->versions();
    out.insert(out.end(), v.begin(), v.end());
  }
  std::sort(out.begin(), out.end());
  return out;
}

bool Envelope::HasVersion(uint32_t version) const {
  for (const auto& b : backends_) {
    for (uint32_t v : b->versions()) {
      if (v == version) return true;
    }
  }
  return false;
}

absl::StatusOr<uint32_t> SealedKeyVersion(absl::string_view blob) {
  if (blob.empty()) return absl::DataLossError("sealed blob is empty");
  const uint8_t format = static_cast<uint8_t>(blob[0]);
  size_t min_len = 0;
  if (format == kSealedFormatFile) {
    min_len = kSealedOverhead;
  } else if (format == kSealedFormatPkcs11) {
    min_len = kSealedPkcs11Overhead;
  } else {
    return absl::DataLossError(
        absl::StrCat("sealed blob has unknown format byte ", static_cast<int>(format)));
  }
  if (blob.size() < min_len) {
    return absl::DataLossError(absl::StrCat("sealed blob truncated: ", blob.size(),
                                            " bytes, at least ", min_len, " expected"));
  }
  return SealedHeaderVersion(blob);
}

// ---- Keyring files ---------------------------------------------------------------------------

}  // namespace crypto
}  // namespace onem2m

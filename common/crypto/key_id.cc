#include "common/crypto/key_id.h"

#include <cstdint>
#include <string>

#include "absl/strings/str_cat.h"

namespace onem2m {
namespace crypto {
namespace {

constexpr char kHexUpper[] = "0123456789ABCDEF";

// HexValue returns the value of one hex digit, or -1.
int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

bool IsLdh(char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-'; }

}  // namespace

std::string HexUpper(absl::string_view bytes) {
  std::string out(bytes.size() * 2, '\0');
  for (size_t i = 0; i < bytes.size(); ++i) {
    const uint8_t b = static_cast<uint8_t>(bytes[i]);
    out[2 * i] = kHexUpper[b >> 4];
    out[2 * i + 1] = kHexUpper[b & 0x0f];
  }
  return out;
}

absl::StatusOr<std::string> ParseHex(absl::string_view hex) {
  if (hex.size() % 2 != 0) {
    return absl::InvalidArgumentError(absl::StrCat("hex string has odd length ", hex.size()));
  }
  std::string out(hex.size() / 2, '\0');
  for (size_t i = 0; i < out.size(); ++i) {
    const int hi = HexValue(hex[2 * i]);
    const int lo = HexValue(hex[2 * i + 1]);
    if (hi < 0 || lo < 0) {
      return absl::InvalidArgumentError(
          absl::StrCat("non-hex character at offset ", hi < 0 ? 2 * i : 2 * i + 1));
    }
    out[i] = static_cast<char>((hi << 4) | lo);
  }
  return out;
}

absl::StatusOr<SecretBytes> ParseHexSecret(absl::string_view hex) {
  if (hex.size() % 2 != 0) {
    return absl::InvalidArgumentError(absl::StrCat("hex string has odd length ", hex.size()));
  }
  SecretBytes out(hex.size() / 2);
  for (size_t i = 0; i < out.size(); ++i) {
    const int hi = HexValue(hex[2 * i]);
    const int lo = HexValue(hex[2 * i + 1]);
    if (hi < 0 || lo < 0) return absl::InvalidArgumentError("hex string has a non-hex character");
    out.mutable_data()[i] = static_cast<uint8_t>((hi << 4) | lo);
  }
  return out;
}

absl::Status ValidateFqdn(absl::string_view fqdn) {
  if (fqdn.empty()) return absl::InvalidArgumentError("FQDN is empty");
  if (fqdn.size() > kMaxFqdnLen) {
    return absl::InvalidArgumentError(absl::StrCat(
        "FQDN is ", fqdn.size(), " characters long; at most ", kMaxFqdnLen, " allowed"));
  }
  if (fqdn.back() == '.') {
    return absl::InvalidArgumentError("FQDN must not end with a dot");
  }
  size_t start = 0;
  absl::string_view last_label;
  while (start <= fqdn.size()) {
    size_t end = fqdn.find('.', start);
    if (end == absl::string_view::npos) end = fqdn.size();
    const absl::string_view label = fqdn.substr(start, end - start);
    if (label.empty()) return absl::InvalidArgumentError("FQDN has an empty label");
    if (label.size() > 63) {
      return absl::InvalidArgumentError("FQDN has a label longer than 63 characters");
    }
    for (char c : label) {
      if (c >= 'A' && c <= 'Z') {
        return absl::InvalidArgumentError("FQDN must be lower case");
      }
      if (!IsLdh(c)) {
        return absl::InvalidArgumentError(
            "FQDN may contain only a-z, 0-9, '-' and '.' (IDNs in A-label form)");
      }
    }
    if (label.front() == '-' || label.back() == '-') {
      return absl::InvalidArgumentError("FQDN label starts or ends with a hyphen");
    }
    last_label = label;
    start = end + 1;
  }
  bool all_digits = true;
  for (char c : last_label) all_digits = all_digits && c >= '0' && c <= '9';
  if (all_digits) {
    return absl::InvalidArgumentError(
        "FQDN's last label is all digits (an IP address is not an FQDN)");
  }
  return absl::OkStatus();
}

absl::StatusOr<std::string> FormatKeyId(absl::string_view relative_id, absl::string_view fqdn) {
  if (relative_id.size() != kRelativeIdLen) {
    return absl::InvalidArgumentError(
        absl::StrCat("relative id must be ", kRelativeIdLen, " bytes, got ", relative_id.size()));
  }
  absl::Status s = ValidateFqdn(fqdn);
  if (!s.ok()) return s;
  return absl::StrCat(HexUpper(relative_id), "@", fqdn);
}

absl::StatusOr<KeyId> ParseKeyId(absl::string_view text) {
  const size_t at = text.find('@');
  if (at == absl::string_view::npos) {
    return absl::InvalidArgumentError("key identifier has no '@'");
  }
  if (text.find('@', at + 1) != absl::string_view::npos) {
    return absl::InvalidArgumentError("key identifier has more than one '@'");
  }
  const absl::string_view hex = text.substr(0, at);
  if (hex.size() != 2 * kRelativeIdLen) {
    return absl::InvalidArgumentError(absl::StrCat("key identifier must have ", 2 * kRelativeIdLen,
                                                   " hex characters before '@', got ", hex.size()));
  }
  absl::StatusOr<std::string> relative_id = ParseHex(hex);
  if (!relative_id.ok()) {
    return absl::InvalidArgumentError("key identifier has a non-hex character before '@'");
  }
  const absl::string_view fqdn = text.substr(at + 1);
  absl::Status s = ValidateFqdn(fqdn);
  if (!s.ok()) {
    return absl::InvalidArgumentError(absl::StrCat("key identifier: ", s.message()));
  }
  return KeyId{*std::move(relative_id), std::string(fqdn)};
}

absl::StatusOr<std::string> CanonicalKeyId(absl::string_view text) {
  absl::StatusOr<KeyId> id = KeyId::Parse(text);
  if (!id.ok()) return id.status();
  return id->ToString();
}

absl::StatusOr<KeyId> KeyId::Parse(absl::string_view text) { return ParseKeyId(text); }

absl::StatusOr<KeyId> KeyId::FromParts(absl::string_view relative_id, absl::string_view fqdn) {
  if (relative_id.size() != kRelativeIdLen) {
    return absl::InvalidArgumentError(
        absl::StrCat("relative id must be ", kRelativeIdLen, " bytes, got ", relative_id.size()));
  }
  absl::Status s = ValidateFqdn(fqdn);
  if (!s.ok()) return s;
  return KeyId{std::string(relative_id), std::string(fqdn)};
}

absl::StatusOr<KeyId> KeyId::Random(absl::string_view fqdn) {
  return FromParts(SecretBytes::Random(kRelativeIdLen).Reveal(), fqdn);
}

std::string KeyId::ToString() const {
  if (empty()) return "";
  return absl::StrCat(HexUpper(relative_id), "@", fqdn);
}

std::ostream& operator<<(std::ostream& os, const KeyId& id) { return os << id.ToString(); }

absl::Status ValidateKpmId(absl::string_view kpm_id) {
  if (kpm_id.empty()) return absl::InvalidArgumentError("KpmID is empty");
  if (kpm_id.size() > kMaxKpmIdLen) {
    return absl::InvalidArgumentError(
        absl::StrCat("KpmID is ", kpm_id.size(), " bytes; at most ", kMaxKpmIdLen, " allowed"));
  }
  // Strict UTF-8 (RFC 3629): shortest form, no surrogates, at most U+10FFFF.
  size_t i = 0;
  const size_t n = kpm_id.size();
  auto cont = [&](size_t k) { return k < n && (static_cast<uint8_t>(kpm_id[k]) & 0xC0) == 0x80; };
  while (i < n) {
    const uint8_t b = static_cast<uint8_t>(kpm_id[i]);
    if (b == 0) return absl::InvalidArgumentError("KpmID contains NUL");
    if (b < 0x80) {
      ++i;
      continue;
    }
    size_t len;
    uint32_t cp;
    if (b >= 0xC2 && b <= 0xDF) {
      len = 2;
      cp = b & 0x1F;
    } else if (b >= 0xE0 && b <= 0xEF) {
      len = 3;
      cp = b & 0x0F;
    } else if (b >= 0xF0 && b <= 0xF4) {
      len = 4;
      cp = b & 0x07;
    } else {
      return absl::InvalidArgumentError(absl::StrCat("KpmID is not valid UTF-8 at byte ", i));
    }
    for (size_t k = 1; k < len; ++k) {
      if (!cont(i + k)) {
        return absl::InvalidArgumentError(absl::StrCat("KpmID is not valid UTF-8 at byte ", i));
      }
      cp = (cp << 6) | (static_cast<uint8_t>(kpm_id[i + k]) & 0x3F);
    }
    if ((len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) || cp > 0x10FFFF ||
        (cp >= 0xD800 && cp <= 0xDFFF)) {
      return absl::InvalidArgumentError(absl::StrCat("KpmID is not valid UTF-8 at byte ", i));
    }
    i += len;
  }
  return absl::OkStatus();
}

absl::Status ValidateEnroleeId(absl::string_view enrolee_id) {
  if (enrolee_id.empty()) return absl::InvalidArgumentError("Enrolee-ID is empty");
  if (enrolee_id.size() > kMaxEnroleeIdLen) {
    return absl::InvalidArgumentError(absl::StrCat("Enrolee-ID is ", enrolee_id.size(),
                                                   " characters; at most ", kMaxEnroleeIdLen,
                                                   " allowed"));
  }
  for (size_t i = 0; i < enrolee_id.size(); ++i) {
    const uint8_t c = static_cast<uint8_t>(enrolee_id[i]);
    if (c < 0x21 || c > 0x7E) {
      return absl::InvalidArgumentError(absl::StrCat(
          "Enrolee-ID may contain only printable ASCII without whitespace; bad byte at offset ",
          i));
    }
  }
  return absl::OkStatus();
}

}  // namespace crypto
}  // namespace onem2m

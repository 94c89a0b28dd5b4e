#include "mef/store/enrolee_store.h"

#include <algorithm>
#include <tuple>

#include "absl/strings/str_cat.h"

namespace onem2m {
namespace mef {
namespace {

// IsValidUtf8 accepts well-formed UTF-8 (no overlongs, no surrogates, <= U+10FFFF) and rejects NUL,
// since PostgreSQL text cannot hold NUL and a PSK identity with one is a truncation hazard.
bool IsValidUtf8NoNul(absl::string_view s) {
  size_t i = 0;
  const size_t n = s.size();
  while (i < n) {
    const unsigned char c = static_cast<unsigned char>(s[i]);
    if (c == 0) return false;
    if (c < 0x80) {
      ++i;
      continue;
    }
    int len;
    uint32_t cp;
    if ((c & 0xE0) == 0xC0) {
      len = 2;
      cp = c & 0x1F;
    } else if ((c & 0xF0) == 0xE0) {
      len = 3;
      cp = c & 0x0F;
    } else if ((c & 0xF8) == 0xF0) {
      len = 4;
      cp = c & 0x07;
    } else {
      return false;
    }
    if (i + len > n) return false;
    for (int k = 1; k < len; ++k) {
      const unsigned char cc = static_cast<unsigned char>(s[i + k]);
      if ((cc & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (cc & 0x3F);
    }
    if ((len == 2 && cp < 0x80) || (len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) ||
        cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) {
      return false;
    }
    i += len;
  }
  return true;
}

absl::Status CheckText(absl::string_view field, absl::string_view value, size_t max_len) {
  if (value.empty() || value.size() > max_len) {
    return absl::InvalidArgumentError(
        absl::StrCat(field, " must be 1..", max_len, " bytes, got ", value.size()));
  }
  if (!IsValidUtf8NoNul(value)) {
    return absl::InvalidArgumentError(absl::StrCat(field, " must be UTF-8 without NUL"));
  }
  return absl::OkStatus();
}

}  // namespace

absl::string_view SealedColumnName(SealedColumn column) {
  return column == SealedColumn::kEnroleeKpm ? "enrolees.kpm" : "enrolments.ke";
}

absl::string_view EnroleeStateName(EnroleeState state) {
  switch (state) {
    case EnroleeState::kActive:
      return "active";
    case EnroleeState::kDisabled:
      return "disabled";
    case EnroleeState::kRevoked:
      return "revoked";
  }
  return "unknown";
}

bool ParseEnroleeState(absl::string_view name, EnroleeState* out_state) {
  if (name == "active") {
    *out_state = EnroleeState::kActive;
  } else if (name == "disabled") {
    *out_state = EnroleeState::kDisabled;
  } else if (name == "revoked") {
    *out_state = EnroleeState::kRevoked;
  } else {
    return false;
  }
  return true;
}

absl::string_view TransportName(Transport transport) {
  return transport == Transport::kDtls ? "dtls" : "tls";
}

bool ParseTransport(absl::string_view name, Transport* out_transport) {
  if (name == "tls") {
    *out_transport = Transport::kTls;
  } else if (name == "dtls") {
    *out_transport = Transport::kDtls;
  } else {
    return false;
  }
  return true;
}

absl::Status ValidateEnrolee(const Enrolee& enrolee) {
  absl::Status s = CheckText("kpm_id", enrolee.kpm_id, 128);
  if (!s.ok()) return s;
  if (enrolee.kpm.ciphertext.empty()) {
    return absl::InvalidArgumentError("sealed kpm must not be empty");
  }
  s = CheckText("enrolee_id", enrolee.enrolee_id, 1024);
  if (!s.ok()) return s;
  s = CheckText("maf_id", enrolee.maf_id, 255);
  if (!s.ok()) return s;
  if (enrolee.maf_uri.has_value()) {
    s = CheckText("maf_uri", *enrolee.maf_uri, 2048);
    if (!s.ok()) return s;
  }
  if (enrolee.enrolment_lifetime.has_value() &&
      (*enrolee.enrolment_lifetime <= absl::ZeroDuration() ||
       *enrolee.enrolment_lifetime == absl::InfiniteDuration())) {
    return absl::InvalidArgumentError("enrolment_lifetime must be positive and finite");
  }
  if (enrolee.not_after.has_value() && (*enrolee.not_after == absl::InfiniteFuture() ||
                                        *enrolee.not_after == absl::InfinitePast())) {
    return absl::InvalidArgumentError("not_after must be finite");
  }
  if (enrolee.fetch_grants.size() > kMaxFetchGrants) {
    return absl::InvalidArgumentError("too many fetch grants");
  }
  for (const FetchGrant& g : enrolee.fetch_grants) {
    s = ValidateFetchGrant(g);
    if (!s.ok()) return s;
  }
  return absl::OkStatus();
}

std::vector<FetchGrant> SortedUnique(std::vector<FetchGrant> grants) {
  auto key = [](const FetchGrant& g) { return std::tie(g.target_id, g.suid); };
  std::sort(grants.begin(), grants.end(),
            [&](const FetchGrant& a, const FetchGrant& b) { return key(a) < key(b); });
  grants.erase(std::unique(grants.begin(), grants.end()), grants.end());
  return grants;
}

absl::Status ValidateFetchGrant(const FetchGrant& grant) {
  if (grant.suid == 0) return absl::InvalidArgumentError("fetch grant suid must be at least 1");
  if (grant.target_id.empty() || grant.target_id.size() > 255) {
    return absl::InvalidArgumentError("fetch grant target_id must be 1..255 bytes");
  }
  // No whitespace or control characters: the PostgreSQL store reads grants back as
  // "<suid> <target_id>" lines, and a target ID is an FQDN anyway (TS-0003 10.3.7).
  for (char c : grant.target_id) {
    if (static_cast<unsigned char>(c) <= 0x20 || c == 0x7f) {
      return absl::InvalidArgumentError(
          "fetch grant target_id must not contain whitespace or control characters");
    }
  }
  return absl::OkStatus();
}

absl::Status ValidateEnrolment(const Enrolment& enrolment) {
  // The column holds the canonical text: 32 hex characters, '@' and an FQDN of at most 222 bytes.
  if (enrolment.ke_id.empty()) return absl::InvalidArgumentError("ke_id must be set");
  if (enrolment.ke_id.ToString().size() > 255) {
    return absl::InvalidArgumentError("ke_id must be at most 255 bytes");
  }
  absl::Status s = CheckText("kpm_id", enrolment.kpm_id, 128);
  if (!s.ok()) return s;
  if (enrolment.ke.ciphertext.empty()) {
    return absl::InvalidArgumentError("sealed ke must not be empty");
  }
  s = CheckText("enrolee_id", enrolment.enrolee_id, 1024);
  if (!s.ok()) return s;
  s = CheckText("maf_id", enrolment.maf_id, 255);
  if (!s.ok()) return s;
  if (!enrolment.peer_address.empty()) {
    s = CheckText("peer_address", enrolment.peer_address, 255);
    if (!s.ok()) return s;
  }
  if (enrolment.expires_at == absl::InfiniteFuture() ||
      enrolment.expires_at == absl::InfinitePast()) {
    return absl::InvalidArgumentError("expires_at must be finite");
  }
  return absl::OkStatus();
}

}  // namespace mef
}  // namespace onem2m

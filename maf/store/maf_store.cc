#include "maf/store/maf_store.h"

#include <set>

#include "absl/strings/str_cat.h"
#include "common/crypto/key_id.h"
#include "common/secret_bytes.h"

namespace onem2m {
namespace maf {
namespace {

absl::Status CheckCanonicalKeyId(absl::string_view field, absl::string_view id) {  // key_id only
  absl::StatusOr<std::string> canon = crypto::CanonicalKeyId(id);
  if (!canon.ok()) {
    return absl::InvalidArgumentError(absl::StrCat(field, ": ", canon.status().message()));
  }
  if (*canon != id) return absl::InvalidArgumentError(absl::StrCat(field, " must be canonical"));
  return absl::OkStatus();
}

bool IsFinite(absl::Time t) { return t != absl::InfiniteFuture() && t != absl::InfinitePast(); }

}  // namespace

absl::string_view SealedColumnName(SealedColumn column) {
  return column == SealedColumn::kCredentialKm ? "maf_credentials.km" : "maf_keys.key";
}

absl::string_view TransportName(Transport t) {
  switch (t) {
    case Transport::kTls:
      return "tls";
    case Transport::kDtls:
      return "dtls";
    case Transport::kUnspecified:
      break;
  }
  return "";
}

Transport ParseTransport(absl::string_view name) {
  if (name == "tls") return Transport::kTls;
  if (name == "dtls") return Transport::kDtls;
  return Transport::kUnspecified;
}

absl::string_view ClientStateName(ClientState s) {
  switch (s) {
    case ClientState::kActive:
      return "active";
    case ClientState::kDeregistered:
      return "deregistered";
    case ClientState::kRevoked:
      return "revoked";
  }
  return "unknown";
}

bool ParseClientState(absl::string_view name, ClientState* out_state) {
  if (name == "active") {
    *out_state = ClientState::kActive;
  } else if (name == "deregistered") {
    *out_state = ClientState::kDeregistered;
  } else if (name == "revoked") {
    *out_state = ClientState::kRevoked;
  } else {
    return false;
  }
  return true;
}

absl::string_view KeyStateName(KeyState s) {
  switch (s) {
    case KeyState::kActive:
      return "active";
    case KeyState::kDeregistered:
      return "deregistered";
    case KeyState::kRevoked:
      return "revoked";
  }
  return "unknown";
}

bool ParseKeyState(absl::string_view name, KeyState* out_state) {
  ClientState c;
  if (!ParseClientState(name, &c)) return false;
  *out_state = c == ClientState::kActive         ? KeyState::kActive
               : c == ClientState::kDeregistered ? KeyState::kDeregistered
                                                 : KeyState::kRevoked;
  return true;
}

EffectiveState EffectiveClientState(const MafClient& c, absl::Time now) {
  switch (c.state) {
    case ClientState::kActive:
      return c.expires_at <= now ? EffectiveState::kExpired : EffectiveState::kActive;
    case ClientState::kDeregistered:
      return EffectiveState::kDeregistered;
    case ClientState::kRevoked:
      return EffectiveState::kRevoked;
  }
  return EffectiveState::kRevoked;
}

EffectiveState EffectiveKeyState(const MafKey& k, absl::Time now) {
  switch (k.state) {
    case KeyState::kActive:
      return k.expires_at <= now ? EffectiveState::kExpired : EffectiveState::kActive;
    case KeyState::kDeregistered:
      return EffectiveState::kDeregistered;
    case KeyState::kRevoked:
      return EffectiveState::kRevoked;
  }
  return EffectiveState::kRevoked;
}

EffectiveState EffectiveCredentialState(const MafCredential& c, absl::Time now) {
  if (c.revoked) return EffectiveState::kRevoked;
  return c.expires_at <= now ? EffectiveState::kExpired : EffectiveState::kActive;
}

absl::Status ValidateCredential(const MafCredential& c) {
  if (c.km_id.empty()) return absl::InvalidArgumentError("km_id must be set");
  if (c.ke_id.empty()) return absl::InvalidArgumentError("ke_id must be set");
  if (c.km.ciphertext.empty()) return absl::InvalidArgumentError("sealed km must not be empty");
  absl::Status s = crypto::ValidateEnroleeId(c.enrolee_id);
  if (!s.ok()) return s;
  if (c.ke_id.fqdn != c.mef_fqdn) {
    return absl::InvalidArgumentError("mef_fqdn must be the FQDN of ke_id");
  }
  if (!IsFinite(c.expires_at)) return absl::InvalidArgumentError("expires_at must be finite");
  return absl::OkStatus();
}

absl::Status ValidateTargetIds(const std::vector<std::string>& target_ids) {
  if (target_ids.empty() || target_ids.size() > kMaxTargetIds) {
    return absl::InvalidArgumentError(
        absl::StrCat("1..", kMaxTargetIds, " targetIDs required, got ", target_ids.size()));
  }
  std::set<std::string> seen;
  for (const std::string& t : target_ids) {
    // Same character rule as Enrolee-IDs: targetIDs are CSE-IDs, AE-IDs or DNS names.
    absl::Status s = crypto::ValidateEnroleeId(t);
    if (!s.ok()) return absl::InvalidArgumentError("targetID must be 1..256 printable ASCII");
    if (!seen.insert(t).second) return absl::InvalidArgumentError("duplicate targetID");
  }
  return absl::OkStatus();
}

absl::Status ValidateLabels(const std::vector<std::string>& labels) {
  if (labels.size() > kMaxLabels) {
    return absl::InvalidArgumentError(absl::StrCat("at most ", kMaxLabels, " labels"));
  }
  for (const std::string& l : labels) {
    if (l.empty() || l.size() > 256)
      return absl::InvalidArgumentError("label must be 1..256 bytes");
    for (char ch : l) {
      if (static_cast<unsigned char>(ch) < 0x20 || ch == 0x7f) {
        return absl::InvalidArgumentError("label contains a control character");
      }
    }
  }
  return absl::OkStatus();
}

absl::Status ValidateNewKey(const MafKey& k) {
  absl::Status s = CheckCanonicalKeyId("key_id", k.key_id);
  if (!s.ok()) return s;
  if (k.key_id.substr(0, k.key_id.find('@')) != k.relative_id) {
    return absl::InvalidArgumentError("relative_id must be the hex part of key_id");
  }
  if (k.key.ciphertext.empty()) return absl::InvalidArgumentError("sealed key must not be empty");
  s = ValidateTargetIds(k.target_ids);
  if (s.ok()) s = ValidateLabels(k.labels);
  if (!s.ok()) return s;
  if (k.maf_client_reg_id.empty()) return absl::InvalidArgumentError("maf_client_reg_id required");
  if (!IsFinite(k.expires_at)) return absl::InvalidArgumentError("expires_at must be finite");
  return absl::OkStatus();
}

std::string NewClientRegId() {
  SecretBytes r = SecretBytes::Random(16);
  return absl::StrCat("MC", crypto::HexUpper(r.Reveal()));
}

}  // namespace maf
}  // namespace onem2m

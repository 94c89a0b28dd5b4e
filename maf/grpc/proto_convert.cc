#include "maf/grpc/proto_convert.h"

namespace onem2m {
namespace maf {
namespace v1 = ::onem2m::rsp::v1;
namespace {

void SetRevocation(const std::optional<Revocation>& r, v1::StateChange* out) {
  if (!r.has_value()) return;
  out->mutable_actor()->set_identity(r->actor);
  SetTimestamp(r->time, out->mutable_time());
  out->set_reason(r->reason);
}

v1::Transport TransportToProto(Transport t) {
  switch (t) {
    case Transport::kTls:
      return v1::TRANSPORT_TLS;
    case Transport::kDtls:
      return v1::TRANSPORT_DTLS;
    case Transport::kUnspecified:
      break;
  }
  return v1::TRANSPORT_UNSPECIFIED;
}

}  // namespace

void SetTimestamp(absl::Time t, google::protobuf::Timestamp* out) {
  if (t == absl::InfiniteFuture() || t == absl::InfinitePast()) return;
  const int64_t us = absl::ToUnixMicros(t);
  int64_t sec = us / 1000000;
  int64_t rem = us % 1000000;
  if (rem < 0) {
    rem += 1000000;
    --sec;
  }
  out->set_seconds(sec);
  out->set_nanos(static_cast<int32_t>(rem * 1000));
}

void ClientToProto(const MafClient& c, absl::Time now, v1::MafClient* out) {
  out->set_maf_client_reg_id(c.maf_client_reg_id);
  out->set_client_id(c.enrolee_id);
  out->set_km_id(c.km_id.ToString());
  out->set_ke_id(c.ke_id.ToString());
  switch (EffectiveClientState(c, now)) {
    case EffectiveState::kActive:
      out->set_state(v1::MAF_CLIENT_STATE_ACTIVE);
      break;
    case EffectiveState::kExpired:
      out->set_state(v1::MAF_CLIENT_STATE_EXPIRED);
      break;
    case EffectiveState::kRevoked:
      out->set_state(v1::MAF_CLIENT_STATE_REVOKED);
      break;
    case EffectiveState::kDeregistered:
      out->set_state(v1::MAF_CLIENT_STATE_UNSPECIFIED);
      break;
  }
  SetTimestamp(c.created_at, out->mutable_create_time());
  SetTimestamp(c.expires_at, out->mutable_expire_time());
  if (c.state == ClientState::kRevoked) SetRevocation(c.revocation, out->mutable_revocation());
  out->set_active_key_count(static_cast<uint32_t>(c.active_key_count));
  out->set_last_transport(TransportToProto(c.last_transport));
  if (c.last_handshake_at != absl::InfinitePast()) {
    SetTimestamp(c.last_handshake_at, out->mutable_last_handshake_time());
  }
}

void KeyToProto(const MafKey& k, absl::Time now, v1::MafKey* out) {
  out->set_key_id(k.key_id);
  out->set_maf_client_reg_id(k.maf_client_reg_id);
  for (const std::string& t : k.target_ids) out->add_target_ids(t);
  out->set_suid(k.suid);
  switch (EffectiveKeyState(k, now)) {
    case EffectiveState::kActive:
      out->set_state(v1::MAF_KEY_STATE_ACTIVE);
      break;
    case EffectiveState::kExpired:
      out->set_state(v1::MAF_KEY_STATE_EXPIRED);
      break;
    case EffectiveState::kDeregistered:
      out->set_state(v1::MAF_KEY_STATE_DEREGISTERED);
      break;
    case EffectiveState::kRevoked:
      out->set_state(v1::MAF_KEY_STATE_REVOKED);
      break;
  }
  SetTimestamp(k.created_at, out->mutable_create_time());
  SetTimestamp(k.expires_at, out->mutable_expire_time());
  if (k.state == KeyState::kRevoked) SetRevocation(k.revocation, out->mutable_revocation());
}

void CredentialToProto(const MafCredential& c, absl::Time now, v1::MafCredential* out) {
  out->set_km_id(c.km_id.ToString());
  out->set_ke_id(c.ke_id.ToString());
  out->set_enrolee_id(c.enrolee_id);
  out->set_mef_fqdn(c.mef_fqdn);
  switch (EffectiveCredentialState(c, now)) {
    case EffectiveState::kActive:
      out->set_state(v1::MAF_CREDENTIAL_STATE_ACTIVE);
      break;
    case EffectiveState::kExpired:
      out->set_state(v1::MAF_CREDENTIAL_STATE_EXPIRED);
      break;
    case EffectiveState::kRevoked:
    case EffectiveState::kDeregistered:  // never stored for a credential
      out->set_state(v1::MAF_CREDENTIAL_STATE_REVOKED);
      break;
  }
  SetTimestamp(c.created_at, out->mutable_create_time());
  SetTimestamp(c.expires_at, out->mutable_expire_time());
  out->set_last_transport(TransportToProto(c.last_transport));
  if (c.last_handshake_at != absl::InfinitePast()) {
    SetTimestamp(c.last_handshake_at, out->mutable_last_handshake_time());
  }
  if (c.revoked) {
    SetRevocation(c.revocation.has_value() ? c.revocation : Revocation{},
                  out->mutable_revocation());
  } else {
    out->set_kek_version(static_cast<uint32_t>(c.km.kek_version));
  }
}

bool CredentialStateFilter(v1::MafCredentialState s, std::optional<EffectiveState>* out) {
  switch (s) {
    case v1::MAF_CREDENTIAL_STATE_UNSPECIFIED:
      *out = std::nullopt;
      return true;
    case v1::MAF_CREDENTIAL_STATE_ACTIVE:
      *out = EffectiveState::kActive;
      return true;
    case v1::MAF_CREDENTIAL_STATE_EXPIRED:
      *out = EffectiveState::kExpired;
      return true;
    case v1::MAF_CREDENTIAL_STATE_REVOKED:
      *out = EffectiveState::kRevoked;
      return true;
    default:
      return false;
  }
}

bool ClientStateFilter(v1::MafClientState s, std::optional<EffectiveState>* out) {
  switch (s) {
    case v1::MAF_CLIENT_STATE_UNSPECIFIED:
      *out = std::nullopt;
      return true;
    case v1::MAF_CLIENT_STATE_ACTIVE:
      *out = EffectiveState::kActive;
      return true;
    case v1::MAF_CLIENT_STATE_EXPIRED:
      *out = EffectiveState::kExpired;
      return true;
    case v1::MAF_CLIENT_STATE_REVOKED:
      *out = EffectiveState::kRevoked;
      return true;
    default:
      return false;
  }
}

bool KeyStateFilter(v1::MafKeyState s, std::optional<EffectiveState>* out) {
  switch (s) {
    case v1::MAF_KEY_STATE_UNSPECIFIED:
      *out = std::nullopt;
      return true;
    case v1::MAF_KEY_STATE_ACTIVE:
      *out = EffectiveState::kActive;
      return true;
    case v1::MAF_KEY_STATE_EXPIRED:
      *out = EffectiveState::kExpired;
      return true;
    case v1::MAF_KEY_STATE_DEREGISTERED:
      *out = EffectiveState::kDeregistered;
      return true;
    case v1::MAF_KEY_STATE_REVOKED:
      *out = EffectiveState::kRevoked;
      return true;
    default:
      return false;
  }
}

}  // namespace maf
}  // namespace onem2m

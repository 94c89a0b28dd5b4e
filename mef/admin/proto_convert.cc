#include "mef/admin/proto_convert.h"

#include <cstdint>

namespace onem2m {
namespace mef {

namespace v1 = ::onem2m::rsp::v1;

void SetTimestamp(absl::Time t, ::google::protobuf::Timestamp* out) {
  out->Clear();
  if (t == absl::InfinitePast() || t == absl::InfiniteFuture()) return;
  const int64_t nanos = absl::ToUnixNanos(t);
  int64_t secs = nanos / 1000000000;
  int64_t rem = nanos % 1000000000;
  if (rem < 0) {
    rem += 1000000000;
    --secs;
  }
  out->set_seconds(secs);
  out->set_nanos(static_cast<int32_t>(rem));
}

v1::EnroleeState StateToProto(EnroleeState state) {
  switch (state) {
    case EnroleeState::kActive:
      return v1::ENROLEE_STATE_ACTIVE;
    case EnroleeState::kDisabled:
      return v1::ENROLEE_STATE_DISABLED;
    case EnroleeState::kRevoked:
      return v1::ENROLEE_STATE_REVOKED;
  }
  return v1::ENROLEE_STATE_UNSPECIFIED;
}

absl::StatusOr<std::optional<EnroleeState>> StateFromProto(v1::EnroleeState state) {
  switch (state) {
    case v1::ENROLEE_STATE_UNSPECIFIED:
      return std::optional<EnroleeState>();
    case v1::ENROLEE_STATE_ACTIVE:
      return std::optional<EnroleeState>(EnroleeState::kActive);
    case v1::ENROLEE_STATE_DISABLED:
      return std::optional<EnroleeState>(EnroleeState::kDisabled);
    case v1::ENROLEE_STATE_REVOKED:
      return std::optional<EnroleeState>(EnroleeState::kRevoked);
    default:
      return absl::InvalidArgumentError("state_filter: unknown state");
  }
}

v1::Enrolee EnroleeToProto(const Enrolee& e) {
  v1::Enrolee out;
  v1::EnroleeSpec* spec = out.mutable_spec();
  spec->set_kpm_id(e.kpm_id);
  spec->set_enrolee_id(e.enrolee_id);
  spec->set_maf_id(e.maf_id);
  if (e.maf_uri.has_value()) spec->set_maf_uri(*e.maf_uri);
  SetGrants(e.fetch_grants, spec);
  if (e.enrolment_lifetime.has_value()) {
    const int64_t nanos = absl::ToInt64Nanoseconds(*e.enrolment_lifetime);
    spec->mutable_enrolment_lifetime()->set_seconds(nanos / 1000000000);
    spec->mutable_enrolment_lifetime()->set_nanos(static_cast<int32_t>(nanos % 1000000000));
  }
  out.set_state(StateToProto(e.state));
  SetTimestamp(e.created_at, out.mutable_create_time());
  return out;
}

void SetGrants(const std::vector<FetchGrant>& grants, v1::EnroleeSpec* spec) {
  spec->clear_fetch_grants();
  for (const FetchGrant& g : grants) {
    v1::FetchGrant* out = spec->add_fetch_grants();
    out->set_target_id(g.target_id);
    out->set_suid(g.suid);
  }
}

bool IsInvalidated(const Enrolment& e, absl::Time now) { return e.revoked || e.expires_at <= now; }

v1::Enrolment EnrolmentToProto(const Enrolment& e, absl::Time now) {
  v1::Enrolment out;
  out.set_ke_id(e.ke_id.ToString());
  out.set_kpm_id(e.kpm_id);
  out.set_enrolee_id(e.enrolee_id);
  out.set_maf_id(e.maf_id);
  out.set_transport(e.transport == Transport::kDtls ? v1::TRANSPORT_DTLS : v1::TRANSPORT_TLS);
  SetTimestamp(e.created_at, out.mutable_create_time());
  SetTimestamp(e.expires_at, out.mutable_expire_time());
  out.set_invalidated(IsInvalidated(e, now));
  return out;
}

}  // namespace mef
}  // namespace onem2m

// File: mef/admin/proto_convert.h
//
// Conversions between the EnroleeStore's records and the onem2m.rsp.v1 messages. Only non-secret
// fields cross: the sealed Kpm and Ke never reach a proto, so no response can leak them.
//
//   v1::Enrolee out = EnroleeToProto(stored);
//   std::optional<EnroleeState> filter = StateFromProto(request.state_filter());
#ifndef ONEM2M_MEF_ADMIN_PROTO_CONVERT_H_
#define ONEM2M_MEF_ADMIN_PROTO_CONVERT_H_

#include <optional>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "google/protobuf/timestamp.pb.h"
#include "mef/store/enrolee_store.h"
#include "proto/onem2m/rsp/v1/mef_admin.pb.h"

namespace onem2m {
namespace mef {

// SetTimestamp writes `t` into `out`; infinite times leave `out` cleared.
void SetTimestamp(absl::Time t, ::google::protobuf::Timestamp* out);

::onem2m::rsp::v1::EnroleeState StateToProto(EnroleeState state);

// StateFromProto maps a list filter: UNSPECIFIED means "no filter" (nullopt); an unknown enum
// value is INVALID_ARGUMENT.
absl::StatusOr<std::optional<EnroleeState>> StateFromProto(::onem2m::rsp::v1::EnroleeState state);

// EnroleeToProto copies the non-secret fields. The store does not record who created an Enrolee,
// the last state change or when Kpm was set, so those fields are left for the caller to fill
// where it knows them (e.g. in the response to the mutation itself).
::onem2m::rsp::v1::Enrolee EnroleeToProto(const Enrolee& e);

// SetGrants replaces `spec`'s fetch_grants with `grants`.
void SetGrants(const std::vector<FetchGrant>& grants, ::onem2m::rsp::v1::EnroleeSpec* spec);

// IsInvalidated is true when an enrolment can no longer be used: revoked, or expired at `now`.
bool IsInvalidated(const Enrolment& e, absl::Time now);

// EnrolmentToProto copies the non-secret fields (never Ke).
::onem2m::rsp::v1::Enrolment EnrolmentToProto(const Enrolment& e, absl::Time now);

}  // namespace mef
}  // namespace onem2m

#endif  // ONEM2M_MEF_ADMIN_PROTO_CONVERT_H_

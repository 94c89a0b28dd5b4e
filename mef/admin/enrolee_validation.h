// File: mef/admin/enrolee_validation.h
//
// Input rules of MefAdminService (docs/protocol.md section 1, mef_admin.proto): each check returns
// INVALID_ARGUMENT with a message that starts with the offending field's name, so an operator
// reading an import summary knows which column to fix. Messages never quote Kpm.
//
//   absl::Status s = ValidateSpec(request.spec());
//   if (s.ok()) s = ValidateKpmSize("kpm", request.kpm().size());
//   absl::StatusOr<Enrolee> e = SpecToEnrolee(request.spec());   // validated, store form
#ifndef ONEM2M_MEF_ADMIN_ENROLEE_VALIDATION_H_
#define ONEM2M_MEF_ADMIN_ENROLEE_VALIDATION_H_

#include <vector>

#include <cstddef>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "mef/store/enrolee_store.h"
#include "proto/onem2m/rsp/v1/mef_admin.pb.h"

namespace onem2m {
namespace mef {

inline constexpr size_t kMinKpmLen = 16;
inline constexpr size_t kMaxKpmLen = 64;
inline constexpr size_t kMaxReasonLen = 1024;
inline constexpr size_t kMaxMafUriLen = 2048;

// ValidateKpmId checks a KpmID: UTF-8 without NUL, 1..128 bytes.
absl::Status ValidateKpmIdField(absl::string_view kpm_id);

// ValidateKpmSize checks that a Kpm is 16..64 bytes; `field` is "kpm" or "new_kpm".
absl::Status ValidateKpmSize(absl::string_view field, size_t kpm_len);

// ValidateReason checks an operator's reason: at most 1024 bytes of UTF-8; `required` also
// refuses an empty one (RevokeEnrolee).
absl::Status ValidateReason(absl::string_view reason, bool required);

// ValidateSpec checks every field of an EnroleeSpec (kpm_id, enrolee_id, maf_id, maf_uri,
// enrolment_lifetime, fetch_grants).
absl::Status ValidateSpec(const ::onem2m::rsp::v1::EnroleeSpec& spec);

// GrantsFromProto validates fetch grants (at most kMaxFetchGrants; each target_id a lower-case
// ASCII FQDN, as 10.3.7's Enrolment-Target-ID; suid at least 1) and returns them in store form,
// sorted, without duplicates. Messages start with "fetch_grants".
absl::StatusOr<std::vector<FetchGrant>> GrantsFromProto(
    const ::google::protobuf::RepeatedPtrField<::onem2m::rsp::v1::FetchGrant>& grants);

// SpecToEnrolee validates `spec` and returns the store record without Kpm (state active).
absl::StatusOr<Enrolee> SpecToEnrolee(const ::onem2m::rsp::v1::EnroleeSpec& spec);

}  // namespace mef
}  // namespace onem2m

#endif  // ONEM2M_MEF_ADMIN_ENROLEE_VALIDATION_H_

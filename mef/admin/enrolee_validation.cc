#include "mef/admin/enrolee_validation.h"

#include <cstdint>
#include <string>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "common/crypto/key_id.h"

namespace onem2m {
namespace mef {
namespace {

namespace v1 = ::onem2m::rsp::v1;

// Prefix names the field in front of a validator's message, unless it already starts with it.
absl::Status Prefix(absl::string_view field, const absl::Status& s) {
  if (s.ok()) return s;
  if (absl::StartsWith(s.message(), field)) return absl::InvalidArgumentError(s.message());
  return absl::InvalidArgumentError(absl::StrCat(field, ": ", s.message()));
}

// ValidateMafUri accepts printable ASCII without spaces; the MEF only echoes the URI to the
// Enrolee, so a full RFC 3986 parse would add nothing but rejections of valid URIs.
absl::Status ValidateMafUri(absl::string_view uri) {
  if (uri.size() > kMaxMafUriLen) {
    return absl::InvalidArgumentError(
        absl::StrCat("maf_uri: at most ", kMaxMafUriLen, " bytes, got ", uri.size()));
  }
  for (char c : uri) {
    if (c < 0x21 || c > 0x7E) {
      return absl::InvalidArgumentError("maf_uri: printable ASCII without whitespace only");
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<std::optional<absl::Duration>> Lifetime(const v1::EnroleeSpec& spec) {
  if (!spec.has_enrolment_lifetime()) return std::optional<absl::Duration>();
  const auto& d = spec.enrolment_lifetime();
  if (d.seconds() == 0 && d.nanos() == 0) return std::optional<absl::Duration>();
  if (d.seconds() < 0 || d.nanos() < 0 || d.nanos() > 999999999 ||
      d.seconds() > int64_t{315576000000}) {
    return absl::InvalidArgumentError(
        "enrolment_lifetime: must be positive (0 or unset means the MEF default)");
  }
  return std::optional<absl::Duration>(absl::Seconds(d.seconds()) + absl::Nanoseconds(d.nanos()));
}

}  // namespace

absl::Status ValidateKpmIdField(absl::string_view kpm_id) {
  return Prefix("kpm_id", crypto::ValidateKpmId(kpm_id));
}

absl::Status ValidateKpmSize(absl::string_view field, size_t kpm_len) {
  if (kpm_len < kMinKpmLen || kpm_len > kMaxKpmLen) {
    return absl::InvalidArgumentError(absl::StrCat(field, ": must be ", kMinKpmLen, "..",
                                                   kMaxKpmLen, " bytes, got ", kpm_len));
  }
  return absl::OkStatus();
}

absl::Status ValidateReason(absl::string_view reason, bool required) {
  if (required && reason.empty()) {
    return absl::InvalidArgumentError("reason: required");
  }
  if (reason.size() > kMaxReasonLen) {
    return absl::InvalidArgumentError(
        absl::StrCat("reason: at most ", kMaxReasonLen, " bytes, got ", reason.size()));
  }
  // proto3 `string` fields are already UTF-8-checked by the protobuf parser, so only NUL remains.
  if (reason.find('\0') != absl::string_view::npos) {
    return absl::InvalidArgumentError("reason: must not contain NUL");
  }
  return absl::OkStatus();
}

absl::Status ValidateSpec(const v1::EnroleeSpec& spec) {
  absl::Status s = ValidateKpmIdField(spec.kpm_id());
  if (!s.ok()) return s;
  s = Prefix("enrolee_id", crypto::ValidateEnroleeId(spec.enrolee_id()));
  if (!s.ok()) return s;
  if (spec.maf_id().empty()) return absl::InvalidArgumentError("maf_id: required");
  s = Prefix("maf_id", crypto::ValidateFqdn(spec.maf_id()));
  if (!s.ok()) return s;
  s = GrantsFromProto(spec.fetch_grants()).status();
  if (!s.ok()) return s;
  s = ValidateMafUri(spec.maf_uri());
  if (!s.ok()) return s;
  return Lifetime(spec).status();
}

absl::StatusOr<std::vector<FetchGrant>> GrantsFromProto(
    const google::protobuf::RepeatedPtrField<v1::FetchGrant>& grants) {
  if (grants.size() > static_cast<int>(kMaxFetchGrants)) {
    return absl::InvalidArgumentError(
        absl::StrCat("fetch_grants: at most ", kMaxFetchGrants, ", got ", grants.size()));
  }
  std::vector<FetchGrant> out;
  out.reserve(grants.size());
  for (int i = 0; i < grants.size(); ++i) {
    const v1::FetchGrant& g = grants.Get(i);
    const std::string field = absl::StrCat("fetch_grants[", i, "]");
    absl::Status s = crypto::ValidateFqdn(g.target_id());
    if (!s.ok()) return Prefix(field, absl::InvalidArgumentError(absl::StrCat("target_id: ", s.message())));
    if (g.suid() == 0) return absl::InvalidArgumentError(absl::StrCat(field, ": suid: must be at least 1"));
    out.push_back(FetchGrant{g.target_id(), g.suid()});
  }
  return SortedUnique(std::move(out));
}

absl::StatusOr<Enrolee> SpecToEnrolee(const v1::EnroleeSpec& spec) {
  absl::Status s = ValidateSpec(spec);
  if (!s.ok()) return s;
  Enrolee e;
  e.kpm_id = spec.kpm_id();
  e.enrolee_id = spec.enrolee_id();
  e.maf_id = spec.maf_id();
  if (!spec.maf_uri().empty()) e.maf_uri = spec.maf_uri();
  e.enrolment_lifetime = *Lifetime(spec);
  e.fetch_grants = *GrantsFromProto(spec.fetch_grants());
  e.state = EnroleeState::kActive;
  return e;
}

}  // namespace mef
}  // namespace onem2m

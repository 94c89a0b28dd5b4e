// Field readers and checks shared by the MAF message schemas; see maf_fields.h.
#include "common/exchange/internal/maf_fields.h"

#include <cstdint>
#include <utility>

#include "absl/strings/str_cat.h"
#include "common/exchange/internal/json_fields.h"

namespace onem2m {
namespace exchange {
namespace internal {

using nlohmann::json;

absl::Status Invalid(absl::string_view where, absl::string_view field, absl::string_view what) {
  return absl::InvalidArgumentError(absl::StrCat("field \"", where, ".", field, "\" ", what));
}

absl::StatusOr<json> ParseObject(absl::string_view body, absl::string_view where,
                                 std::initializer_list<absl::string_view> allowed) {
  absl::StatusOr<json> j = ParseStrictJson(body);
  if (!j.ok()) return j.status();
  absl::Status s = RejectUnknownFields(*j, where, allowed);
  if (!s.ok()) return s;
  return j;
}

absl::Status CheckObject(const json& j, absl::string_view where,
                         std::initializer_list<absl::string_view> allowed) {
  absl::Status s = RequireObject(j, where);
  if (!s.ok()) return s;
  return RejectUnknownFields(j, where, allowed);
}

bool Has(const json& j, absl::string_view field) { return j.contains(std::string(field)); }

// --- identifiers, lists and labels ---

absl::Status CheckIds(const std::vector<std::string>& ids, absl::string_view where,
                      absl::string_view field) {
  if (ids.empty() || ids.size() > kMaxTargetIds) {
    return Invalid(where, field, absl::StrCat("must have 1..", kMaxTargetIds, " entries"));
  }
  for (const std::string& id : ids) {
    absl::Status s = CheckId(id, where, field);
    if (!s.ok()) return s;
  }
  return absl::OkStatus();
}

absl::StatusOr<std::optional<std::vector<std::string>>> ReadOptionalIdList(
    const json& j, absl::string_view where, absl::string_view field) {
  if (!Has(j, field)) return std::optional<std::vector<std::string>>();
  absl::StatusOr<std::vector<std::string>> ids = ReadIdList(j, where, field, 1, kMaxTargetIds);
  if (!ids.ok()) return ids.status();
  return std::optional<std::vector<std::string>>(std::move(*ids));
}

namespace {

// CheckToken applies TS-0004 xs:token (6.3.2): no leading, trailing or doubled spaces (control
// characters are refused by CheckId already).
absl::Status CheckToken(const std::string& label, absl::string_view where) {
  if (label.front() == ' ' || label.back() == ' ' || label.find("  ") != std::string::npos) {
    return Invalid(where, "labels",
                   "entries must be xs:token: no leading, trailing or repeated spaces");
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status CheckLabels(const Labels& labels, absl::string_view where) {
  if (labels.empty() || labels.size() > kMaxLabels) {
    return Invalid(where, "labels", absl::StrCat("must have 1..", kMaxLabels, " entries"));
  }
  for (const std::string& l : labels) {
    absl::Status s = CheckId(l, where, "labels");
    if (s.ok()) s = CheckToken(l, where);
    if (!s.ok()) return s;
  }
  return absl::OkStatus();
}

// ReadOptionalLabels reads m2m:labels (TS-0004 Table 6.3.3-1): a list of at least one xs:token.
absl::StatusOr<std::optional<Labels>> ReadOptionalLabels(const json& j, absl::string_view where) {
  if (!Has(j, "labels")) return std::optional<Labels>();
  absl::StatusOr<std::vector<std::string>> l = ReadIdList(j, where, "labels", 1, kMaxLabels);
  if (!l.ok()) return l.status();
  for (const std::string& label : *l) {
    absl::Status s = CheckToken(label, where);
    if (!s.ok()) return s;
  }
  return std::optional<Labels>(std::move(*l));
}

// ReadFqdn reads an FQDN parameter (mafFQDN, adminFQDN, fqdn): an identifier without '@'.
absl::StatusOr<std::string> ReadFqdn(const json& j, absl::string_view where,
                                     absl::string_view field) {
  absl::StatusOr<std::string> v = ReadId(j, where, field);
  if (!v.ok()) return v.status();
  if (v->find_first_of("@ /") != std::string::npos) {
    return Invalid(where, field, "must be an FQDN");
  }
  return v;
}

absl::Status CheckFqdn(const std::string& v, absl::string_view where, absl::string_view field) {
  absl::Status s = CheckId(v, where, field);
  if (s.ok() && v.find_first_of("@ /") != std::string::npos) {
    s = Invalid(where, field, "must be an FQDN");
  }
  return s;
}

// --- SUID ---

absl::Status CheckSuid(int64_t suid, absl::string_view where) {
  if (suid < kMinMafSuid || suid > kMaxMafSuid) {
    return Invalid(where, "suid",
                   absl::StrCat("must be ", kMinMafSuid, "..", kMaxMafSuid,
                                " (a MAF-distributed symmetric key, TS-0004 Table 6.3.4.2.39-1); "
                                "got ",
                                suid));
  }
  return absl::OkStatus();
}

absl::StatusOr<int> ReadSuid(const json& j, absl::string_view where) {
  absl::StatusOr<int64_t> suid = ReadInt(j, where, "suid", INT32_MIN, INT32_MAX);
  if (!suid.ok()) return suid.status();
  absl::Status s = CheckSuid(*suid, where);
  if (!s.ok()) return s;
  return static_cast<int>(*suid);
}

absl::StatusOr<std::optional<int>> ReadOptionalPort(const json& j, absl::string_view where,
                                                    absl::string_view field) {
  if (!Has(j, field)) return std::optional<int>();
  absl::StatusOr<int64_t> p = ReadInt(j, where, field, 1, 65535);
  if (!p.ok()) return p.status();
  return std::optional<int>(static_cast<int>(*p));
}

// --- key references (RelativeKeyID + MAF-FQDN, or the joined alias) ---

absl::Status CheckRelative(const std::string& rel, absl::string_view where) {
  absl::Status s = CheckId(rel, where, "relativeKeyID");
  if (s.ok() && rel.find('@') != std::string::npos) {
    s = Invalid(where, "relativeKeyID", "must not contain '@' (use \"keyID\" for the joined form)");
  }
  return s;
}

// ReadKeyRef reads {"relativeKeyID", "mafFQDN"} (mafFQDN mandatory when `fqdn_required`, and only
// allowed by the caller's field list when the table has it) or the alias {"keyID"}, whose FQDN
// must then agree with a "mafFQDN" sent beside it.
absl::StatusOr<KeyRef> ReadKeyRef(const json& j, absl::string_view where, bool fqdn_required) {
  const bool joined = Has(j, "keyID");
  if (joined && Has(j, "relativeKeyID")) {
    return absl::InvalidArgumentError(
        absl::StrCat(where, " needs one of \"relativeKeyID\" and \"keyID\", not both"));
  }
  std::optional<std::string> fqdn;
  if (Has(j, "mafFQDN")) {
    absl::StatusOr<std::string> f = ReadFqdn(j, where, "mafFQDN");
    if (!f.ok()) return f.status();
    fqdn = std::move(*f);
  }
  if (joined) {
    absl::StatusOr<std::string> id = ReadId(j, where, "keyID");
    if (!id.ok()) return id.status();
    absl::StatusOr<KeyRef> ref = SplitKeyId(*id, absl::StrCat(where, ".keyID"));
    if (!ref.ok()) return ref.status();
    if (fqdn.has_value() && *fqdn != ref->maf_fqdn) {
      return Invalid(where, "mafFQDN", "differs from the FQDN of \"keyID\"");
    }
    return ref;
  }
  if (!Has(j, "relativeKeyID")) {
    return absl::InvalidArgumentError(
        absl::StrCat("field \"", where, ".relativeKeyID\" is missing"));
  }
  absl::StatusOr<std::string> rel = ReadId(j, where, "relativeKeyID");
  if (!rel.ok()) return rel.status();
  absl::Status s = CheckRelative(*rel, where);
  if (!s.ok()) return s;
  if (fqdn_required && !fqdn.has_value()) {
    return absl::InvalidArgumentError(absl::StrCat("field \"", where, ".mafFQDN\" is missing"));
  }
  return KeyRef{std::move(*rel), fqdn.value_or("")};
}

// WriteKeyRef writes the tables' form: relativeKeyID, plus mafFQDN when `with_fqdn`.
absl::Status WriteKeyRef(const KeyRef& ref, absl::string_view where, bool with_fqdn, json* j) {
  absl::Status s = CheckRelative(ref.relative_key_id, where);
  if (s.ok() && with_fqdn) s = CheckFqdn(ref.maf_fqdn, where, "mafFQDN");
  if (!s.ok()) return s;
  (*j)["relativeKeyID"] = ref.relative_key_id;
  if (with_fqdn) (*j)["mafFQDN"] = ref.maf_fqdn;
  return absl::OkStatus();
}

absl::Status ReadOptionalTimeInto(const json& j, absl::string_view where,
                                  std::optional<absl::Time>* out) {
  absl::StatusOr<std::optional<absl::Time>> t = ReadOptionalTime(j, where, "expirationTime");
  if (!t.ok()) return t.status();
  *out = *t;
  return absl::OkStatus();
}

absl::Status ReadTimeInto(const json& j, absl::string_view where, absl::Time* out) {
  absl::StatusOr<absl::Time> t = ReadTime(j, where, "expirationTime");
  if (!t.ok()) return t.status();
  *out = *t;
  return absl::OkStatus();
}

absl::Status ReadLabelsInto(const json& j, absl::string_view where, std::optional<Labels>* out) {
  absl::StatusOr<std::optional<Labels>> l = ReadOptionalLabels(j, where);
  if (!l.ok()) return l.status();
  *out = std::move(*l);
  return absl::OkStatus();
}

absl::Status ReadIdInto(const json& j, absl::string_view where, absl::string_view field,
                        std::string* out) {
  absl::StatusOr<std::string> v = ReadId(j, where, field);
  if (!v.ok()) return v.status();
  *out = std::move(*v);
  return absl::OkStatus();
}

absl::Status ReadFqdnInto(const json& j, absl::string_view where, absl::string_view field,
                          std::string* out) {
  absl::StatusOr<std::string> v = ReadFqdn(j, where, field);
  if (!v.ok()) return v.status();
  *out = std::move(*v);
  return absl::OkStatus();
}

void PutLabels(const std::optional<Labels>& labels, json* j) {
  if (labels.has_value()) (*j)["labels"] = *labels;
}

absl::Status CheckOptionalLabels(const std::optional<Labels>& labels, absl::string_view where) {
  return labels.has_value() ? CheckLabels(*labels, where) : absl::OkStatus();
}

}  // namespace internal
}  // namespace exchange
}  // namespace onem2m

// File: common/exchange/internal/maf_fields.h
//
// Field readers and checks shared by the MAF message schemas (maf_messages.h): the client
// procedures (maf_client_messages.cc, 8.8.2.3 .. 8.8.2.6) and the key procedures
// (maf_key_messages.cc, 8.8.2.7 .. 8.8.2.10) read and write the same identifiers, FQDNs, labels,
// SUIDs and key references, so both refuse exactly the same input with the same error text.
// Errors name the field as "where.field", like json_fields.h.
//
//   absl::StatusOr<nlohmann::json> j = ParseObject(body, "keyRetrieval", {"keyID"});
//   absl::StatusOr<KeyRef> ref = ReadKeyRef(*j, "keyRetrieval", /*fqdn_required=*/false);
#ifndef ONEM2M_COMMON_EXCHANGE_INTERNAL_MAF_FIELDS_H_
#define ONEM2M_COMMON_EXCHANGE_INTERNAL_MAF_FIELDS_H_

#include <cstdint>
#include <initializer_list>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "common/exchange/maf_messages.h"

namespace onem2m {
namespace exchange {
namespace internal {

// Invalid is the InvalidArgument error "field \"where.field\" what".
absl::Status Invalid(absl::string_view where, absl::string_view field, absl::string_view what);

// ParseObject parses `body` as one strict JSON object whose members are all in `allowed`.
absl::StatusOr<nlohmann::json> ParseObject(absl::string_view body, absl::string_view where,
                                           std::initializer_list<absl::string_view> allowed);

// CheckObject requires an answer body to be an object whose members are all in `allowed`.
absl::Status CheckObject(const nlohmann::json& j, absl::string_view where,
                         std::initializer_list<absl::string_view> allowed);

bool Has(const nlohmann::json& j, absl::string_view field);

// --- identifiers, lists and labels ---

// CheckIds requires 1..kMaxTargetIds identifiers.
absl::Status CheckIds(const std::vector<std::string>& ids, absl::string_view where,
                      absl::string_view field);
absl::StatusOr<std::optional<std::vector<std::string>>> ReadOptionalIdList(const nlohmann::json& j,
                                                                           absl::string_view where,
                                                                           absl::string_view field);

// CheckLabels requires m2m:labels: 1..kMaxLabels xs:token entries.
absl::Status CheckLabels(const Labels& labels, absl::string_view where);
absl::Status CheckOptionalLabels(const std::optional<Labels>& labels, absl::string_view where);
absl::Status ReadLabelsInto(const nlohmann::json& j, absl::string_view where,
                            std::optional<Labels>* out);
// PutLabels writes "labels" only when there are some.
void PutLabels(const std::optional<Labels>& labels, nlohmann::json* j);

// An FQDN parameter (mafFQDN, adminFQDN, fqdn) is an identifier without '@', ' ' or '/'.
absl::StatusOr<std::string> ReadFqdn(const nlohmann::json& j, absl::string_view where,
                                     absl::string_view field);
absl::Status CheckFqdn(const std::string& v, absl::string_view where, absl::string_view field);
absl::Status ReadFqdnInto(const nlohmann::json& j, absl::string_view where, absl::string_view field,
                          std::string* out);

absl::Status ReadIdInto(const nlohmann::json& j, absl::string_view where, absl::string_view field,
                        std::string* out);

// --- SUID and ports ---

// CheckSuid requires a MAF-distributed symmetric key's SUID (kMinMafSuid..kMaxMafSuid).
absl::Status CheckSuid(int64_t suid, absl::string_view where);
absl::StatusOr<int> ReadSuid(const nlohmann::json& j, absl::string_view where);
absl::StatusOr<std::optional<int>> ReadOptionalPort(const nlohmann::json& j,
                                                    absl::string_view where,
                                                    absl::string_view field);

// --- key references (RelativeKeyID + MAF-FQDN, or the joined alias) ---

absl::Status CheckRelative(const std::string& rel, absl::string_view where);

// ReadKeyRef reads {"relativeKeyID", "mafFQDN"} (mafFQDN mandatory when `fqdn_required`, and only
// allowed by the caller's field list when the table has it) or the alias {"keyID"}, whose FQDN
// must then agree with a "mafFQDN" sent beside it.
absl::StatusOr<KeyRef> ReadKeyRef(const nlohmann::json& j, absl::string_view where,
                                  bool fqdn_required);

// WriteKeyRef writes the tables' form: relativeKeyID, plus mafFQDN when `with_fqdn`.
absl::Status WriteKeyRef(const KeyRef& ref, absl::string_view where, bool with_fqdn,
                         nlohmann::json* j);

// --- expirationTime ---

absl::Status ReadOptionalTimeInto(const nlohmann::json& j, absl::string_view where,
                                  std::optional<absl::Time>* out);
absl::Status ReadTimeInto(const nlohmann::json& j, absl::string_view where, absl::Time* out);

}  // namespace internal
}  // namespace exchange
}  // namespace onem2m

#endif  // ONEM2M_COMMON_EXCHANGE_INTERNAL_MAF_FIELDS_H_

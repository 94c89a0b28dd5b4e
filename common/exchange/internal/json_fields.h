// File: common/exchange/internal/json_fields.h
//
// Strict JSON helpers behind the message schemas (enrolment_messages.h, maf_messages.h). Every
// nlohmann/json exception stops here: parsing catches them, and readers check types before they
// convert, so no exception reaches a caller. Errors name the field as "where.field".
//
//   absl::StatusOr<nlohmann::json> j = ParseStrictJson(body);
//   absl::Status s = RejectUnknownFields(*j, "keyRetrieval", {"keyID"});
//   absl::StatusOr<std::string> key_id = ReadId(*j, "keyRetrieval", "keyID");
#ifndef ONEM2M_COMMON_EXCHANGE_INTERNAL_JSON_FIELDS_H_
#define ONEM2M_COMMON_EXCHANGE_INTERNAL_JSON_FIELDS_H_

#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "common/secret_bytes.h"

namespace onem2m {
namespace exchange {
namespace internal {

inline constexpr size_t kMaxIdLength = 256;
inline constexpr int kMaxJsonDepth = 8;

// ParseStrictJson parses `text` as one JSON object. It refuses duplicate keys (so two parsers can
// never read different values from one message), nesting deeper than kMaxJsonDepth and invalid
// UTF-8.
absl::StatusOr<nlohmann::json> ParseStrictJson(absl::string_view text);

// DumpJson serialises without throwing (invalid UTF-8 is replaced, which cannot happen for values
// that passed the readers below).
std::string DumpJson(const nlohmann::json& j);

absl::Status RequireObject(const nlohmann::json& j, absl::string_view where);
absl::Status RejectUnknownFields(const nlohmann::json& obj, absl::string_view where,
                                 std::initializer_list<absl::string_view> allowed);

// ReadId reads a required identifier: a string of 1..kMaxIdLength bytes without control characters.
absl::StatusOr<std::string> ReadId(const nlohmann::json& obj, absl::string_view where,
                                   absl::string_view field);
absl::StatusOr<std::optional<std::string>> ReadOptionalId(const nlohmann::json& obj,
                                                          absl::string_view where,
                                                          absl::string_view field);
// ReadIdList reads an array of `min_count`..`max_count` distinct identifiers.
absl::StatusOr<std::vector<std::string>> ReadIdList(const nlohmann::json& obj,
                                                    absl::string_view where,
                                                    absl::string_view field, size_t min_count,
                                                    size_t max_count);
// ReadInt reads a JSON integer (not a float or bool) in [min, max].
absl::StatusOr<int64_t> ReadInt(const nlohmann::json& obj, absl::string_view where,
                                absl::string_view field, int64_t min, int64_t max);
absl::StatusOr<absl::Time> ReadTime(const nlohmann::json& obj, absl::string_view where,
                                    absl::string_view field);
absl::StatusOr<std::optional<absl::Time>> ReadOptionalTime(const nlohmann::json& obj,
                                                           absl::string_view where,
                                                           absl::string_view field);
// ReadKey reads canonical, padded base64 (RFC 4648 4) of 16..64 bytes into wiping storage.
absl::StatusOr<SecretBytes> ReadKey(const nlohmann::json& obj, absl::string_view where,
                                    absl::string_view field);

// CheckId applies ReadId's rules to a value about to be serialised.
absl::Status CheckId(absl::string_view value, absl::string_view where, absl::string_view field);
absl::Status CheckKey(const SecretBytes& key, absl::string_view where, absl::string_view field);

// FormatM2mTime writes a TS-0004 V3.32 m2m:timestamp (clause 6.3.3, ISO 8601 basic format, UTC
// implied, no zone): "YYYYMMDDThhmmss", e.g. "20261129T081500". Sub-second parts are dropped, so
// a peer is never told a time later than the real one.
std::string FormatM2mTime(absl::Time t);

// ParseM2mTime reads an m2m:timestamp. It accepts the fractional seconds TS-0004 6.3.3 requires a
// receiver to accept ("YYYYMMDDThhmmss,ffffff", 1..6 digits; "." as in ISO 8601 too) and rounds
// them up to the next whole second, as that clause allows for an expiration time. A trailing "Z"
// is tolerated (UTC is implied anyway) but never written. kInvalidArgument for anything else:
// other zones, reduced forms, out-of-range fields (month 13, 30 February, second 60).
absl::StatusOr<absl::Time> ParseM2mTime(absl::string_view text);

// EncodeKey returns the base64 text for `key`.
// WARNING: the returned string holds key material; wipe it (WipeString) when done.
std::string EncodeKey(const SecretBytes& key);

}  // namespace internal
}  // namespace exchange
}  // namespace onem2m

#endif  // ONEM2M_COMMON_EXCHANGE_INTERNAL_JSON_FIELDS_H_

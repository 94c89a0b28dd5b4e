// File: common/coap/onem2m_options.h
//
// The oneM2M CoAP options of TS-0008 V3.9 clause 6.2.2.4, table 6.2.2.4.0-1 (number, format,
// length), and the numbering used before TS-0008 V3.7 (SDS-2022-0153 moved the elective even
// numbers to critical odd ones for IANA registration). Every option of the table is critical,
// unsafe and not repeatable.
//
//   const OneM2mOptionSpec* spec = FindOneM2mOption(283, OptionNumbering::kTs0008V3_9);
//   // spec->name == "oneM2M-RQI", spec->format == OptionFormat::kString, 0..255 bytes
#ifndef ONEM2M_COMMON_COAP_ONEM2M_OPTIONS_H_
#define ONEM2M_COMMON_COAP_ONEM2M_OPTIONS_H_

#include <cstddef>
#include <cstdint>

#include "absl/strings/string_view.h"

namespace onem2m {
namespace coap {

// OptionNumbering says which option numbers a message uses.
enum class OptionNumbering : uint8_t {
  kTs0008V3_9 = 0,  // table 6.2.2.4.0-1 of TS-0008 V3.9 (FR 279, RQI 283, RSC 307, ...)
  kLegacy = 1,      // before TS-0008 V3.7 (FR 256, RQI 257, RSC 265, ...); only behind a switch
};

// OneM2mParam names the primitive parameter an option carries (TS-0008 6.2.2.4.1 .. 6.2.2.4.20).
enum class OneM2mParam : uint8_t {
  kFrom,                      // oneM2M-FR
  kRequestIdentifier,         // oneM2M-RQI
  kOriginatingTimestamp,      // oneM2M-OT
  kRequestExpiration,         // oneM2M-RQET
  kResultExpiration,          // oneM2M-RSET
  kOperationExecutionTime,    // oneM2M-OET
  kNotificationUri,           // oneM2M-RTURI
  kEventCategory,             // oneM2M-EC
  kResponseStatusCode,        // oneM2M-RSC
  kGroupRequestIdentifier,    // oneM2M-GID
  kResourceType,              // oneM2M-TY
  kContentOffset,             // oneM2M-CTO
  kContentStatus,             // oneM2M-CTS
  kAssignedTokenIdentifiers,  // oneM2M-ATI
  kReleaseVersionIndicator,   // oneM2M-RVI
  kVendorInformation,         // oneM2M-VSI
  kGroupTargetMembers,        // oneM2M-GTM
  kAuthorizationSignatures,   // oneM2M-AUS
  kAuthSignatureRequestInfo,  // oneM2M-ASRI
};

enum class OptionFormat : uint8_t { kString, kUint };

struct OneM2mOptionSpec {
  OneM2mParam param;
  absl::string_view name;  // e.g. "oneM2M-FR"
  uint16_t number;         // TS-0008 V3.9 table 6.2.2.4.0-1
  // The number before V3.7, 0 where this project does not rely on it: the issue that asked for
  // the switch names FR 256, RQI 257 and RSC 265; OT, RTURI, TY, RVI and ASRI kept their numbers.
  uint16_t legacy_number;
  OptionFormat format;
  // Value length in bytes, as in the table's Length column. For uint options the table gives the
  // largest length; RFC 7252 3.2 lets a sender drop leading zero bytes, so 0..max is accepted.
  size_t min_len;
  size_t max_len;
};

// OneM2mOptionTable returns the 19 rows of table 6.2.2.4.0-1 (`*out_len` receives the count).
const OneM2mOptionSpec* OneM2mOptionTable(size_t* out_len);

// FindOneM2mOption returns the row whose number in `numbering` is `number`, or nullptr.
const OneM2mOptionSpec* FindOneM2mOption(uint16_t number, OptionNumbering numbering);

// OneM2mOptionNumber returns the number of `param` in `numbering`.
uint16_t OneM2mOptionNumber(OneM2mParam param, OptionNumbering numbering);

// IsLegacyRange is true for 256..278, the block the pre-V3.7 numbering used. In legacy mode the
// numbers of that block without a row here (the old RQET, RSET, OET, EC, GID, CTO, CTS, ATI, VSI,
// GTM, AUS) are accepted and ignored, as this service always did.
bool IsLegacyRange(uint16_t number);

}  // namespace coap
}  // namespace onem2m

#endif  // ONEM2M_COMMON_COAP_ONEM2M_OPTIONS_H_

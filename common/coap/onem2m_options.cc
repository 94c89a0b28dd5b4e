#include "common/coap/onem2m_options.h"

namespace onem2m {
namespace coap {
namespace {

constexpr OptionFormat kStr = OptionFormat::kString;
constexpr OptionFormat kUint = OptionFormat::kUint;

// TS-0008 V3.9 table 6.2.2.4.0-1, in the table's order. Columns: parameter, name, number,
// pre-V3.7 number (0: not used here), format, min and max length.
constexpr OneM2mOptionSpec kTable[] = {
    {OneM2mParam::kFrom, "oneM2M-FR", 279, 256, kStr, 0, 255},
    {OneM2mParam::kRequestIdentifier, "oneM2M-RQI", 283, 257, kStr, 0, 255},
    {OneM2mParam::kOriginatingTimestamp, "oneM2M-OT", 259, 259, kStr, 15, 15},
    {OneM2mParam::kRequestExpiration, "oneM2M-RQET", 291, 0, kStr, 15, 15},
    {OneM2mParam::kResultExpiration, "oneM2M-RSET", 295, 0, kStr, 15, 15},
    {OneM2mParam::kOperationExecutionTime, "oneM2M-OET", 299, 0, kStr, 15, 15},
    {OneM2mParam::kNotificationUri, "oneM2M-RTURI", 263, 263, kStr, 0, 255},
    {OneM2mParam::kEventCategory, "oneM2M-EC", 303, 0, kUint, 0, 1},
    {OneM2mParam::kResponseStatusCode, "oneM2M-RSC", 307, 265, kUint, 0, 2},
    {OneM2mParam::kGroupRequestIdentifier, "oneM2M-GID", 311, 0, kStr, 0, 255},
    {OneM2mParam::kResourceType, "oneM2M-TY", 267, 267, kUint, 0, 2},
    {OneM2mParam::kContentOffset, "oneM2M-CTO", 319, 0, kUint, 0, 2},
    {OneM2mParam::kContentStatus, "oneM2M-CTS", 323, 0, kUint, 0, 2},
    {OneM2mParam::kAssignedTokenIdentifiers, "oneM2M-ATI", 327, 0, kStr, 0, 255},
    {OneM2mParam::kReleaseVersionIndicator, "oneM2M-RVI", 271, 271, kStr, 1, 2},
    {OneM2mParam::kVendorInformation, "oneM2M-VSI", 331, 0, kStr, 0, 255},
    {OneM2mParam::kGroupTargetMembers, "oneM2M-GTM", 335, 0, kStr, 0, 512},
    {OneM2mParam::kAuthorizationSignatures, "oneM2M-AUS", 339, 0, kStr, 0, 255},
    {OneM2mParam::kAuthSignatureRequestInfo, "oneM2M-ASRI", 275, 275, kStr, 0, 255},
};

}  // namespace

const OneM2mOptionSpec* OneM2mOptionTable(size_t* out_len) {
  *out_len = sizeof(kTable) / sizeof(kTable[0]);
  return kTable;
}

const OneM2mOptionSpec* FindOneM2mOption(uint16_t number, OptionNumbering numbering) {
  if (number == 0) return nullptr;
  for (const OneM2mOptionSpec& row : kTable) {
    const uint16_t n = numbering == OptionNumbering::kLegacy ? row.legacy_number : row.number;
    if (n == number) return &row;
  }
  return nullptr;
}

uint16_t OneM2mOptionNumber(OneM2mParam param, OptionNumbering numbering) {
  for (const OneM2mOptionSpec& row : kTable) {
    if (row.param == param) {
      return numbering == OptionNumbering::kLegacy ? row.legacy_number : row.number;
    }
  }
  return 0;
}

bool IsLegacyRange(uint16_t number) { return number >= 256 && number <= 278; }

}  // namespace coap
}  // namespace onem2m

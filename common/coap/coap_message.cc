#include "common/coap/coap_message.h"

#include "absl/strings/str_format.h"

namespace onem2m {
namespace coap {

std::string CodeToString(uint8_t code) {
  return absl::StrFormat("%d.%02d", CodeClass(code), CodeDetail(code));
}

}  // namespace coap
}  // namespace onem2m

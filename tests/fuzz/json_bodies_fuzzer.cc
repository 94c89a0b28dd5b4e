// libFuzzer target: every JSON body schema of the enrolment and MAF procedures
// (common/exchange/enrolment_messages.h, maf_messages.h): the six request parsers on the raw body
// and the four answer parsers on whatever nlohmann::json makes of it. None may crash or throw.
#include <cstddef>
#include <cstdint>

#include "absl/strings/string_view.h"
#include "common/exchange/enrolment_messages.h"
#include "common/exchange/maf_messages.h"
#include "nlohmann/json.hpp"

namespace ex = onem2m::exchange;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  absl::string_view body(reinterpret_cast<const char*>(data), size);
  (void)ex::ParseEnrolmentRequest(body);
  (void)ex::ParseClientRegistrationRequest(body);
  (void)ex::ParseKeyRegistrationRequest(body);
  (void)ex::ParseKeyRetrievalRequest(body);
  (void)ex::ParseKeyUpdateRequest(body);
  (void)ex::ParseDeregistrationRequest(body);
  nlohmann::json j = nlohmann::json::parse(body.begin(), body.end(), nullptr,
                                           /*allow_exceptions=*/false);
  (void)ex::ParseEnrolmentAnswer(j);
  (void)ex::ParseClientRegistrationAnswer(j);
  (void)ex::ParseKeyRegistrationAnswer(j);
  (void)ex::ParseKeyRetrievalAnswer(j);
  return 0;
}

// libFuzzer target: every JSON body schema of the enrolment and MAF procedures
// (common/exchange/enrolment_messages.h, maf_messages.h): the request and message parsers on the
// raw body, and the answer parsers (what a device reads from the MEF or MAF) on whatever
// nlohmann::json makes of it. None may crash or throw.
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
  (void)ex::ParseClientConfigRetrievalRequest(body);
  (void)ex::ParseClientRegistrationUpdateRequest(body);
  (void)ex::ParseClientDeregistrationRequest(body);
  (void)ex::ParseKeyDeregistrationRequest(body);
  (void)ex::ParseEnrolmentMessage(body);
  (void)ex::ParseEnrolmentResult(body);
  nlohmann::json j = nlohmann::json::parse(body.begin(), body.end(), nullptr,
                                           /*allow_exceptions=*/false);
  (void)ex::ParseEnrolmentAnswer(j);
  (void)ex::ParseClientRegistrationAnswer(j);
  (void)ex::ParseKeyRegistrationAnswer(j);
  (void)ex::ParseKeyRetrievalAnswer(j);
  (void)ex::ParseKeyUpdateAnswer(j);
  (void)ex::ParseClientConfigRetrievalAnswer(j);
  (void)ex::ParseClientRegistrationUpdateAnswer(j);
  (void)ex::ParseUriInstruction(j);
  return 0;
}

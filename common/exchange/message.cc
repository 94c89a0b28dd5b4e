#include "common/exchange/message.h"

#include "common/exchange/rsc.h"

namespace onem2m {
namespace exchange {

absl::string_view MethodName(Method method) {
  switch (method) {
    case Method::kGet:
      return "GET";
    case Method::kPost:
      return "POST";
    case Method::kPut:
      return "PUT";
    case Method::kDelete:
      return "DELETE";
  }
  return "POST";
}

bool IsSupportedReleaseVersion(absl::string_view rvi) {
  return rvi == "1" || rvi == "2" || rvi == "2a" || rvi == "3";
}

Response ErrorResponse(int rsc, absl::string_view message) {
  Response r;
  r.rsc = rsc;
  r.body = nlohmann::json::object();
  r.body["m2m:dbg"] = std::string(message);
  return r;
}

Response ErrorResponse(const absl::Status& status) {
  return ErrorResponse(RscForStatus(status), status.message());
}

}  // namespace exchange
}  // namespace onem2m

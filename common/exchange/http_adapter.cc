#include "common/exchange/http_adapter.h"

#include <utility>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "common/exchange/internal/common_checks.h"
#include "common/exchange/internal/json_fields.h"
#include "common/exchange/rsc.h"

namespace onem2m {
namespace exchange {
namespace {

absl::StatusOr<Method> MethodFromHttp(absl::string_view method) {
  if (method == "GET") return Method::kGet;
  if (method == "POST") return Method::kPost;
  if (method == "PUT") return Method::kPut;
  if (method == "DELETE") return Method::kDelete;
  return WithRsc(absl::InvalidArgumentError("HTTP method not allowed; use POST"),
                 kRscOperationNotAllowed);
}

// UniqueHeader returns the header's value, "" if absent, or an error if repeated: two values for
// one identity field would let two components disagree about the request.
absl::StatusOr<std::string> UniqueHeader(const http::HttpRequest& request,
                                         absl::string_view name) {
  const size_t n = http::CountHeader(request.headers, name);
  if (n > 1) return absl::InvalidArgumentError(absl::StrCat("header ", name, " is repeated"));
  if (n == 0) return std::string();
  return *http::FindHeader(request.headers, name);
}

}  // namespace

absl::StatusOr<Request> RequestFromHttp(const http::HttpRequest& request) {
  Request out;
  absl::StatusOr<Method> method = MethodFromHttp(request.method);
  if (!method.ok()) return method.status();
  out.method = *method;
  if (request.target.find_first_of("?#") != std::string::npos) {
    return absl::InvalidArgumentError("query strings are not used by this service");
  }
  out.path = request.target;

  absl::StatusOr<std::string> origin = UniqueHeader(request, kHeaderOrigin);
  if (!origin.ok()) return origin.status();
  absl::Status s = internal::CheckOriginator(*origin);
  if (!s.ok()) return s;
  out.originator = std::move(*origin);

  absl::StatusOr<std::string> ri = UniqueHeader(request, kHeaderRequestId);
  if (!ri.ok()) return ri.status();
  s = internal::CheckRequestId(*ri);
  if (!s.ok()) return s;
  out.request_id = std::move(*ri);

  absl::StatusOr<std::string> rvi = UniqueHeader(request, kHeaderRvi);
  if (!rvi.ok()) return rvi.status();
  if (http::CountHeader(request.headers, kHeaderRvi) == 0) {
    out.release_version = std::string(kReleaseVersion1);  // TS-0004 7.3.2.1
  } else {
    s = internal::CheckReleaseVersion(*rvi);
    if (!s.ok()) return s;
    out.release_version = std::move(*rvi);
  }

  if (!request.body.empty()) {
    const size_t n = http::CountHeader(request.headers, "Content-Type");
    if (n > 1) return absl::InvalidArgumentError("header Content-Type is repeated");
    const std::string* ct = http::FindHeader(request.headers, "Content-Type");
    if (ct == nullptr || !internal::IsJsonMediaType(*ct)) {
      // TS-0004 7.3.2.1: a content format the receiver does not support is UNSUPPORTED_MEDIA_TYPE.
      return WithRsc(absl::InvalidArgumentError(
                         "a request body needs Content-Type: application/json"),
                     kRscUnsupportedMediaType);
    }
    out.content_type = std::string(kJsonMediaType);
    out.body = request.body;
  }
  return out;
}

http::HttpResponse ResponseToHttp(const Response& response, absl::string_view request_id,
                                  absl::string_view release_version) {
  http::HttpResponse out;
  out.status = HttpStatusForRsc(response.rsc);
  out.omit_reason = true;  // TS-0009 6.3.3
  out.headers.push_back({std::string(kHeaderRsc), std::to_string(response.rsc)});
  if (internal::CheckRequestId(request_id).ok()) {
    out.headers.push_back({std::string(kHeaderRequestId), std::string(request_id)});
  }
  if (release_version != kReleaseVersion1) {
    if (!IsSupportedReleaseVersion(release_version)) release_version = kReleaseVersion;
    out.headers.push_back({std::string(kHeaderRvi), std::string(release_version)});
  }
  if (!response.body.is_null()) {
    out.headers.push_back({"Content-Type", std::string(kJsonMediaType)});
    out.body = internal::DumpJson(response.body);
  }
  return out;
}

http::HttpResponse AnswerHttp(const http::HttpRequest& request, const Response& response) {
  const std::string* ri = http::FindHeader(request.headers, kHeaderRequestId);
  absl::string_view release_version = kReleaseVersion;
  const size_t rvi_count = http::CountHeader(request.headers, kHeaderRvi);
  if (rvi_count == 0) {
    release_version = kReleaseVersion1;
  } else if (rvi_count == 1) {
    const std::string* rvi = http::FindHeader(request.headers, kHeaderRvi);
    if (IsSupportedReleaseVersion(*rvi)) release_version = *rvi;
  }
  return ResponseToHttp(response, ri != nullptr ? absl::string_view(*ri) : "", release_version);
}

absl::StatusOr<http::HttpRequest> RequestToHttp(const Request& request, absl::string_view host) {
  absl::Status s = internal::CheckRequestId(request.request_id);
  if (!s.ok()) return s;
  s = internal::CheckOriginator(request.originator);
  if (!s.ok()) return s;
  s = internal::CheckReleaseVersion(request.release_version);
  if (!s.ok()) return s;
  http::HttpRequest out;
  out.method = std::string(MethodName(request.method));
  out.target = request.path;
  out.headers.push_back({"Host", std::string(host)});
  if (!request.originator.empty()) {
    out.headers.push_back({std::string(kHeaderOrigin), request.originator});
  }
  out.headers.push_back({std::string(kHeaderRequestId), request.request_id});
  // TS-0004 7.3.1.1: present unless talking to a Release 1 entity.
  if (request.release_version != kReleaseVersion1) {
    out.headers.push_back({std::string(kHeaderRvi), request.release_version});
  }
  if (!request.body.empty()) {
    out.headers.push_back({"Content-Type", std::string(kJsonMediaType)});
    out.body = request.body;
  }
  return out;
}

absl::StatusOr<Response> ResponseFromHttp(const http::HttpResponse& response) {
  Response out;
  if (const std::string* rsc = http::FindHeader(response.headers, kHeaderRsc)) {
    if (!absl::SimpleAtoi(*rsc, &out.rsc) || out.rsc < 1000 || out.rsc > 9999) {
      return absl::InvalidArgumentError("malformed X-M2M-RSC header");
    }
  } else {
    out.rsc = RscFromHttpStatus(response.status);
  }
  if (!response.body.empty()) {
    const std::string* ct = http::FindHeader(response.headers, "Content-Type");
    if (ct == nullptr || !internal::IsJsonMediaType(*ct)) {
      return absl::InvalidArgumentError("response body is not application/json");
    }
  }
  absl::StatusOr<nlohmann::json> body = internal::ResponseBodyFromText(response.body);
  if (!body.ok()) return body.status();
  out.body = std::move(*body);
  return out;
}

}  // namespace exchange
}  // namespace onem2m

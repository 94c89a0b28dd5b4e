#include "common/http/response_parser.h"

#include <utility>

#include "common/http/internal/message_parser.h"

namespace onem2m {
namespace http {

ResponseParser::ResponseParser(HttpLimits limits)
    : limits_(limits), impl_(std::make_unique<internal::MessageParser>(HTTP_RESPONSE, limits)) {}
ResponseParser::~ResponseParser() = default;
ResponseParser::ResponseParser(ResponseParser&&) noexcept = default;
ResponseParser& ResponseParser::operator=(ResponseParser&&) noexcept = default;

absl::StatusOr<FeedResult> ResponseParser::Feed(absl::string_view bytes) {
  return impl_->Feed(bytes);
}

absl::StatusOr<FeedResult> ResponseParser::FinishAtEof() { return impl_->FinishAtEof(); }

absl::StatusOr<HttpResponse> ResponseParser::TakeResponse() {
  if (!impl_->complete()) {
    return absl::FailedPreconditionError("HTTP response is not complete");
  }
  HttpResponse response;
  response.status = impl_->raw().status_code;
  response.reason = impl_->reason();
  response.headers = std::move(impl_->headers());
  response.body = std::move(impl_->body());
  return response;
}

void ResponseParser::Reset() {
  impl_ = std::make_unique<internal::MessageParser>(HTTP_RESPONSE, limits_);
}

}  // namespace http
}  // namespace onem2m

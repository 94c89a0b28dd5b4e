#include "common/http/request_parser.h"

#include <utility>

#include "common/http/internal/message_parser.h"

namespace onem2m {
namespace http {

RequestParser::RequestParser(HttpLimits limits)
    : limits_(limits), impl_(std::make_unique<internal::MessageParser>(HTTP_REQUEST, limits)) {}
RequestParser::~RequestParser() = default;
RequestParser::RequestParser(RequestParser&&) noexcept = default;
RequestParser& RequestParser::operator=(RequestParser&&) noexcept = default;

absl::StatusOr<FeedResult> RequestParser::Feed(absl::string_view bytes) {
  return impl_->Feed(bytes);
}

absl::StatusOr<HttpRequest> RequestParser::TakeRequest() {
  if (!impl_->complete()) {
    return absl::FailedPreconditionError("HTTP request is not complete");
  }
  HttpRequest request;
  request.method = http_method_str(static_cast<http_method>(impl_->raw().method));
  request.target = impl_->url();
  request.headers = std::move(impl_->headers());
  request.body = std::move(impl_->body());
  // http-parser reads the version and every Connection header (close, keep-alive) into this.
  request.keep_alive = http_should_keep_alive(&impl_->raw()) != 0;
  return request;
}

int RequestParser::error_http_status() const { return impl_->error_http_status(); }

void RequestParser::Reset() {
  impl_ = std::make_unique<internal::MessageParser>(HTTP_REQUEST, limits_);
}

}  // namespace http
}  // namespace onem2m

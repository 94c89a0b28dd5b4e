#include "common/http/internal/message_parser.h"

#include <utility>

#include "absl/strings/str_cat.h"

namespace onem2m {
namespace http {
namespace internal {
namespace {

MessageParser* Self(http_parser* p) { return static_cast<MessageParser*>(p->data); }

}  // namespace

MessageParser::MessageParser(http_parser_type type, HttpLimits limits)
    : is_request_(type == HTTP_REQUEST), limits_(limits) {
  http_parser_init(&parser_, type);
  parser_.data = this;
  http_parser_settings_init(&settings_);
  settings_.on_url = &OnUrl;
  settings_.on_status = &OnStatus;
  settings_.on_header_field = &OnHeaderField;
  settings_.on_header_value = &OnHeaderValue;
  settings_.on_headers_complete = &OnHeadersComplete;
  settings_.on_body = &OnBody;
  settings_.on_message_complete = &OnMessageComplete;
}

int MessageParser::Fail(absl::Status status, int http_status) {
  if (error_.ok()) {
    error_ = std::move(status);
    error_http_status_ = http_status;
  }
  return -1;
}

bool MessageParser::AddHeadBytes(size_t len) {
  head_data_bytes_ += len;
  if (head_data_bytes_ <= limits_.max_header_bytes) return true;
  Fail(absl::ResourceExhaustedError(
           absl::StrCat("HTTP header section exceeds ", limits_.max_header_bytes, " bytes")),
       431);
  return false;
}

int MessageParser::OnUrl(http_parser* p, const char* at, size_t len) {
  MessageParser* self = Self(p);
  if (!self->AddHeadBytes(len)) return -1;
  self->url_.append(at, len);
  return 0;
}

int MessageParser::OnStatus(http_parser* p, const char* at, size_t len) {
  MessageParser* self = Self(p);
  if (!self->AddHeadBytes(len)) return -1;
  self->reason_.append(at, len);
  return 0;
}

int MessageParser::OnHeaderField(http_parser* p, const char* at, size_t len) {
  MessageParser* self = Self(p);
  if (!self->AddHeadBytes(len)) return -1;
  // http-parser may split a name across calls; a new name starts after a value.
  if (self->headers_.empty() || self->in_header_value_) self->headers_.push_back({});
  self->in_header_value_ = false;
  self->headers_.back().name.append(at, len);
  return 0;
}

int MessageParser::OnHeaderValue(http_parser* p, const char* at, size_t len) {
  MessageParser* self = Self(p);
  if (!self->AddHeadBytes(len)) return -1;
  if (self->headers_.empty()) self->headers_.push_back({});
  self->in_header_value_ = true;
  self->headers_.back().value.append(at, len);
  return 0;
}

int MessageParser::OnHeadersComplete(http_parser* p) {
  MessageParser* self = Self(p);
  self->headers_complete_ = true;
  if (p->http_major != 1) {
    return self->Fail(absl::InvalidArgumentError("only HTTP/1.x is supported"), 505);
  }
  if (p->upgrade) {
    return self->Fail(absl::UnimplementedError("CONNECT and protocol upgrades are not supported"),
                      501);
  }
  if (self->is_request_ && p->uses_transfer_encoding) {
    // One small request per session: Content-Length framing is enough and keeps limits exact.
    return self->Fail(absl::InvalidArgumentError(
                          "Transfer-Encoding is not accepted on requests; send Content-Length"),
                      411);
  }
  if ((p->flags & F_CONTENTLENGTH) && p->content_length > self->limits_.max_body_bytes) {
    return self->Fail(absl::ResourceExhaustedError(
                          absl::StrCat("Content-Length ", p->content_length, " exceeds limit of ",
                                       self->limits_.max_body_bytes, " bytes")),
                      413);
  }
  // Pause so Feed can count the head bytes exactly before any body arrives.
  http_parser_pause(p, 1);
  return 0;
}

int MessageParser::OnBody(http_parser* p, const char* at, size_t len) {
  MessageParser* self = Self(p);
  // Chunked or read-until-close responses have no length up front; bound them as they arrive.
  if (self->body_.size() + len > self->limits_.max_body_bytes) {
    return self->Fail(absl::ResourceExhaustedError(absl::StrCat(
                          "HTTP body exceeds limit of ", self->limits_.max_body_bytes, " bytes")),
                      413);
  }
  self->body_.append(at, len);
  return 0;
}

int MessageParser::OnMessageComplete(http_parser* p) {
  MessageParser* self = Self(p);
  self->message_complete_ = true;
  // Pause so a pipelined next message stays in the caller's buffer.
  http_parser_pause(p, 1);
  return 0;
}

int MessageParser::CheckHead() {
  if (head_bytes_ <= limits_.max_header_bytes) return 0;
  return Fail(absl::ResourceExhaustedError(
                  absl::StrCat("HTTP header section exceeds ", limits_.max_header_bytes, " bytes")),
              431);
}

absl::StatusOr<FeedResult> MessageParser::Feed(absl::string_view bytes) {
  if (!error_.ok()) return error_;
  if (message_complete_) return FeedResult{ParseState::kComplete, 0};
  size_t consumed = 0;
  // An empty chunk would tell http-parser that the stream ended.
  while (consumed < bytes.size()) {
    const bool in_head = !headers_complete_;
    const size_t n = http_parser_execute(&parser_, &settings_, bytes.data() + consumed,
                                         bytes.size() - consumed);
    consumed += n;
    if (in_head) head_bytes_ += n;
    if (!error_.ok()) return error_;
    const http_errno err = HTTP_PARSER_ERRNO(&parser_);
    if (err == HPE_PAUSED) {
      http_parser_pause(&parser_, 0);
      if (in_head && headers_complete_ && CheckHead() != 0) return error_;
      if (message_complete_) return FeedResult{ParseState::kComplete, consumed};
      continue;
    }
    if (err != HPE_OK) {
      Fail(absl::InvalidArgumentError(absl::StrCat("malformed HTTP message: ",
                                                   http_errno_description(err))),
           400);
      return error_;
    }
    if (in_head && !headers_complete_ && CheckHead() != 0) return error_;
    if (n == 0) {
      // http-parser stops without an error only for upgrades, which OnHeadersComplete refuses.
      Fail(absl::InternalError("http-parser made no progress"), 400);
      return error_;
    }
  }
  return FeedResult{ParseState::kNeedMore, consumed};
}

absl::StatusOr<FeedResult> MessageParser::FinishAtEof() {
  if (!error_.ok()) return error_;
  if (message_complete_) return FeedResult{ParseState::kComplete, 0};
  // A zero-length execute signals end of stream: it completes a body delimited by connection close.
  http_parser_execute(&parser_, &settings_, nullptr, 0);
  if (!error_.ok()) return error_;
  const http_errno err = HTTP_PARSER_ERRNO(&parser_);
  if (err == HPE_PAUSED) http_parser_pause(&parser_, 0);
  if (message_complete_) return FeedResult{ParseState::kComplete, 0};
  Fail(absl::InvalidArgumentError("HTTP message truncated by end of stream"), 400);
  return error_;
}

}  // namespace internal
}  // namespace http
}  // namespace onem2m

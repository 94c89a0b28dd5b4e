#include "maf/mef_client/revocation_watcher.h"

#include <algorithm>
#include <utility>

#include "common/log/logger.h"

namespace onem2m {
namespace maf {
namespace {
namespace v1 = ::onem2m::rsp::v1;
}  // namespace

RevocationWatcher::RevocationWatcher(std::shared_ptr<grpc::ChannelInterface> channel,
                                     Options options)
    : stub_(v1::MefCredentialService::NewStub(std::move(channel))), options_(std::move(options)) {}

RevocationWatcher::~RevocationWatcher() { Stop(); }

absl::Duration RevocationWatcher::HeartbeatInterval() const {
  return absl::Milliseconds(options_.heartbeat_interval_ms == 0 ? 250
                                                                : options_.heartbeat_interval_ms);
}

void RevocationWatcher::Start() {
  thread_ = std::thread([this] { Run(); });
  // The watchdog cancels a stream that went silent, because a blocked Read() would otherwise
  // wait for TCP to notice a dead peer (minutes) while the MAF keeps trusting its cache.
  watchdog_ = std::thread([this] {
    const absl::Duration tick = HeartbeatInterval();
    absl::MutexLock lock(&mu_);
    while (!mu_.AwaitWithTimeout(absl::Condition(&stopping_), tick)) {
      if (context_ != nullptr && absl::Now() - std::max(last_seen_, stream_opened_) > 3 * tick) {
        context_->TryCancel();
      }
    }
  });
}

void RevocationWatcher::Stop() {
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
    if (context_ != nullptr) context_->TryCancel();
  }
  if (thread_.joinable()) thread_.join();
  if (watchdog_.joinable()) watchdog_.join();
}

bool RevocationWatcher::Healthy() const {
  absl::MutexLock lock(&mu_);
  return context_ != nullptr && last_seen_ >= stream_opened_ &&
         absl::Now() - last_seen_ <= 3 * HeartbeatInterval();
}

std::string RevocationWatcher::cursor() const {
  absl::MutexLock lock(&mu_);
  return cursor_;
}

void RevocationWatcher::Run() {
  int failures = 0;
  for (;;) {
    bool got_data = false;
    grpc::Status s = RunStream(&got_data);
    if (got_data) failures = 0;
    absl::MutexLock lock(&mu_);
    if (stopping_) return;
    if (s.error_code() == grpc::StatusCode::OUT_OF_RANGE) cursor_.clear();  // resync from now
    Log(Level::kWarning, "revocation_watch_broken",
        {{"code", std::to_string(s.error_code())}, {"message", s.error_message()}});
    mu_.AwaitWithTimeout(absl::Condition(&stopping_), options_.reconnect.Delay(failures++));
    if (stopping_) return;
  }
}

bool RevocationWatcher::Deliver(const v1::RevocationEvent& ev) {
  if (!options_.on_event) return true;
  for (int failures = 0;; ++failures) {
    absl::Status s = options_.on_event(ev);
    if (s.ok()) return true;
    if (options_.on_event_failed) options_.on_event_failed(s);
    Log(Level::kWarning, "revocation_apply_failed",
        {{"code", absl::StatusCodeToString(s.code())},
         {"kind", v1::RevocationEvent::Kind_Name(ev.kind())},
         {"retry", std::to_string(failures + 1)}});
    // A timed wait on the stop flag: Stop ends it at once. Meanwhile no message is read, so the
    // watch turns unhealthy and the MAF stops trusting its cache, which is what a revocation it
    // could not write calls for; the watchdog may cancel the stream, and the next one resumes at
    // this event's cursor.
    absl::MutexLock lock(&mu_);
    if (mu_.AwaitWithTimeout(absl::Condition(&stopping_), options_.reconnect.Delay(failures))) {
      return false;
    }
  }
}

grpc::Status RevocationWatcher::RunStream(bool* out_got_data) {
  grpc::ClientContext context;
  v1::WatchRevocationsRequest request;
  request.set_heartbeat_interval_ms(options_.heartbeat_interval_ms);
  {
    absl::MutexLock lock(&mu_);
    if (stopping_) return grpc::Status::CANCELLED;
    if (cursor_.empty()) {
      request.set_start_from_now(true);
    } else {
      request.set_resume_cursor(cursor_);
    }
    context_ = &context;
    stream_opened_ = absl::Now();  // the watchdog's grace period for the first message
  }
  // Resync before reading: events after "now" are then applied on top of an empty cache.
  if (request.start_from_now() && options_.on_resync) options_.on_resync();
  std::unique_ptr<grpc::ClientReader<v1::RevocationEvent>> reader =
      stub_->WatchRevocations(&context, request);
  v1::RevocationEvent ev;
  while (reader->Read(&ev)) {
    *out_got_data = true;
    if (ev.kind() != v1::RevocationEvent::KIND_HEARTBEAT && !Deliver(ev)) {
      context.TryCancel();  // stopping: the cursor stays before the event not applied
      break;
    }
    absl::MutexLock lock(&mu_);
    last_seen_ = absl::Now();
    if (!ev.cursor().empty()) cursor_ = ev.cursor();
  }
  grpc::Status s = reader->Finish();
  absl::MutexLock lock(&mu_);
  context_ = nullptr;
  return s;
}

}  // namespace maf
}  // namespace onem2m

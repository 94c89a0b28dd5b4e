#include "maf/server/handshake_recorder.h"

#include <pthread.h>

#include <algorithm>
#include <utility>
#include <vector>

#include "common/log/logger.h"

namespace onem2m::maf {

HandshakeRecorder::HandshakeRecorder(MafStore* store, HandshakeRecorderOptions options)
    : store_(store), o_(std::move(options)) {
  if (o_.flush_every > absl::ZeroDuration()) thread_ = std::thread([this] { Run(); });
}

HandshakeRecorder::~HandshakeRecorder() {
  {
    absl::MutexLock l(&mu_);
    stopping_ = true;
  }
  if (thread_.joinable()) thread_.join();
  (void)Flush();
}

void HandshakeRecorder::Note(const crypto::KeyId& km_id, Transport transport) {
  const absl::Time now = o_.clock->Now();
  std::string key = km_id.ToString();
  absl::ReleasableMutexLock l(&mu_);
  ++stats_.noted;
  auto [seen, first] = last_noted_.try_emplace(key, now);
  if (!first) {
    if (now - seen->second < o_.interval) return;
    seen->second = now;
  }
  auto held = pending_.find(key);
  if (held != pending_.end()) {
    held->second = HandshakeRecord{km_id, transport, now};
    return;
  }
  if (pending_.size() >= o_.max_pending) {
    ++stats_.dropped;
    l.Release();
    if (o_.on_notes) o_.on_notes("dropped", 1);
    return;
  }
  pending_.emplace(std::move(key), HandshakeRecord{km_id, transport, now});
}

absl::Status HandshakeRecorder::Flush() {
  absl::MutexLock one_at_a_time(&flush_mu_);
  absl::flat_hash_map<std::string, HandshakeRecord> taken;
  {
    absl::MutexLock l(&mu_);
    taken.swap(pending_);
    // A Km noted longer than an interval ago would be noted again anyway: forget it, so the
    // map holds only the Km seen within the last interval.
    const absl::Time cutoff = o_.clock->Now() - o_.interval;
    absl::erase_if(last_noted_, [cutoff](const auto& e) { return e.second <= cutoff; });
  }
  std::vector<HandshakeRecord> batch;
  batch.reserve(std::min(taken.size(), o_.batch));
  absl::Status first_error;
  auto it = taken.begin();
  while (it != taken.end()) {
    batch.clear();
    auto start = it;
    for (; it != taken.end() && batch.size() < o_.batch; ++it) batch.push_back(it->second);
    absl::Status s = store_->RecordHandshakes(batch);
    const int64_t n = static_cast<int64_t>(batch.size());
    if (s.ok()) {
      {
        absl::MutexLock l(&mu_);
        stats_.written += n;
      }
      if (o_.on_notes) o_.on_notes("written", n);
      continue;
    }
    if (first_error.ok()) first_error = s;
    int64_t dropped = 0;
    {
      absl::MutexLock l(&mu_);
      ++stats_.failed_batches;
      // Kept for the next flush unless a newer note of the same Km came in meanwhile.
      for (auto k = start; k != it; ++k) {
        if (pending_.contains(k->first)) continue;
        if (pending_.size() >= o_.max_pending) {
          ++dropped;
          continue;
        }
        pending_.emplace(k->first, k->second);
      }
      stats_.dropped += dropped;
    }
    if (o_.on_notes) {
      o_.on_notes("failed", n);
      if (dropped > 0) o_.on_notes("dropped", dropped);
    }
  }
  return first_error;
}

void HandshakeRecorder::Run() {
  pthread_setname_np(pthread_self(), "maf-hs-record");  // as top -H and perf show it
  bool failing = false;
  for (;;) {
    {
      absl::MutexLock l(&mu_);
      mu_.AwaitWithTimeout(absl::Condition(&stopping_), o_.flush_every);
      if (stopping_) return;
    }
    absl::Status s = Flush();
    // Logged when the writes start failing and when they recover, not once a second.
    if (!s.ok() && !failing) {
      Log(Level::kWarning, "handshake_record_failed",
          {{"code", absl::StatusCodeToString(s.code())}, {"message", std::string(s.message())}});
    } else if (s.ok() && failing) {
      Log(Level::kInfo, "handshake_record_recovered", {});
    }
    failing = !s.ok();
  }
}

HandshakeRecorderStats HandshakeRecorder::stats() const {
  absl::MutexLock l(&mu_);
  return stats_;
}

}  // namespace onem2m::maf

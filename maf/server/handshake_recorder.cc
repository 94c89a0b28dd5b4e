#include "maf/server/handshake_recorder.h"

#include <pthread.h>

#include <algorithm>
#include <utility>
#include <vector>

#include "common/log/logger.h"

namespace onem2m::maf {

HandshakeRecorder::HandshakeRecorder(MafStore* store, HandshakeRecorderOptions options)
    : store_(store), o_(std::move(options)), rotated_at_(o_.clock->Now()) {
  if (o_.flush_every > absl::ZeroDuration()) thread_ = std::thread([this] { Run(); });
}

HandshakeRecorder::~HandshakeRecorder() {
  {
    absl::MutexLock l(&mu_);
    stopping_ = true;
  }
  if (thread_.joinable()) thread_.join();
  bool failing;
  {
    absl::MutexLock l(&mu_);
    failing = last_write_failed_;
  }
  if (!failing) (void)Flush();
}

void HandshakeRecorder::Note(const crypto::KeyId& km_id, Transport transport) {
  const absl::Time now = o_.clock->Now();
  std::string key = km_id.ToString();
  absl::ReleasableMutexLock l(&mu_);
  ++stats_.noted;
  auto older = older_.find(key);
  if (older != older_.end() && now - older->second < o_.interval) return;
  auto [seen, first] = recent_.try_emplace(key, now);
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
  absl::flat_hash_map<std::string, absl::Time> retired;  // freed after the lock is let go
  {
    absl::MutexLock l(&mu_);
    taken.swap(pending_);
    // Every entry of `older_` is more than an interval old by now: a Km in it would be noted
    // again anyway, so the generation goes.
    const absl::Time now = o_.clock->Now();
    if (now - rotated_at_ >= o_.interval) {
      retired.swap(older_);
      older_.swap(recent_);
      rotated_at_ = now;
    }
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
        last_write_failed_ = false;
      }
      if (o_.on_notes) o_.on_notes("written", n);
      continue;
    }
    if (first_error.ok()) first_error = s;
    int64_t dropped = 0;
    {
      absl::MutexLock l(&mu_);
      ++stats_.failed_batches;
      last_write_failed_ = true;
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

size_t HandshakeRecorder::tracked() const {
  absl::MutexLock l(&mu_);
  return recent_.size() + older_.size();
}

}  // namespace onem2m::maf
